"""The two supported drivers behind one small async surface.

PyMongo's ``AsyncMongoClient`` (the default) and Motor's ``AsyncIOMotorClient`` share
their collection and cursor APIs; they differ in which session and client calls are
coroutines. Only those differences live here, so the DAO code is driver-agnostic.
Driver objects are typed ``Any`` because Motor ships no type information.
"""

from __future__ import annotations

import inspect
from typing import Any

from ._config import MongoDbConfig

__all__ = ["close_client", "make_client", "maybe_await", "start_session"]


async def maybe_await(value: Any) -> Any:
    """Await ``value`` if the driver returned an awaitable, else return it."""
    if inspect.isawaitable(value):
        return await value
    return value


def _client_options(config: MongoDbConfig) -> dict[str, Any]:
    options: dict[str, Any] = {
        "uuidRepresentation": "standard",
        "tz_aware": True,
        "appname": "hexkit-mongodb",
    }
    if config.mongo_timeout is not None:
        millis = config.mongo_timeout * 1000
        options.update(
            serverSelectionTimeoutMS=millis,
            connectTimeoutMS=millis,
            socketTimeoutMS=millis,
        )
    return options


def make_client(config: MongoDbConfig) -> Any:
    """Build the configured driver's client; it connects lazily on first use."""
    dsn = config.mongo_dsn.get_secret_value()
    if config.mongo_driver == "motor":
        try:
            from motor.motor_asyncio import AsyncIOMotorClient  # noqa: PLC0415 - optional
        except ImportError:
            raise ImportError(
                "mongo_driver='motor' needs Motor; run `pip install \"hexkit-mongodb[motor]\"`"
                " or switch to the default mongo_driver='pymongo'."
            ) from None
        return AsyncIOMotorClient(dsn, **_client_options(config))
    from pymongo import AsyncMongoClient  # noqa: PLC0415 - keep import cost at construction

    return AsyncMongoClient(dsn, **_client_options(config))


async def close_client(client: Any) -> None:
    """Close a client of either driver (``close`` is a coroutine only in PyMongo)."""
    await maybe_await(client.close())


async def start_session(client: Any) -> Any:
    """Start a client session (a coroutine in Motor, a plain call in PyMongo)."""
    return await maybe_await(client.start_session())

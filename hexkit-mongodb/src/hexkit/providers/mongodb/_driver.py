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

__all__ = ["close_client", "make_client", "maybe_await", "server_hangs", "start_session"]


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
        # timeoutMS is PyMongo's client-side operation timeout: one deadline per
        # operation that covers server selection, connection checkout, retries and
        # every socket read (a cursor's to_list gets its own). Socket timeouts alone
        # restart for each of those steps, so a hung server cost several timeouts.
        # connectTimeoutMS bounds the monitor's checks, so a hung server is noticed.
        options.update(
            timeoutMS=millis,
            serverSelectionTimeoutMS=millis,
            connectTimeoutMS=millis,
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
                "mongo_driver='motor' needs Motor; run `pip install --index-url"
                ' <your hexkit index>/simple/ "hexkit-mongodb[motor]"`'
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


def server_hangs(client: Any) -> bool:
    """Return whether the driver's last check of some server timed out (a hung server).

    When a check times out, the driver interrupts the operations in flight on that
    server; they fail with a plain ``AutoReconnect`` that reads like a lost
    connection, and this tells the two apart.
    """
    try:
        servers = client.topology_description.server_descriptions().values()
    except Exception:  # noqa: BLE001 - a closed or odd client: no evidence of a hang
        return False
    return any(getattr(server.error, "timeout", False) for server in servers)

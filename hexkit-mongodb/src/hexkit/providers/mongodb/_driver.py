"""The two supported drivers behind one small async surface.

PyMongo's ``AsyncMongoClient`` (the default) and Motor's ``AsyncIOMotorClient`` share
their collection and cursor APIs; they differ in which session and client calls are
coroutines. Only those differences live here, so the DAO code is driver-agnostic.
Driver objects carry PyMongo's async types: Motor ships no type information, and its
objects offer the same calls (awaitable or not, which :func:`maybe_await` absorbs).

DAOs get a :class:`Sessions` accessor: the client (for the hung-server check) and the
session of this task's open transaction. They never see the factory.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from hexkit.protocols.dao import ProviderClosedError

from ._config import MongoDbConfig

if TYPE_CHECKING:
    from pymongo import AsyncMongoClient
    from pymongo.asynchronous.client_session import AsyncClientSession
    from pymongo.asynchronous.collection import AsyncCollection
    from pymongo.asynchronous.cursor import AsyncCursor
    from pymongo.asynchronous.database import AsyncDatabase

__all__ = [
    "Client",
    "Collection",
    "Cursor",
    "Database",
    "Document",
    "Session",
    "Sessions",
    "close_client",
    "make_client",
    "maybe_await",
    "server_hangs",
    "start_session",
]

Document: TypeAlias = dict[str, Any]
Client: TypeAlias = "AsyncMongoClient[Document]"
Database: TypeAlias = "AsyncDatabase[Document]"
Collection: TypeAlias = "AsyncCollection[Document]"
Cursor: TypeAlias = "AsyncCursor[Document]"
Session: TypeAlias = "AsyncClientSession"


async def maybe_await(value: Any) -> Any:
    """Await ``value`` if the driver returned an awaitable, else return it."""
    if inspect.isawaitable(value):
        return await value
    return value


# A DSN that chooses its own write concern keeps it.
_WRITE_CONCERN_OPTION = re.compile(r"[?&](journal|w|wtimeoutMS)=", re.IGNORECASE)


def _client_options(config: MongoDbConfig) -> dict[str, Any]:
    options: dict[str, Any] = {
        "uuidRepresentation": "standard",
        "tz_aware": True,
        "appname": "hexkit-mongodb",
    }
    if not _WRITE_CONCERN_OPTION.search(config.mongo_dsn.get_secret_value()):
        # An acknowledged write is in the server's journal, so a crash of the server
        # (SIGKILL) right after it cannot lose it; with the default j:false it can.
        options["journal"] = True
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


def make_client(config: MongoDbConfig) -> Client:
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
        # Untyped, with the same collection and cursor calls as PyMongo's client.
        return cast("Client", AsyncIOMotorClient(dsn, **_client_options(config)))
    from pymongo import AsyncMongoClient  # noqa: PLC0415 - keep import cost at construction

    client: Client = AsyncMongoClient(dsn, **_client_options(config))
    return client


async def close_client(client: Client) -> None:
    """Close a client of either driver (``close`` is a coroutine only in PyMongo)."""
    await maybe_await(client.close())


async def start_session(client: Client) -> Session:
    """Start a client session (a coroutine in Motor, a plain call in PyMongo)."""
    session: Session = await maybe_await(client.start_session())
    return session


def server_hangs(client: Client) -> bool:
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


class Sessions:
    """The client of one factory and the session of this task's open transaction.

    The factory binds a session for the length of a transaction; its DAOs read it with
    :meth:`current` and pass it to every driver call.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.closed = False  # set when the factory's construct() block exits
        self._current: ContextVar[Session | None] = ContextVar(
            f"hexkit-mongodb-session-{id(self)}", default=None
        )

    def check_open(self) -> None:
        """Raise ``ProviderClosedError`` once the factory that owns the client has exited."""
        if self.closed:
            raise ProviderClosedError(provider="MongoDbDaoFactory")

    def current(self) -> Session | None:
        """Return the session of this task's open transaction, if any.

        Every DAO call asks for it before its I/O, so this is where a call on a closed
        factory stops (``ProviderClosedError``).
        """
        self.check_open()
        return self._current.get()

    @contextmanager
    def bound(self, session: Session) -> Iterator[None]:
        """Make ``session`` this task's current session inside the block."""
        token = self._current.set(session)
        try:
            yield
        finally:
            self._current.reset(token)

    def server_hangs(self) -> bool:
        """Return whether the driver's last check of some server timed out."""
        return server_hangs(self.client)

"""The asyncpg pool of a factory, as its DAOs see it: connections, the deadline, transactions.

DAOs get the :class:`Connections` accessor, not the factory. Every DAO call runs under one deadline
(``postgres_timeout``) that covers waiting for a pooled connection, connecting and the
statements; a call that passes it, or whose connection breaks, terminates that
connection (so a hung server cannot hold it) and raises the protocol's error. Inside
:meth:`Connections.transaction` the calls of this task share one connection through a
context variable, serialized by a lock.

asyncpg ships no type information, so the calls the provider makes are written down
as small protocols (:class:`Connection`, :class:`Pool`, :class:`Cursor`,
:class:`Record`) and mypy checks every use of a connection against them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import asyncpg

from hexkit.protocols.dao import DaoError, ProviderClosedError, TransactionError

from ._config import PostgresConfig
from ._errors import is_connection_error, timed_out, translated

__all__ = [
    "CallState",
    "Connection",
    "Connections",
    "Cursor",
    "Held",
    "Pool",
    "Record",
    "discard",
]

T = TypeVar("T")
# Releasing a healthy connection is a local operation with our reset; a bound keeps a
# confused connection from holding up the caller.
_RELEASE_TIMEOUT = 1.0


class _OneLineFloorRetries(logging.Filter):
    """Keep asyncpg's "failed to restore the pool connection floor" warning to one line.

    While the server is down or hung, asyncpg's pool retries its idle connections in the
    background and logs every failed attempt with a full traceback that nobody asked for;
    the DAO calls report the outage themselves. The warning stays, with the error's type
    and message instead of the traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.getMessage().startswith("Failed to restore the pool"):
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args = ()
            record.exc_info = record.exc_text = None
        return True


_FLOOR_RETRIES = _OneLineFloorRetries()


class Record(Protocol):
    """A row as asyncpg returns it, read by position."""

    def __getitem__(self, index: int, /) -> Any: ...

    def __len__(self) -> int: ...


class Cursor(Protocol):
    """A server-side cursor (``await connection.cursor(...)``) inside a transaction."""

    async def fetch(self, n: int, /) -> list[Record]: ...


class Connection(Protocol):
    """The calls the provider makes on an ``asyncpg.Connection``."""

    async def execute(self, query: str, /, *args: Any) -> str: ...

    async def fetch(self, query: str, /, *args: Any) -> list[Record]: ...

    async def fetchrow(self, query: str, /, *args: Any) -> Record | None: ...

    async def fetchval(self, query: str, /, *args: Any) -> Any: ...

    def cursor(self, query: str, /, *args: Any) -> Awaitable[Cursor]: ...

    async def copy_records_to_table(
        self,
        table_name: str,
        *,
        records: Iterable[Sequence[Any]],
        columns: Sequence[str],
        schema_name: str,
    ) -> str: ...

    def transaction(self) -> AbstractAsyncContextManager[Any]: ...

    def is_in_transaction(self) -> bool: ...

    def terminate(self) -> None: ...


def discard(connection: Connection) -> None:
    """Terminate a connection that failed, so the pool opens a fresh one in its place.

    When the server connection is lost, asyncpg gives the connection back to the pool by
    itself and every later call on it raises ``InterfaceError`` ("released back to the
    pool"); that one is gone already and needs nothing more.
    """
    with suppress(asyncpg.InterfaceError):
        connection.terminate()


class Pool(Protocol):
    """The calls the provider makes on an ``asyncpg.Pool``."""

    def acquire(self) -> Awaitable[Connection]: ...

    # asyncpg's own signature: the release timeout is its parameter, not ours.
    def release(
        self, connection: Connection, /, *, timeout: float | None = None
    ) -> Awaitable[None]: ...

    async def close(self) -> None: ...

    def terminate(self) -> None: ...

    def get_size(self) -> int: ...

    def get_idle_size(self) -> int: ...


@dataclass
class Held:
    """The connection of an open transaction, and the lock that serializes its use."""

    connection: Connection
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class CallState:
    """What a guarded call is doing, so a timeout can say why it happened."""

    waiting_for_pool: bool = False


async def _reset(connection: Connection) -> None:
    """Return a released connection to a clean state without a round trip when idle.

    The provider leaves no session state behind (advisory locks are transaction-scoped,
    no LISTEN, no SET), so only an unfinished transaction needs undoing.
    """
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


class Connections:
    """The pool of one factory, with deadlines, error translation and transactions."""

    def __init__(self, pool: Pool, config: PostgresConfig) -> None:
        self._pool = pool
        self._config = config
        self._closed = False
        self._held: ContextVar[Held | None] = ContextVar(
            f"hexkit-postgres-transaction-{id(self)}", default=None
        )

    @staticmethod
    async def open_pool(config: PostgresConfig) -> Pool:
        """Create the asyncpg pool the settings describe (raises driver errors)."""
        pool_logger = logging.getLogger("asyncpg.pool")
        if _FLOOR_RETRIES not in pool_logger.filters:
            pool_logger.addFilter(_FLOOR_RETRIES)
        pool: Pool = await asyncpg.create_pool(
            dsn=config.postgres_dsn.get_secret_value(),
            min_size=config.postgres_pool_min_size,
            max_size=config.postgres_pool_max_size,
            statement_cache_size=config.postgres_statement_cache_size,
            timeout=config.postgres_timeout,
            reset=_reset,
            server_settings={"application_name": "hexkit-postgres"},
        )
        return pool

    async def close(self) -> None:
        """Close the pool; connections still in use are terminated after the deadline.

        From now on every call raises ``ProviderClosedError``, whether the server runs or not.
        """
        self._closed = True
        try:
            await asyncio.wait_for(self._pool.close(), timeout=self._config.postgres_timeout)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            self._pool.terminate()

    @property
    def config(self) -> PostgresConfig:
        """The settings of the pool."""
        return self._config

    def check_open(self) -> None:
        """Raise ``ProviderClosedError`` once the factory that owns the pool has exited."""
        if self._closed:
            raise ProviderClosedError(provider="PostgresDaoFactory")

    def held(self) -> Held | None:
        """Return the transaction connection of this task, if a transaction is open."""
        return self._held.get()

    @asynccontextmanager
    async def guard(
        self,
        *,
        collection: str | None,
        unique_indexes: Mapping[str, tuple[str, ...]] | None = None,
    ) -> AsyncIterator[CallState]:
        """Run the block under the per-call deadline; translate its driver and OS errors."""
        self.check_open()
        state = CallState()
        try:
            async with asyncio.timeout(self._config.postgres_timeout):
                yield state
        except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            raise self._failure(
                error, collection, unique_indexes, state.waiting_for_pool
            ) from error

    def _failure(
        self,
        error: BaseException,
        collection: str | None,
        unique_indexes: Mapping[str, tuple[str, ...]] | None,
        waiting_for_pool: bool,
    ) -> DaoError | ProviderClosedError:
        """Return the protocol error for a failed call (the deadline, the driver, the OS)."""
        if self._closed:  # the pool was closed under the call
            return ProviderClosedError(provider="PostgresDaoFactory")
        if isinstance(error, TimeoutError):
            return timed_out(
                collection=collection,
                timeout=self._config.postgres_timeout,
                pool_exhausted=waiting_for_pool and self._pool_exhausted(),
                pool_size=self._config.postgres_pool_max_size,
            )
        return translated(
            error,
            collection=collection,
            unique_indexes=unique_indexes,
            in_transaction=self._held.get() is not None,
        )

    def _pool_exhausted(self) -> bool:
        """Tell whether every connection the pool may open is checked out and connected.

        A call that timed out in ``acquire`` while the pool had room was waiting for a
        new connection to the server, not for a free one: the server did not answer.
        """
        in_use = self._pool.get_size() - self._pool.get_idle_size()
        return in_use >= self._config.postgres_pool_max_size

    async def acquire(self, state: CallState) -> Connection:
        """Take a connection from the pool (inside :meth:`guard`)."""
        state.waiting_for_pool = True
        connection = await self._pool.acquire()
        state.waiting_for_pool = False
        return connection

    async def release(self, connection: Connection, error: BaseException | None = None) -> None:
        """Give a connection back; one that failed at the connection level is terminated."""
        if error is not None and (
            isinstance(error, asyncio.CancelledError) or is_connection_error(error)
        ):
            discard(connection)
        with suppress(Exception):  # a reset failure terminates the connection by itself
            await self._pool.release(connection, timeout=_RELEASE_TIMEOUT)

    async def run(
        self,
        work: Callable[[Connection], Awaitable[T]],
        *,
        collection: str,
        unique_indexes: Mapping[str, tuple[str, ...]] | None = None,
    ) -> T:
        """Run ``work(connection)`` on the transaction's connection or a pooled one.

        The pooled path is :meth:`guard`, :meth:`acquire` and :meth:`release` written out,
        because every single-document call takes it: no context-manager frames, and the
        release of a healthy connection needs no timer of its own (it does no I/O and
        runs under the call's deadline).
        """
        self.check_open()
        held = self._held.get()
        if held is not None:
            async with (
                self.guard(collection=collection, unique_indexes=unique_indexes),
                held.lock,
            ):
                try:
                    return await work(held.connection)
                except BaseException as error:
                    if isinstance(error, asyncio.CancelledError) or is_connection_error(error):
                        discard(held.connection)
                    raise
        waiting_for_pool = True
        try:
            async with asyncio.timeout(self._config.postgres_timeout):
                connection = await self._pool.acquire()
                waiting_for_pool = False
                try:
                    result = await work(connection)
                except BaseException as error:
                    await self.release(connection, error)
                    raise
                await self._pool.release(connection)
                return result
        except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            raise self._failure(error, collection, unique_indexes, waiting_for_pool) from error

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Run this task's DAO calls in the block in one PostgreSQL transaction."""
        if self._held.get() is not None:
            raise TransactionError(
                "A transaction is already active in this task; nested transactions are"
                " not supported, so run the inner operations in the outer block."
            )
        async with self.guard(collection=None) as state:
            connection = await self.acquire(state)
            try:
                # Snapshot semantics, as MongoDB and the memory provider: a write to a row
                # changed since the snapshot fails (40001) instead of losing that update.
                await connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            except BaseException as error:
                await self.release(connection, error)
                raise
        held = Held(connection)
        token = self._held.set(held)
        failure: BaseException | None = None
        try:
            try:
                yield
            except BaseException as error:
                failure = error
                with suppress(Exception):
                    async with asyncio.timeout(self._config.postgres_timeout):
                        await connection.execute("ROLLBACK")
                raise
            try:
                async with asyncio.timeout(self._config.postgres_timeout):
                    status = await connection.execute("COMMIT")
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                failure = error
                raise TransactionError(
                    f"PostgreSQL could not commit the transaction ({type(error).__name__}:"
                    f" {error}); unless the server committed just before the connection"
                    " broke, nothing was committed: check, then retry the transaction."
                ) from error
            if status != "COMMIT":  # PostgreSQL answers COMMIT of a failed transaction so
                raise TransactionError(
                    "An error inside the transaction block aborted the transaction, so"
                    " PostgreSQL rolled it back and nothing was committed; let the error"
                    " leave the block (or avoid it) and retry the transaction."
                )
        finally:
            self._held.reset(token)
            await self.release(connection, failure)

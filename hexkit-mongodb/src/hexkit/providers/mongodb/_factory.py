"""The MongoDB DAO factory: client lifecycle, index creation and transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any, ClassVar

import pymongo
from pymongo import ASCENDING
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from hexkit.migrations import MigrationStore
from hexkit.protocols.dao import (
    CursorSigner,
    Dao,
    DaoError,
    DaoFactoryProtocol,
    DaoSpec,
    DaoSurrogateId,
    DaoUsageError,
    DbTimeoutError,
    DbUnavailableError,
    ProviderClosedError,
    TransactionError,
    TransactionsNotSupportedError,
)
from hexkit.registry import ProviderConfigError

from ._config import MongoDbConfig
from ._dao import MongoDbDao, MongoDbDaoSurrogateId
from ._driver import Client, Sessions, close_client, make_client, maybe_await, start_session
from ._errors import is_timeout, translated
from ._migrations import STATE_COLLECTION, MongoDbMigrationStore, read_layout_name

__all__ = ["MongoDbDaoFactory"]


def _server_lost(error: BaseException) -> bool:
    """Tell whether ``error`` (or the driver error under it) means the server is gone or hung."""
    for cause in (error, error.__cause__):
        if isinstance(cause, DbUnavailableError | DbTimeoutError | ConnectionFailure):
            return True
        if isinstance(cause, PyMongoError) and cause.timeout:
            return True
    return False


# Seconds an abort may take on a server already known to be lost (it cannot answer).
_LOST_SERVER_GRACE = 0.05

# Server codes for "an index with these keys exists with other options".
_INDEX_CONFLICT_CODES = frozenset({85, 86})


class MongoDbDaoFactory(DaoFactoryProtocol):
    """DAOs over the collections of one MongoDB database.

    Build it with :meth:`construct`, which owns the driver client and closes it on
    exit. Transactions need a replica set (or a sharded cluster): a single-node
    replica set is enough.
    """

    config_model: ClassVar[type[MongoDbConfig]] = MongoDbConfig

    def __init__(self, *, config: MongoDbConfig, client: Client) -> None:
        self._config = config
        self._client = client
        self._database = client[config.db_name]
        self._transactions_supported: bool | None = None
        self._sessions = Sessions(client)
        self._signer = CursorSigner(config.cursor_secret)

    def __repr__(self) -> str:
        return (
            f"MongoDbDaoFactory(db_name={self._config.db_name!r},"
            f" driver={self._config.mongo_driver!r})"
        )

    @property
    def config(self) -> MongoDbConfig:
        """The settings this factory was built with."""
        return self._config

    @classmethod
    @asynccontextmanager
    async def construct(cls, *, config: MongoDbConfig) -> AsyncIterator[MongoDbDaoFactory]:
        """Yield a factory over a new client of the configured driver; close it on exit.

        The client binds to the running event loop on first use, so enter this in
        the loop that will run the DAO calls.
        """
        try:
            client = make_client(config)
        except (ValueError, TypeError, PyMongoError) as error:
            # PyMongo's URI parser may quote the DSN, which holds the password.
            raise ProviderConfigError(
                kind="dao",
                name="mongodb",
                problems=[
                    (
                        "mongo_dsn",
                        f"cannot be used ({type(error).__name__}): check its host, port"
                        " (1-65535) and options; write it as"
                        " mongodb://user:password@host:port/?option=value (the value is not"
                        " shown because it is secret)",
                    )
                ],
            ) from None
        factory = cls(config=config, client=client)
        try:
            yield factory
        finally:
            factory._sessions.closed = True
            await close_client(client)

    def _translated(
        self, error: PyMongoError, *, collection: str | None, id_field: str = "id"
    ) -> DaoError | ProviderClosedError:
        if self._sessions.closed:  # the client was closed under the call
            return ProviderClosedError(provider="MongoDbDaoFactory")
        return translated(
            error,
            collection=collection,
            id_field=id_field,
            server_hangs=self._sessions.server_hangs(),
        )

    def migration_store(self) -> MigrationStore:
        """Return the store through which ``hexkit.migrations`` migrates this database."""
        return MongoDbMigrationStore(
            self._database,
            bson_date_collections=self._config.bson_date_collections,
            translate=lambda error, name: self._translated(error, collection=name),
        )

    async def _get_dao(self, spec: DaoSpec[Any]) -> Dao[Any] | DaoSurrogateId[Any, Any]:
        # Annotated with the protocols, so mypy checks that both DAO classes implement them.
        self._sessions.check_open()
        if spec.name == STATE_COLLECTION:
            raise DaoUsageError(
                f"The DAO name {spec.name!r} is reserved by hexkit-mongodb for the migration"
                " state (hexkit.migrations); choose another name."
            )
        # A migrated DAO name is held by the collection the migration state names:
        # one small read here, none per DAO call.
        try:
            physical = await read_layout_name(self._database, spec.name)
        except PyMongoError as error:
            raise self._translated(error, collection=spec.name, id_field=spec.id_field) from error
        collection = self._database[physical]
        for index in spec.indexes:
            if index.fields == (spec.id_field,):
                continue  # MongoDB's _id index exists and is unique already
            keys = [("_id" if name == spec.id_field else name, ASCENDING) for name in index.fields]
            try:
                await collection.create_index(keys, unique=index.unique)
            except OperationFailure as error:
                if error.code in _INDEX_CONFLICT_CODES:
                    raise DaoError(
                        f"Collection {spec.name!r} already has an index on"
                        f" {', '.join(index.fields)} with other options than {index!r};"
                        " drop that index (or the collection) and call get_dao again."
                    ) from error
                raise self._translated(
                    error, collection=spec.name, id_field=spec.id_field
                ) from error
            except PyMongoError as error:
                raise self._translated(
                    error, collection=spec.name, id_field=spec.id_field
                ) from error
        bson_dates = spec.name in self._config.bson_date_collections
        if spec.dto_creation_model is not None:
            return MongoDbDaoSurrogateId(
                self._sessions, spec, collection, bson_dates=bson_dates, signer=self._signer
            )
        return MongoDbDao(
            self._sessions, spec, collection, bson_dates=bson_dates, signer=self._signer
        )

    async def _check_transactions(self) -> None:
        if self._transactions_supported is None:
            try:
                hello = await self._client.admin.command("hello")
            except PyMongoError as error:
                raise self._translated(error, collection=None) from error
            self._transactions_supported = bool(
                "setName" in hello or hello.get("msg") == "isdbgrid"
            )
        if not self._transactions_supported:
            raise TransactionsNotSupportedError(
                "This MongoDB server is standalone, and MongoDB runs transactions only on a"
                " replica set or a sharded cluster; start it as a replica set (a single node"
                " is enough: mongod --replSet rs0, then rs.initiate()) or do without"
                " transaction()."
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Run this task's DAO calls in the block in one MongoDB transaction.

        Commits on normal exit and aborts on an exception. Calls share one client
        session through a context variable, so only calls awaited in this task (or
        tasks it starts inside the block) take part.
        """
        if self._sessions.current() is not None:
            raise TransactionError(
                "A transaction is already active in this task; nested transactions are"
                " not supported, so run the inner operations in the outer block."
            )
        await self._check_transactions()
        try:
            session = await start_session(self._client)
            await maybe_await(session.start_transaction())
        except PyMongoError as error:
            raise self._translated(error, collection=None) from error
        lost = False
        try:
            with self._sessions.bound(session):
                try:
                    yield
                except BaseException as error:
                    # The server drops an unfinished transaction on its own if this fails,
                    # and an abort sent to a lost or hung server would only cost another
                    # mongo_timeout before the caller hears of the failure.
                    lost = _server_lost(error)
                    if not lost:
                        with suppress(PyMongoError):
                            await session.abort_transaction()
                    raise
                try:
                    await session.commit_transaction()
                except PyMongoError as error:
                    if is_timeout(error, server_hangs=self._sessions.server_hangs()):
                        raise DbTimeoutError(
                            "MongoDB did not confirm the commit within the time limit"
                            f" (mongo_timeout): {error}. The transaction may or may not have"
                            " been committed; read its writes back before retrying it."
                        ) from error
                    raise TransactionError(
                        f"MongoDB could not commit the transaction ({error}); nothing was"
                        " committed, retry the transaction."
                    ) from error
        finally:
            # Ending a session only frees server resources early. It aborts a transaction
            # still open, which on a lost server would wait another mongo_timeout: there,
            # the abort gets a token deadline (PyMongo's client-side timeout).
            if lost and self._config.mongo_driver == "motor":
                # Motor ends a session in a worker thread that PyMongo's deadline does not
                # reach; its implicit abort would wait another mongo_timeout for a server
                # known to be gone. The server drops the session on its own.
                pass
            else:
                with suppress(PyMongoError), pymongo.timeout(_LOST_SERVER_GRACE if lost else None):
                    await maybe_await(session.end_session())

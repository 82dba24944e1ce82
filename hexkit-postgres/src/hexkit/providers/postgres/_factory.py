"""The PostgreSQL DAO factory: pool lifecycle, table and index creation, transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, ClassVar

import asyncpg

from hexkit.migrations import MigrationStore
from hexkit.protocols.dao import (
    CursorSigner,
    Dao,
    DaoError,
    DaoFactoryProtocol,
    DaoSpec,
    DaoSurrogateId,
    DaoUsageError,
)
from hexkit.registry import ProviderConfigError

from ._config import PostgresConfig
from ._dao import PostgresDao, PostgresDaoSurrogateId
from ._driver import Connection, Connections
from ._errors import translated
from ._migration_state import STATE_TABLE, StateTable
from ._migrations import PostgresMigrationStore
from ._sql import TableSql, advisory_key, name_comment

__all__ = ["PostgresDaoFactory"]


class PostgresDaoFactory(DaoFactoryProtocol):
    """DAOs over the tables of one PostgreSQL schema, sharing one asyncpg pool.

    Build it with :meth:`construct`, which owns the pool and closes it on exit.
    """

    config_model: ClassVar[type[PostgresConfig]] = PostgresConfig

    def __init__(self, *, connections: Connections) -> None:
        self._connections = connections
        self._config = connections.config
        self._signer = CursorSigner(self._config.cursor_secret)
        self._ready: set[tuple[Any, ...]] = set()  # keyed by physical table names
        self._state = StateTable(connections)

    def __repr__(self) -> str:
        return f"PostgresDaoFactory(schema={self._config.postgres_schema!r})"

    @property
    def config(self) -> PostgresConfig:
        """The settings this factory was built with."""
        return self._config

    @classmethod
    @asynccontextmanager
    async def construct(cls, *, config: PostgresConfig) -> AsyncIterator[PostgresDaoFactory]:
        """Yield a factory over a new connection pool; close the pool on exit.

        The pool binds to the running event loop, so enter this in the loop that will
        run the DAO calls. Raises ``DbUnavailableError`` if the server cannot be reached.
        """
        try:
            pool = await Connections.open_pool(config)
        except (ValueError, TypeError, OverflowError) as error:
            # asyncpg's DSN parser may quote the DSN, which holds the password; a port
            # past 65535 passes it and overflows in the socket call. A ValueError still.
            raise ProviderConfigError(
                kind="dao",
                name="postgres",
                problems=[("postgres_dsn", _unusable(error))],
            ) from None
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise translated(error, collection=None) from error
        connections = Connections(pool, config)
        try:
            yield cls(connections=connections)
        finally:
            await connections.close()

    def migration_store(self) -> MigrationStore:
        """Return the store through which ``hexkit.migrations`` migrates this schema."""
        return PostgresMigrationStore(self._connections, self._state, self._forget)

    def _forget(self, table: str) -> None:
        """Drop a table from the table-ready cache: a migration dropped it."""
        self._ready = {key for key in self._ready if key[0] != table}

    async def _get_dao(self, spec: DaoSpec[Any]) -> Dao[Any] | DaoSurrogateId[Any, Any]:
        # Annotated with the protocols, so mypy checks that both DAO classes implement them.
        if spec.name == STATE_TABLE:
            raise DaoUsageError(
                f"The DAO name {spec.name!r} is reserved by hexkit-postgres for the migration"
                " state (hexkit.migrations); choose another name."
            )
        # A migrated DAO name is held by the table the migration state names: one
        # small read here, none per DAO call (a cache would miss other instances' runs).
        physical = await self._state.physical(spec.name)
        sql = TableSql.for_spec(self._config.postgres_schema, spec, physical=physical)
        ready_key = (sql.table, spec.id_type, *sorted((i.fields, i.unique) for i in spec.indexes))
        if ready_key not in self._ready:
            await self._connections.run(
                lambda connection: self._create(connection, sql, spec),
                collection=spec.name,
                unique_indexes={sql.index_name(index): index.fields for index in spec.indexes},
            )
            self._ready.add(ready_key)
        if spec.dto_creation_model is not None:
            return PostgresDaoSurrogateId(self._connections, spec, sql, self._signer)
        return PostgresDao(self._connections, spec, sql, self._signer)

    async def _create(self, connection: Connection, sql: TableSql, spec: DaoSpec[Any]) -> None:
        """Create schema, table and indexes idempotently; safe when many run at once.

        DDL of one table is serialized by a transaction-scoped advisory lock, so racing
        ``get_dao`` calls (in this or other processes) wait instead of failing on
        PostgreSQL's catalog constraints.
        """
        async with connection.transaction():
            await connection.execute(
                "SELECT pg_advisory_xact_lock($1)", advisory_key(sql.schema, sql.table)
            )
            schema_exists = await connection.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", sql.schema
            )
            if not schema_exists:
                # Racing get_dao calls for other tables may create the schema too.
                await connection.execute(
                    "SELECT pg_advisory_xact_lock($1)", advisory_key(sql.schema)
                )
                await connection.execute(
                    f"CREATE SCHEMA IF NOT EXISTS {sql.qualified.rpartition('.')[0]}"
                )
            await connection.execute(sql.create_table())
            if sql.table != sql.name:  # shortened: the comment keeps the full name
                await connection.execute(name_comment(sql.qualified, sql.name))
            column_type = await connection.fetchval(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = $1::regclass AND attname = 'id'",
                sql.qualified,
            )
            if column_type != sql.id_type:
                raise DaoError(
                    f"Table {sql.qualified} of DAO {spec.name!r} keeps IDs as {column_type},"
                    f" but the ID field {spec.id_field!r} needs {sql.id_type}; use another"
                    " DAO name, or migrate or drop the table."
                )
            for index in spec.indexes:
                if index.fields == (spec.id_field,):
                    continue  # the primary key is unique and indexed already
                await connection.execute(sql.create_index(index))

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """Run this task's DAO calls in the block in one PostgreSQL transaction.

        Commits on normal exit and rolls back on an exception. The calls share one
        pooled connection through a context variable, so only calls awaited in this
        task (or tasks it starts inside the block, one at a time) take part. An error
        inside the block aborts the transaction in PostgreSQL: later calls in the block
        raise ``TransactionError``, and so does the exit if the error was caught.
        """
        return self._connections.transaction()


def _unusable(error: BaseException) -> str:
    """Say why asyncpg refused the DSN, without quoting it (it holds the password)."""
    if isinstance(error, OverflowError):
        hint = "the port must be 1-65535"
    elif type(error).__name__ == "ClientConfigurationError":
        hint = "an option such as sslmode has a value asyncpg does not accept"
    else:
        hint = "it is not a well-formed URI"
    return (
        f"cannot be used ({type(error).__name__}: {hint}); write it as"
        " postgresql://user:password@host:port/database?option=value (the value is not"
        " shown because it is secret)"
    )

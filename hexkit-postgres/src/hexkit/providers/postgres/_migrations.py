"""The PostgreSQL provider's migration store (design: ``hexkit.migrations._store``).

The state is one row of ``"<schema>"."hexkit_migrations"`` (see ``_migration_state``):
version, history, layout and ``pending_drop`` in JSONB, the lock in columns. Every
change is one UPDATE of that row, atomic on its own, and its WHERE clause is the
condition:

- ``acquire_lock``: ``owner IS NULL OR expires_at <= now()``; of two runners updating
  at once, PostgreSQL makes the second wait and re-checks the condition on the first's
  result, so exactly one takes the lock.
- ``renew_lock``, ``switch``, ``clear_pending_drop``: ``owner = $1 AND expires_at >
  now()``, so a runner whose lock expired changes nothing.

Lock times are the server's (``now()``), so runners on hosts with skewed clocks still
exclude each other. The table is created (race-safe, under an advisory lock) by the
first runner that takes the lock; until then every DAO name is its own table.

Staging tables have the DAOs' layout (typed ``id`` primary key, ``data jsonb``). A
staging table is created by the first ``write_batch`` into it, which knows the ID type
from the validated IDs (the DAO protocol's IDs are ``str``, ``int`` or ``UUID``, so
their Python type names the column type): ``create_staging`` is not told the type,
and an empty staging table needs none, since ``get_dao`` creates a missing table with
the DAO's own layout. Batches are read as keyset pages (``WHERE id > $last ORDER BY id
LIMIT n``), so memory holds a page, never a table; the next page is fetched while the
runner works on this one. Rows are written with ``COPY`` in the DAOs' encoding.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any

import asyncpg
from pydantic import BaseModel

from hexkit.migrations import HistoryEntry, MigrationState, MigrationStore
from hexkit.protocols.dao import (
    DaoError,
    DaoUsageError,
    ResourceAlreadyExistsError,
    ValidatedDto,
)

from ._codec import dumper_for, encode_document, load_raw
from ._driver import Connection, Connections
from ._migration_state import STATE_TABLE, StateTable, state_of
from ._sql import (
    ID_COLUMN_TYPES,
    NAME_MARK,
    create_table,
    name_comment,
    quote_identifier,
    short_name,
)

__all__ = ["PostgresMigrationStore"]

_HELD = "id = 'state' AND owner = $1 AND expires_at > now()"
_ID_TYPES = {str: ID_COLUMN_TYPES["str"], int: ID_COLUMN_TYPES["int"]}
_TABLES = (
    "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')"
)


def _label(collection: str) -> str:
    """Return the DAO name of a physical name (``items~2~ab12cd34`` -> ``items``)."""
    return collection.partition("~")[0]


class PostgresMigrationStore(MigrationStore):
    """Migrations over the tables of one PostgreSQL schema.

    It gets the factory's connections, its state table and ``forget``, which tells
    the factory that a table was dropped (its table-ready cache must not keep it).
    """

    def __init__(
        self, connections: Connections, state: StateTable, forget: Callable[[str], None]
    ) -> None:
        self._connections = connections
        self._state = state
        self._forget = forget
        self._q = state.qualified
        self._created: set[str] = set()
        self._dumpers: dict[type[BaseModel], Callable[[Any], str]] = {}

    def _table(self, collection: str) -> tuple[str, str]:
        """Return the table name of a physical collection name and its qualified form."""
        table = short_name(collection)
        return table, f"{quote_identifier(self._state.schema)}.{quote_identifier(table)}"

    async def _run(self, label: str, work: Callable[[Any], Any]) -> Any:
        return await self._connections.run(work, collection=label)

    async def _update(self, sql: str, *args: Any) -> bool:
        """Run an UPDATE of the state row; tell whether it matched."""
        status = await self._state.run(lambda connection: connection.execute(sql, *args))
        return bool(status != "UPDATE 0")

    async def load_state(self) -> MigrationState:
        if not await self._state.exists():
            return MigrationState()
        row = await self._state.run(
            lambda connection: connection.fetchrow(
                f"SELECT state::text AS state, owner, acquired_at, expires_at FROM {self._q}"
                " WHERE id = 'state'"
            )
        )
        return state_of(row)

    async def acquire_lock(self, owner: str, ttl: float) -> bool:
        if self._connections.held() is not None:
            raise DaoUsageError(
                "migrate() runs inside factory.transaction() here, but its lock and each"
                " step's switch must commit on their own for other instances to see them;"
                " call migrate() outside the transaction block."
            )
        await self._state.create()
        return await self._update(
            f"UPDATE {self._q} SET owner = $1, acquired_at = now(),"
            " expires_at = now() + make_interval(secs => $2)"
            " WHERE id = 'state' AND (owner IS NULL OR expires_at <= now())",
            owner,
            float(ttl),
        )

    async def renew_lock(self, owner: str, ttl: float) -> bool:
        return await self._update(
            f"UPDATE {self._q} SET expires_at = now() + make_interval(secs => $2) WHERE {_HELD}",
            owner,
            float(ttl),
        )

    async def release_lock(self, owner: str) -> None:
        await self._update(
            f"UPDATE {self._q} SET owner = NULL, acquired_at = NULL, expires_at = NULL"
            " WHERE id = 'state' AND owner = $1",
            owner,
        )

    async def switch(
        self,
        owner: str,
        *,
        version: int,
        layout: Mapping[str, str],
        entry: HistoryEntry,
        pending_drop: Sequence[str],
    ) -> bool:
        record = {
            "version": entry.version,
            "previous": entry.previous,
            "direction": entry.direction,
            "finished_at": entry.finished_at.isoformat(),
            "seconds": entry.seconds,
            "documents": entry.documents,
        }
        return await self._update(
            f"UPDATE {self._q} SET state = state || jsonb_build_object('version', $2::int,"
            " 'layout', $3::jsonb, 'pending_drop', $4::jsonb,"
            " 'history', COALESCE(state->'history', '[]'::jsonb) || $5::jsonb)"
            f" WHERE {_HELD}",
            owner,
            version,
            json.dumps(dict(layout)),
            json.dumps(list(pending_drop)),
            json.dumps([record]),
        )

    async def clear_pending_drop(self, owner: str) -> None:
        names = await self._state.run(
            lambda connection: connection.fetchval(
                f"SELECT state->'pending_drop' FROM {self._q} WHERE {_HELD}", owner
            )
        )
        if names is None:
            return  # the lock is not this runner's (any more)
        for name in json.loads(names):
            await self.drop(name)
        await self._update(
            f"UPDATE {self._q} SET state = jsonb_set(state, '{{pending_drop}}', '[]')"
            f" WHERE {_HELD}",
            owner,
        )

    async def list_collections(self) -> list[str]:
        rows = await self._state.run(
            lambda connection: connection.fetch(_TABLES, self._state.schema)
        )
        names = []
        for table, comment in rows:
            if table == STATE_TABLE:
                continue
            shortened = isinstance(comment, str) and comment.startswith(NAME_MARK)
            names.append(comment[len(NAME_MARK) :] if shortened else table)
        return names

    async def _exists(self, collection: str) -> bool:
        _, qualified = self._table(collection)
        return bool(
            await self._run(
                _label(collection),
                lambda connection: connection.fetchval(
                    "SELECT to_regclass($1) IS NOT NULL", qualified
                ),
            )
        )

    async def read_batches(
        self, collection: str, *, id_field: str, batch_size: int
    ) -> AsyncIterator[list[dict[str, Any]]]:
        if not await self._exists(collection):
            return
        label, (_, qualified) = _label(collection), self._table(collection)
        first = f"SELECT id, data::text FROM {qualified} ORDER BY id LIMIT $1"
        after = f"SELECT id, data::text FROM {qualified} WHERE id > $2 ORDER BY id LIMIT $1"

        def page(*args: Any) -> asyncio.Future[Any]:
            sql = after if args else first
            return asyncio.ensure_future(
                self._run(label, lambda connection: connection.fetch(sql, batch_size, *args))
            )

        # The next page is fetched while the caller works on this one, so the server's
        # reading overlaps the runner's transforms; memory holds two pages at most.
        ahead = page()
        try:
            while rows := await ahead:
                ahead = page(rows[-1][0]) if len(rows) == batch_size else _done()
                batch = []
                for key, text in rows:
                    document = load_raw(text)
                    document[id_field] = key
                    batch.append(document)
                del rows
                yield batch
        finally:
            if not ahead.done():
                ahead.cancel()
            with suppress(asyncio.CancelledError, DaoError):
                await ahead

    async def count(self, collection: str) -> int:
        if not await self._exists(collection):
            return 0
        _, qualified = self._table(collection)
        found: int = await self._run(
            _label(collection),
            lambda connection: connection.fetchval(f"SELECT count(*) FROM {qualified}"),
        )
        return found

    async def create_staging(self, collection: str) -> None:
        # Dropped now, created by the first write_batch: that knows the ID type.
        await self.drop(collection)

    async def _create(self, collection: str, key: Any) -> None:
        """Create a staging table with the DAOs' layout for IDs like ``key``."""
        table, qualified = self._table(collection)
        id_type = ID_COLUMN_TYPES["uuid"] if isinstance(key, uuid.UUID) else _ID_TYPES[type(key)]

        async def work(connection: Connection) -> None:
            async with connection.transaction():
                await connection.execute(create_table(qualified, id_type))
                if table != collection:
                    await connection.execute(name_comment(qualified, collection))

        await self._run(_label(collection), work)
        self._created.add(collection)

    async def write_batch(
        self, collection: str, *, id_field: str, documents: Sequence[ValidatedDto[Any]]
    ) -> None:
        label = _label(collection)
        seen: set[Any] = set()
        for checked in documents:
            if checked.id in seen:
                raise ResourceAlreadyExistsError(id_=checked.id, collection=label)
            seen.add(checked.id)
        if not documents:
            return
        if collection not in self._created:
            await self._create(collection, documents[0].id)
        records = [
            encode_document(checked.document, id_field, self._dumper(type(checked.dto)))
            for checked in documents
        ]
        table, qualified = self._table(collection)

        async def copy(connection: Connection) -> Any:
            try:
                await connection.copy_records_to_table(
                    table, schema_name=self._state.schema, columns=("id", "data"), records=records
                )
            except asyncpg.UniqueViolationError:  # an ID of an earlier batch: find which
                return await connection.fetchval(
                    f"SELECT id FROM {qualified} WHERE id = ANY($1) ORDER BY id LIMIT 1",
                    [key for key, _ in records],
                )
            return None

        taken = await self._run(label, copy)
        if taken is not None:
            raise ResourceAlreadyExistsError(id_=taken, collection=label)

    def _dumper(self, model: type[BaseModel]) -> Callable[[Any], str]:
        dump = self._dumpers.get(model)
        if dump is None:
            dump = self._dumpers[model] = dumper_for(model)
        return dump

    async def drop(self, collection: str) -> None:
        table, qualified = self._table(collection)
        await self._run(
            _label(collection),
            lambda connection: connection.execute(f"DROP TABLE IF EXISTS {qualified}"),
        )
        self._created.discard(collection)
        self._forget(table)


def _done() -> asyncio.Future[list[Any]]:
    """Return a finished future of no rows: the page before was the last."""
    future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
    future.set_result([])
    return future

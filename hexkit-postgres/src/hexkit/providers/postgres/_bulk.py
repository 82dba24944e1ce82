"""Bulk writes of the PostgreSQL DAOs: one multi-row statement per batch.

Each batch travels as two array parameters expanded with ``unnest``, so a batch of any
size is one round trip and one plan:

- ``insert_many``: ``INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING RETURNING
  id`` per run of distinct IDs (``distinct_runs``). Rows conflicting on the primary key
  or on a unique index (also with an earlier row of the run) are skipped, not failed;
  the rows not returned are the items not written. One query tells which of their IDs
  exist (``ResourceAlreadyExistsError``); the others broke a unique index
  (``UniqueConstraintViolationError``; with several, one query per index names it).
- ``upsert_many``: ``INSERT ... ON CONFLICT (id) DO UPDATE`` per run of distinct IDs
  within the batch (``distinct_runs``: an ID's next item waits for the next statement,
  so a unique index sees every state one-by-one upserts would pass through). A unique
  index violation fails the whole statement; then that run is written row by row to
  find the offending items (the rare path).
- ``delete_many``: ``DELETE ... WHERE id = ANY($1) RETURNING id``.
- ``upsert_many`` of a versioned DAO: one statement per run of distinct IDs, too (an
  ID's second item expects the version its first one stores), whose conditional
  ``UPDATE`` and ``INSERT ... ON CONFLICT`` check each row's version as they write it.
  The IDs not returned were stale or gone; one query reads their stored versions for
  ``ResourceChangedError``. A unique index violation fails the statement; then the run
  is written row by row, as above.

Inside a transaction the call runs under a savepoint, rolled back when an item fails,
so the call is all or nothing (``_bulk`` of the core states the rule).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import Any

from hexkit.protocols.dao import (
    BulkFailure,
    BulkInsertResult,
    BulkItem,
    DaoSpec,
    ResourceAlreadyExistsError,
    ResourceChangedError,
    ResourceNotFoundError,
    UniqueConstraintViolationError,
    changed_error,
    distinct_runs,
    run_bulk,
)

from ._driver import Connections, Record
from ._sql import TableSql

__all__ = ["PostgresBulk"]

_SAVEPOINT = "hexkit_bulk"
_BATCH_SAVEPOINT = "hexkit_bulk_batch"


def _claim(batch: list[BulkItem[Any]], returned: Iterable[Any]) -> list[BulkItem[Any]]:
    """Return the items whose ID was not returned; each returned ID claims one item, first first."""
    left = set(returned)
    missed = []
    for item in batch:
        if item.id in left:
            left.discard(item.id)
        else:
            missed.append(item)
    return missed


class PostgresBulk:
    """The bulk paths of one DAO's table."""

    def __init__(
        self,
        connections: Connections,
        spec: DaoSpec[Any],
        sql: TableSql,
        unique_indexes: dict[str, tuple[str, ...]],
        upsert_one: str,
    ) -> None:
        self._connections = connections
        self._spec = spec
        self._name = spec.name
        self._unique = unique_indexes
        self._unique_fields = [index.fields for index in spec.indexes if index.unique]
        self._upsert_one = upsert_one
        self._insert = sql.bulk_insert()
        self._upsert = sql.bulk_upsert()
        self._delete = sql.bulk_delete()
        self._versioned = sql.bulk_upsert_versioned() if spec.version_field else ""
        self._stored_versions = sql.stored_versions() if spec.version_field else ""
        self._present = sql.present()
        self._clash = {fields: sql.clash(fields) for fields in self._unique_fields}

    # --- running statements -----------------------------------------------------------

    async def _fetch(self, sql: str, *args: Any) -> list[Record]:
        rows: list[Record] = await self._connections.run(
            lambda connection: connection.fetch(sql, *args),
            collection=self._name,
            unique_indexes=self._unique,
        )
        return rows

    async def _execute(self, sql: str, *args: Any) -> None:
        await self._connections.run(
            lambda connection: connection.execute(sql, *args),
            collection=self._name,
            unique_indexes=self._unique,
        )

    def _in_transaction(self) -> bool:
        return self._connections.held() is not None

    async def run(
        self,
        items: Iterable[Any] | AsyncIterable[Any],
        *,
        operation: str,
        batch_size: int | None,
        prepare: Callable[[int, Any], Awaitable[BulkItem[Any]]],
        keep_dtos: bool = False,
        write_one: Callable[[BulkItem[Any]], Awaitable[None]] | None = None,
    ) -> BulkInsertResult[Any]:
        """Run one bulk call; under a savepoint inside a transaction.

        ``write_one`` makes an ``upsert_many`` versioned: items hold ``(data, expected
        version as JSON text)``, and ``write_one(item)`` is the DAO's single versioned
        write, used where a batch has to be written row by row.
        """
        write: Callable[[list[BulkItem[Any]]], Awaitable[list[BulkFailure]]] = {
            "insert_many": self._write_inserts,
            "upsert_many": self._write_upserts,
            "delete_many": self._write_deletes,
        }[operation]
        if write_one is not None:
            versioned_write_one = write_one

            async def write(batch: list[BulkItem[Any]]) -> list[BulkFailure]:
                return await self._write_versioned(batch, versioned_write_one)

        in_transaction = self._in_transaction()
        if in_transaction:
            await self._execute(f"SAVEPOINT {_SAVEPOINT}")

        async def rollback() -> None:
            await self._execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")

        result = await run_bulk(
            items,
            operation=operation,
            collection=self._name,
            batch_size=batch_size,
            prepare=prepare,
            write=write,
            in_transaction=in_transaction,
            rollback=rollback,
            keep_dtos=keep_dtos,
        )
        if in_transaction:
            await self._execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        return result

    # --- the write of one batch -----------------------------------------------------

    async def _write_inserts(self, batch: list[BulkItem[Any]]) -> list[BulkFailure]:
        # Runs of distinct IDs: a returned ID then names one item, never an earlier item
        # of that ID which a unique index refused while a later one was written.
        failures: list[BulkFailure] = []
        for run in distinct_runs(batch):
            failures += await self._write_insert_run(run)
        return failures

    async def _write_insert_run(self, batch: list[BulkItem[Any]]) -> list[BulkFailure]:
        ids = [item.id for item in batch]
        rows = await self._fetch(self._insert, ids, [item.value for item in batch])
        missed = _claim(batch, (row[0] for row in rows))
        if not missed:
            return []
        present_rows = await self._fetch(self._present, [item.id for item in missed])
        present = {row[0] for row in present_rows}
        failures = [
            BulkFailure(item.position, item.id, ResourceAlreadyExistsError(
                id_=item.id, collection=self._name))
            for item in missed
            if item.id in present
        ]  # fmt: skip
        clashing = [item for item in missed if item.id not in present]
        failures += await self._unique_failures(clashing)
        failures.sort(key=lambda failure: failure.position)
        return failures

    async def _unique_failures(self, items: list[BulkItem[Any]]) -> list[BulkFailure]:
        """Name the unique index each item (whose ID is free) broke."""
        found: dict[int, tuple[str, ...]] = {}
        if len(self._unique_fields) == 1:
            found = {item.position: self._unique_fields[0] for item in items}
        elif items:
            args = (
                [item.position for item in items],
                [item.id for item in items],
                [item.value for item in items],
            )
            for fields, sql in self._clash.items():
                for row in await self._fetch(sql, *args):
                    found.setdefault(row[0], fields)
        return [
            BulkFailure(item.position, item.id, UniqueConstraintViolationError(
                fields=found.get(item.position, ("<unknown>",)), collection=self._name))
            for item in items
        ]  # fmt: skip

    async def _write_upserts(self, batch: list[BulkItem[Any]]) -> list[BulkFailure]:
        async def write_run(run: list[BulkItem[Any]]) -> list[BulkFailure]:
            await self._execute(self._upsert, [i.id for i in run], [i.value for i in run])
            return []

        return await self._write_runs(batch, write_run)

    async def _write_runs(
        self,
        batch: list[BulkItem[Any]],
        write_run: Callable[[list[BulkItem[Any]]], Awaitable[list[BulkFailure]]],
        write_one: Callable[[BulkItem[Any]], Awaitable[None]] | None = None,
    ) -> list[BulkFailure]:
        """Write each run of distinct IDs with ``write_run``; row by row after a unique clash."""
        failures: list[BulkFailure] = []
        in_transaction = self._in_transaction()
        for run in distinct_runs(batch):
            try:
                if in_transaction:
                    await self._execute(f"SAVEPOINT {_BATCH_SAVEPOINT}")
                failed = await write_run(run)
            except UniqueConstraintViolationError:
                if in_transaction:
                    await self._execute(f"ROLLBACK TO SAVEPOINT {_BATCH_SAVEPOINT}")
                failed = await self._upserts_one_by_one(
                    run, in_transaction=in_transaction, write_one=write_one
                )
            else:
                if in_transaction:
                    await self._execute(f"RELEASE SAVEPOINT {_BATCH_SAVEPOINT}")
            failures += failed
            if failed and in_transaction:
                break  # the call is rolled back: the first failure decides
        return failures

    async def _upserts_one_by_one(
        self,
        batch: list[BulkItem[Any]],
        *,
        in_transaction: bool,
        write_one: Callable[[BulkItem[Any]], Awaitable[None]] | None = None,
    ) -> list[BulkFailure]:
        """Find the items of a batch that break a unique index or are stale; write the others."""
        failures = []
        for item in batch:
            try:
                if in_transaction:
                    await self._execute(f"SAVEPOINT {_BATCH_SAVEPOINT}")
                if write_one is None:
                    await self._execute(self._upsert_one, item.id, item.value)
                else:
                    await write_one(item)
            except (UniqueConstraintViolationError, ResourceChangedError) as error:
                failures.append(BulkFailure(item.position, item.id, error))
                if in_transaction:  # the call is rolled back: the first failure decides
                    await self._execute(f"ROLLBACK TO SAVEPOINT {_BATCH_SAVEPOINT}")
                    return failures
            else:
                if in_transaction:
                    await self._execute(f"RELEASE SAVEPOINT {_BATCH_SAVEPOINT}")
        return failures

    async def _write_versioned(
        self, batch: list[BulkItem[Any]], write_one: Callable[[BulkItem[Any]], Awaitable[None]]
    ) -> list[BulkFailure]:
        """Write a versioned batch: one statement per run of distinct IDs, in input order."""

        async def write_run(run: list[BulkItem[Any]]) -> list[BulkFailure]:
            rows = await self._fetch(
                self._versioned,
                [item.id for item in run],
                [item.value[0] for item in run],
                [item.value[1] for item in run],
            )
            return await self._stale(_claim(run, (row[0] for row in rows)))

        return await self._write_runs(batch, write_run, write_one)

    async def _stale(self, items: list[BulkItem[Any]]) -> list[BulkFailure]:
        """Return the failures of items whose version check failed, with what is stored."""
        if not items:
            return []
        rows = await self._fetch(self._stored_versions, [item.id for item in items])
        stored = {row[0]: json.loads(row[1]) for row in rows}
        return [
            BulkFailure(item.position, item.id, changed_error(
                id_=item.id, expected=json.loads(item.value[1]), stored=stored.get(item.id),
                collection=self._name))
            for item in items
        ]  # fmt: skip

    async def _write_deletes(self, batch: list[BulkItem[Any]]) -> list[BulkFailure]:
        rows = await self._fetch(self._delete, [item.id for item in batch])
        return [
            BulkFailure(item.position, item.id, ResourceNotFoundError(
                id_=item.id, collection=self._name))
            for item in _claim(batch, (row[0] for row in rows))
        ]  # fmt: skip

"""Bulk writes of the MongoDB DAOs: one unordered bulk command per batch.

- Documents are encoded to BSON while the batch is validated (``RawBSONDocument``), so
  a document the driver cannot encode fails its item before any I/O, and the driver
  does not encode it again.
- ``insert_many``: ``insert_many(ordered=False)``. Each entry of the server's
  ``writeErrors`` names the failed item by index: a duplicate key on ``_id`` is a
  ``ResourceAlreadyExistsError``, on another unique index an
  ``UniqueConstraintViolationError`` (unless the item's ID is taken too: one query
  checks, since a taken ID is the more fundamental conflict, as for single inserts).
- ``upsert_many``: ``bulk_write`` of unordered ``ReplaceOne(upsert=True)``, one per run
  of distinct IDs within the batch (``distinct_runs``: an ID's next item waits for the
  next command, so a unique index sees every state one-by-one upserts would pass
  through). A duplicate key on ``_id`` is a concurrent upsert winning the race:
  retried, as single upserts do.
- ``delete_many``: one query of which IDs exist, then ``delete_many`` of those.
- ``upsert_many`` of a versioned DAO: one conditional write per item, in input order
  (``_versions``). A bulk command reports how many conditional replacements matched,
  not which, so it could not tell the caller which items were stale.

Any other write error or a storage failure is translated as for single calls
(``_errors``). In a transaction a write the server refused aborts the transaction there.
MongoDB has no savepoints, so when a later batch fails after earlier ones were written
(an item refused before I/O, a wrong type), the call makes the server abort the
transaction the same way: it inserts a marker document twice, and the duplicate key
error aborts it. Either way nothing of the call can commit: later calls in the block fail
and the commit raises ``TransactionError``. A call that wrote nothing leaves the
transaction usable.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import Any

import bson
from bson.raw_bson import RawBSONDocument
from pymongo import ReplaceOne
from pymongo.errors import BulkWriteError as DriverBulkWriteError
from pymongo.errors import PyMongoError

from hexkit.protocols.dao import (
    BulkFailure,
    BulkInsertResult,
    BulkItem,
    DaoError,
    ResourceAlreadyExistsError,
    ResourceChangedError,
    ResourceNotFoundError,
    UniqueConstraintViolationError,
    distinct_runs,
    run_bulk,
)

from ._driver import Collection, Sessions

__all__ = ["MongoBulk"]

_DUPLICATE_KEY = 11000
_UPSERT_ATTEMPTS = 5


class MongoBulk:
    """The bulk paths of one DAO's collection.

    ``translate(error, id_)`` turns a driver error into the protocol's error, as the
    DAO's single calls do.
    """

    def __init__(
        self,
        sessions: Sessions,
        collection: Collection,
        name: str,
        id_field: str,
        translate: Callable[[PyMongoError, Any], DaoError | Exception],
    ) -> None:
        self._sessions = sessions
        self._collection = collection
        self._name = name
        self._id_field = id_field
        self._translate = translate
        self._codec_options = collection.codec_options

    def raw(self, document: dict[str, Any]) -> RawBSONDocument:
        """Encode a document for a bulk write; raises what the driver would raise."""
        return RawBSONDocument(bson.encode(document, codec_options=self._codec_options))

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
        """Run one bulk call by the protocol's outcome rule.

        ``write_one(item)`` writes the items one by one instead (versioned upserts).
        """
        write_batch = {
            "insert_many": self._write_inserts,
            "upsert_many": self._write_upserts,
            "delete_many": self._write_deletes,
        }[operation]
        session = self._sessions.current()
        wrote = False  # in a transaction: whether this call has written an item

        async def write(batch: list[BulkItem[Any]]) -> list[BulkFailure]:
            nonlocal wrote
            if write_one is not None:
                failures, wrote_one = await self._write_each(batch, write_one)
                wrote = wrote or wrote_one
                return failures
            failures = await write_batch(batch)
            wrote = wrote or len(failures) < len(batch)
            return failures

        async def rollback() -> None:
            if session is not None and wrote:
                await self._abort(session)

        return await run_bulk(
            items,
            operation=operation,
            collection=self._name,
            batch_size=batch_size,
            prepare=prepare,
            write=write,
            in_transaction=session is not None,
            rollback=rollback,
            keep_dtos=keep_dtos,
        )

    async def _abort(self, session: Any) -> None:
        """Make the server abort the transaction, so none of this call's writes commit.

        A duplicate key error inside a transaction aborts it on the server while the
        client session still counts it as open: later calls fail and the commit raises.
        (``abort_transaction()`` would end it on the client too, and later calls in the
        block would then write outside any transaction.) The marker inserted twice is
        rolled back with everything else.
        """
        marker = {"_id": bson.ObjectId()}
        try:
            await self._collection.insert_one(marker, session=session)
            await self._collection.insert_one(marker, session=session)
        except PyMongoError:
            return  # the duplicate key error that aborted the transaction

    # --- helpers ---------------------------------------------------------------------

    def _write_errors(
        self, error: DriverBulkWriteError, batch: list[BulkItem[Any]]
    ) -> list[tuple[BulkItem[Any], dict[str, Any]]]:
        """Return each failed item with its write error; raise for anything else."""
        details = error.details or {}
        if details.get("writeConcernErrors"):
            raise self._translate(error, None) from error
        failed = []
        for entry in details.get("writeErrors", []):
            if entry.get("code") != _DUPLICATE_KEY:
                item = batch[entry["index"]]
                raise self._translate(error, item.id) from error
            failed.append((batch[entry["index"]], entry))
        return failed

    def _fields(self, entry: dict[str, Any]) -> tuple[str, ...]:
        pattern = entry.get("keyPattern")
        if isinstance(pattern, dict) and pattern:
            return tuple(self._id_field if key == "_id" else str(key) for key in pattern)
        if "index: _id_ " in str(entry.get("errmsg", "")):
            return (self._id_field,)
        return ("<unknown>",)

    def _failure(self, item: BulkItem[Any], fields: tuple[str, ...]) -> BulkFailure:
        if fields == (self._id_field,):
            error: DaoError = ResourceAlreadyExistsError(id_=item.id, collection=self._name)
        else:
            error = UniqueConstraintViolationError(fields=fields, collection=self._name)
        return BulkFailure(item.position, item.id, error)

    async def _taken(self, ids: list[Any]) -> set[Any]:
        """Return which of these IDs exist (empty if the query fails: report the error)."""
        try:
            cursor = self._collection.find(
                {"_id": {"$in": ids}}, {"_id": 1}, session=self._sessions.current()
            )
            return {document["_id"] for document in await cursor.to_list(length=None)}
        except PyMongoError:
            return set()

    # --- the write of one batch -------------------------------------------------------

    async def _write_inserts(self, batch: list[BulkItem[Any]]) -> list[BulkFailure]:
        try:
            await self._collection.insert_many(
                [item.value for item in batch], ordered=False, session=self._sessions.current()
            )
        except DriverBulkWriteError as error:
            failed = self._write_errors(error, batch)
        except PyMongoError as error:
            raise self._translate(error, None) from error
        else:
            return []
        on_index = [item.id for item, entry in failed if self._fields(entry) != (self._id_field,)]
        taken = await self._taken(on_index) if on_index else set()
        return [
            self._failure(item, (self._id_field,) if item.id in taken else self._fields(entry))
            for item, entry in failed
        ]

    async def _write_upserts(self, batch: list[BulkItem[Any]]) -> list[BulkFailure]:
        failures: list[BulkFailure] = []
        for run in distinct_runs(batch):
            failed = await self._write_upsert_run(run)
            failures += failed
            if failed and self._sessions.current() is not None:
                break  # the call is rolled back: the first failure decides
        return failures

    async def _write_upsert_run(self, latest: list[BulkItem[Any]]) -> list[BulkFailure]:
        """Upsert items of distinct IDs with one unordered bulk command."""
        session = self._sessions.current()
        failures: list[BulkFailure] = []
        for attempt in range(_UPSERT_ATTEMPTS):
            try:
                await self._collection.bulk_write(
                    [ReplaceOne({"_id": item.id}, item.value, upsert=True)
                     for item in latest],
                    ordered=False,
                    session=session,
                )  # fmt: skip
            except DriverBulkWriteError as error:
                failed = self._write_errors(error, latest)
            except PyMongoError as error:
                raise self._translate(error, None) from error
            else:
                return failures
            raced = [item for item, entry in failed if self._fields(entry) == (self._id_field,)]
            failures += [
                self._failure(item, self._fields(entry))
                for item, entry in failed
                if self._fields(entry) != (self._id_field,)
            ]
            if not raced:
                return failures
            if session is not None or attempt + 1 == _UPSERT_ATTEMPTS:
                return failures + [self._failure(item, (self._id_field,)) for item in raced]
            latest = raced  # a concurrent upsert of a new ID won the race: replace it
        return failures

    async def _write_each(
        self, batch: list[BulkItem[Any]], write_one: Callable[[BulkItem[Any]], Awaitable[None]]
    ) -> tuple[list[BulkFailure], bool]:
        """Write the items one by one, in input order; return the failures and if any wrote."""
        failures: list[BulkFailure] = []
        wrote = False
        for item in batch:
            try:
                await write_one(item)
            except (ResourceChangedError, UniqueConstraintViolationError) as error:
                failures.append(BulkFailure(item.position, item.id, error))
                if self._sessions.current() is not None:
                    break  # the call is rolled back: the first failure decides
            else:
                wrote = True
        return failures, wrote

    async def _write_deletes(self, batch: list[BulkItem[Any]]) -> list[BulkFailure]:
        session = self._sessions.current()
        ids = list({item.id: None for item in batch})
        try:
            cursor = self._collection.find({"_id": {"$in": ids}}, {"_id": 1}, session=session)
            present = {document["_id"] for document in await cursor.to_list(length=None)}
            if present:
                await self._collection.delete_many({"_id": {"$in": list(present)}}, session=session)
        except PyMongoError as error:
            raise self._translate(error, None) from error
        failures = []
        for item in batch:
            if item.id in present:
                present.discard(item.id)  # a later duplicate of the ID finds it gone
            else:
                missing = ResourceNotFoundError(id_=item.id, collection=self._name)
                failures.append(BulkFailure(item.position, item.id, missing))
        return failures

"""The MongoDB provider's migration store (design: ``hexkit.migrations._store``).

The state is one document ``{_id: "state"}`` of the collection ``hexkit_migrations``:
version, history, layout, ``pending_drop`` and the lock. Every change of it is one
single-document write, atomic on any server (no replica set needed):

- ``acquire_lock``: ``find_one_and_update`` with upsert, filtered on "no lock, or an
  expired one"; if the document exists and the lock is held, the upsert's insert of
  ``_id: "state"`` fails with a duplicate key, which means another runner has it.
- ``renew_lock``, ``switch``, ``clear_pending_drop``: filtered on this runner owning
  an unexpired lock, so a runner whose lock expired changes nothing.

Lock times come from the server's clock (``$$NOW``), so runners on hosts with
skewed clocks still exclude each other. Expiry is compared as milliseconds
(``$toLong``): SecantusDB compares ``$$NOW`` with a stored date wrongly, and the
millisecond form means the same on MongoDB.

Batches stream from a server-side cursor (``batch_size`` documents per round trip),
so memory stays bounded by one batch; they are written to staging collections with
``insert_many`` in the encoding of the DAOs (``_codec``).
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import suppress
from typing import Any

from bson.errors import InvalidDocument
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from hexkit.migrations import HistoryEntry, LockInfo, MigrationState, MigrationStore
from hexkit.protocols.dao import (
    DaoError,
    InvalidDocumentError,
    ProviderClosedError,
    ResourceAlreadyExistsError,
    ValidatedDto,
)

from ._codec import BsonDateError, bson_date, datetime_text, decode_decimals, encode_document
from ._driver import maybe_await

__all__ = ["STATE_COLLECTION", "MongoDbMigrationStore", "read_layout_name"]

#: The collection holding the migration state; no DAO may have this name.
STATE_COLLECTION = "hexkit_migrations"
_STATE_ID = "state"
_DUPLICATE_KEY = 11000

Translate = Callable[[PyMongoError, str], DaoError | ProviderClosedError]

# "The lock is held and has not expired", by the server's clock.
_UNEXPIRED: dict[str, Any] = {
    "$expr": {"$gt": [{"$toLong": "$lock.expires_at"}, {"$toLong": "$$NOW"}]}
}


_EXPIRED: dict[str, Any] = {
    "$expr": {"$lte": [{"$toLong": "$lock.expires_at"}, {"$toLong": "$$NOW"}]}
}


def _held_by(owner: str) -> dict[str, Any]:
    return {"_id": _STATE_ID, "lock.owner": owner, **_UNEXPIRED}


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC)


def _state_of(document: Mapping[str, Any] | None) -> MigrationState:
    """Return the ``MigrationState`` stored in the state document (default if none)."""
    if document is None:
        return MigrationState()
    lock = document.get("lock")
    return MigrationState(
        version=int(document.get("version", 0)),
        history=tuple(
            HistoryEntry(
                version=entry["version"],
                previous=entry["previous"],
                direction=entry["direction"],
                finished_at=_utc(entry["finished_at"]),
                seconds=entry["seconds"],
                documents=entry["documents"],
            )
            for entry in document.get("history", ())
        ),
        layout=dict(document.get("layout") or {}),
        lock=None
        if not lock
        else LockInfo(
            owner=lock["owner"],
            acquired_at=_utc(lock["acquired_at"]),
            expires_at=_utc(lock["expires_at"]),
        ),
        pending_drop=tuple(document.get("pending_drop", ())),
    )


async def read_layout_name(database: Any, name: str) -> str:
    """Return the physical collection of DAO ``name`` (one small read of the state)."""
    document = await database[STATE_COLLECTION].find_one({"_id": _STATE_ID}, {f"layout.{name}": 1})
    physical = ((document or {}).get("layout") or {}).get(name)
    return physical if isinstance(physical, str) else name


class MongoDbMigrationStore(MigrationStore):
    """Migrations over the collections of one MongoDB database.

    It gets the factory's database, the DAO names that store BSON dates, and the
    factory's error translation (driver error, DAO name -> ``DaoError``).
    """

    def __init__(
        self, database: Any, *, bson_date_collections: Collection[str], translate: Translate
    ) -> None:
        self._database = database
        self._state = database[STATE_COLLECTION]
        self._bson_dates = bson_date_collections
        self._translate = translate

    async def _run(self, label: str, operation: Any) -> Any:
        """Await a driver call; a driver error becomes the protocol's ``DaoError``."""
        try:
            return await operation
        except PyMongoError as error:
            raise self._translate(error, label) from error

    async def load_state(self) -> MigrationState:
        document = await self._run(STATE_COLLECTION, self._state.find_one({"_id": _STATE_ID}))
        return _state_of(document)

    async def acquire_lock(self, owner: str, ttl: float) -> bool:
        free = {"_id": _STATE_ID, "$or": [{"lock": None}, _EXPIRED]}
        take = [
            {
                "$set": {
                    "lock": {
                        "owner": {"$literal": owner},
                        "acquired_at": "$$NOW",
                        "expires_at": {"$add": ["$$NOW", round(ttl * 1000)]},
                    }
                }
            }
        ]
        try:
            await self._state.find_one_and_update(
                free, take, upsert=True, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:
            return False  # the state exists and its lock is held: another runner has it
        except PyMongoError as error:
            raise self._translate(error, STATE_COLLECTION) from error
        return True

    async def renew_lock(self, owner: str, ttl: float) -> bool:
        extend = [{"$set": {"lock.expires_at": {"$add": ["$$NOW", round(ttl * 1000)]}}}]
        result = await self._run(STATE_COLLECTION, self._state.update_one(_held_by(owner), extend))
        return bool(result.matched_count)

    async def release_lock(self, owner: str) -> None:
        await self._run(
            STATE_COLLECTION,
            self._state.update_one(
                {"_id": _STATE_ID, "lock.owner": owner}, {"$set": {"lock": None}}
            ),
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
        update = {
            "$set": {
                "version": version,
                "layout": dict(layout),
                "pending_drop": list(pending_drop),
            },
            "$push": {
                "history": {
                    "version": entry.version,
                    "previous": entry.previous,
                    "direction": entry.direction,
                    "finished_at": entry.finished_at,
                    "seconds": entry.seconds,
                    "documents": entry.documents,
                }
            },
        }
        result = await self._run(STATE_COLLECTION, self._state.update_one(_held_by(owner), update))
        return bool(result.matched_count)

    async def clear_pending_drop(self, owner: str) -> None:
        document = await self._run(STATE_COLLECTION, self._state.find_one(_held_by(owner)))
        if document is None:
            return
        for name in document.get("pending_drop", ()):
            await self.drop(name)
        await self._run(
            STATE_COLLECTION,
            self._state.update_one(_held_by(owner), {"$set": {"pending_drop": []}}),
        )

    async def list_collections(self) -> list[str]:
        names: list[str] = await self._run(STATE_COLLECTION, self._database.list_collection_names())
        return [name for name in names if name != STATE_COLLECTION]

    async def read_batches(
        self, collection: str, *, id_field: str, batch_size: int
    ) -> AsyncIterator[list[dict[str, Any]]]:
        # The next batch is fetched while the caller works on this one, so the server's
        # reading overlaps the runner's transforms; memory holds two batches at most.
        label = collection.partition("~")[0]
        cursor = self._database[collection].find({}, batch_size=batch_size)
        ahead = asyncio.ensure_future(self._run(label, cursor.to_list(length=batch_size)))
        try:
            while batch := await ahead:
                ahead = asyncio.ensure_future(self._run(label, cursor.to_list(length=batch_size)))
                for document in batch:
                    document[id_field] = document.pop("_id")
                    decode_decimals(document)
                yield batch
        finally:
            if not ahead.done():
                ahead.cancel()
            with suppress(asyncio.CancelledError, DaoError):
                await ahead
            await self._run(label, maybe_await(cursor.close()))

    async def count(self, collection: str) -> int:
        label = collection.partition("~")[0]
        found: int = await self._run(label, self._database[collection].count_documents({}))
        return found

    async def create_staging(self, collection: str) -> None:
        label = collection.partition("~")[0]
        await self.drop(collection)
        await self._run(label, self._database.create_collection(collection))

    async def write_batch(
        self, collection: str, *, id_field: str, documents: Sequence[ValidatedDto[Any]]
    ) -> None:
        label = collection.partition("~")[0]
        dates = bson_date if label in self._bson_dates else datetime_text
        encoded = []
        for checked in documents:
            try:
                encoded.append(encode_document(checked.document, id_field, dates))
            except BsonDateError as error:
                raise InvalidDocumentError(
                    collection=label,
                    id_=checked.id,
                    field=error.field,
                    reason=f"is {error.value.isoformat()}, which cannot be a BSON date:"
                    f" {error.reason} ({label!r} is listed in bson_date_collections)",
                ) from error
        try:
            await self._database[collection].insert_many(encoded, ordered=False)
        except BulkWriteError as error:
            duplicates = [
                failed
                for failed in error.details.get("writeErrors", ())
                if failed.get("code") == _DUPLICATE_KEY
            ]
            if duplicates:
                first = min(failed["index"] for failed in duplicates)
                raise ResourceAlreadyExistsError(
                    id_=documents[first].id, collection=label
                ) from error
            raise self._translate(error, label) from error
        except (InvalidDocument, OverflowError) as error:
            raise InvalidDocumentError(
                collection=label,
                id_=None,
                field=None,
                reason=f"MongoDB cannot encode a migrated document ({error})",
            ) from error
        except PyMongoError as error:
            raise self._translate(error, label) from error

    async def drop(self, collection: str) -> None:
        await self._run(collection.partition("~")[0], self._database.drop_collection(collection))

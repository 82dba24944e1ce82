"""The memory provider's migration store (see ``hexkit.migrations._store`` for the design).

The state is an object of the factory. No method awaits between reading and writing
it, so each is atomic on the event loop, as one document write is on a real backend.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from hexkit.migrations import HistoryEntry, LockInfo, MigrationState, MigrationStore
from hexkit.protocols.dao import ResourceAlreadyExistsError, ValidatedDto

from ._state import Collection

__all__ = ["MemoryMigrationStore", "StateHolder"]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class StateHolder:
    """The migration state of one memory factory; ``get_dao`` resolves names through it."""

    def __init__(self) -> None:
        self.state = MigrationState()


class MemoryMigrationStore(MigrationStore):
    """Migrations over the collections of one ``MemoryDaoFactory``."""

    def __init__(self, collections: dict[str, Collection], holder: StateHolder) -> None:
        self._collections = collections
        self._holder = holder

    def _holds(self, owner: str) -> bool:
        lock = self._holder.state.lock
        return lock is not None and lock.owner == owner and lock.expires_at > _now()

    def _replace(self, **changes: Any) -> None:
        self._holder.state = dataclasses.replace(self._holder.state, **changes)

    async def load_state(self) -> MigrationState:
        return self._holder.state

    async def acquire_lock(self, owner: str, ttl: float) -> bool:
        lock = self._holder.state.lock
        now = _now()
        if lock is not None and lock.expires_at > now:
            return False
        expires = now + datetime.timedelta(seconds=ttl)
        self._replace(lock=LockInfo(owner=owner, acquired_at=now, expires_at=expires))
        return True

    async def renew_lock(self, owner: str, ttl: float) -> bool:
        lock = self._holder.state.lock
        if lock is None or not self._holds(owner):
            return False
        expires = _now() + datetime.timedelta(seconds=ttl)
        self._replace(lock=dataclasses.replace(lock, expires_at=expires))
        return True

    async def release_lock(self, owner: str) -> None:
        lock = self._holder.state.lock
        if lock is not None and lock.owner == owner:
            self._replace(lock=None)

    async def switch(
        self,
        owner: str,
        *,
        version: int,
        layout: Mapping[str, str],
        entry: HistoryEntry,
        pending_drop: Sequence[str],
    ) -> bool:
        if not self._holds(owner):
            return False
        self._replace(
            version=version,
            layout=dict(layout),
            history=(*self._holder.state.history, entry),
            pending_drop=tuple(pending_drop),
        )
        return True

    async def clear_pending_drop(self, owner: str) -> None:
        if not self._holds(owner):
            return
        for name in self._holder.state.pending_drop:
            self._collections.pop(name, None)
        self._replace(pending_drop=())

    async def list_collections(self) -> list[str]:
        return list(self._collections)

    async def read_batches(
        self, collection: str, *, id_field: str, batch_size: int
    ) -> AsyncIterator[list[dict[str, Any]]]:
        source = self._collections.get(collection)
        if source is None:
            return
        ids = list(source.docs)  # IDs only; documents are dumped a batch at a time
        for start in range(0, len(ids), batch_size):
            batch = [
                source.docs[id_].model_dump()
                for id_ in ids[start : start + batch_size]
                if id_ in source.docs
            ]
            yield batch
            await asyncio.sleep(0)  # let other tasks run between batches, as I/O would

    async def count(self, collection: str) -> int:
        source = self._collections.get(collection)
        return 0 if source is None else len(source.docs)

    async def create_staging(self, collection: str) -> None:
        self._collections[collection] = Collection(collection)

    async def write_batch(
        self, collection: str, *, id_field: str, documents: Sequence[ValidatedDto[Any]]
    ) -> None:
        target = self._collections[collection]
        seen: set[Any] = set()
        for document in documents:
            if document.id in target.docs or document.id in seen:
                raise ResourceAlreadyExistsError(id_=document.id, collection=collection)
            seen.add(document.id)
        for document in documents:
            target.write(document.id, document.dto)

    async def drop(self, collection: str) -> None:
        self._collections.pop(collection, None)

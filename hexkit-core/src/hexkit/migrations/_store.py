"""The provider side of migrations: what a DAO factory hands the runner.

A DAO factory that supports migrations has a ``migration_store()`` method returning a
:class:`MigrationStore` over its database (:class:`SupportsMigrations`). The runner
needs nothing else from the provider.

**The state document.** Each database keeps one :class:`MigrationState`: the version,
the history, the lock and the *layout*, which maps each migrated DAO name to the
physical collection (or table) that holds its current data. A DAO name not in the
layout is stored under its own name. ``get_dao`` resolves its name through the layout,
so a DAO's users never see physical names. A step stages its results into new physical
collections (``<name>~<version>~<run>``; ``~`` is never part of a DAO name) and then
makes them current for all its collections at once with one conditional write of the
state document (:meth:`MigrationStore.switch`): the new version, layout and history
entry, only if this runner still holds the lock. Until that write the old data is
current and untouched; after it the new data is. The old physical collections are
recorded as ``pending_drop`` in the same write and dropped afterwards, so a crash in
between leaves garbage that the next run removes, never lost data. A crash before the
switch leaves staging collections that no layout names; the next runner to take the
lock drops them and starts the step again from the old data, so no document is lost
and none is migrated twice.

We chose this over renaming staged collections onto the old names because no backend
renames several collections atomically outside a transaction (MongoDB cannot rename in
one), while one document write is atomic on every backend.

**The lock** lives in the state document too: ``owner`` and an expiry computed with
the backend's clock. :meth:`acquire_lock` takes it when free or expired, atomically;
the runner renews it after every batch, and a runner whose lock expired finds that its
``switch`` fails (``MigrationLockLostError``) instead of overwriting a newer state.

How each provider implements the store:

- **memory** (``hexkit.providers.memory``): the state is an object of the factory;
  every method runs without awaiting in between, so each is atomic on the event loop.
  Expiry uses ``time.monotonic``.
- **MongoDB**: the state is one document ``{_id: "state"}`` in the collection
  ``hexkit_migrations``. ``acquire_lock`` is ``find_one_and_update`` (upsert) with the
  filter "lock absent or ``lock.expires < $$NOW``" and an update pipeline setting
  ``expires = $$NOW + ttl``, so the server's clock decides; a duplicate-key error on
  the upsert means another runner won. ``switch`` is ``update_one`` filtered on
  ``lock.owner`` (one document: atomic without a replica set). ``read_batches`` streams
  ``find({}, batch_size=n)`` and renames ``_id`` to the collection's ID field and
  ``Decimal128`` to ``Decimal``; ``write_batch`` uses the DAO codec
  (``encode_document``) and ``insert_many(ordered=False)``, a duplicate key becoming
  ``ResourceAlreadyExistsError``. ``MongoDbDaoFactory._get_dao`` reads the layout once
  per ``get_dao`` (never per DAO call; a per-factory cache would miss a migration run by
  another instance). Expiry is compared as ``$toLong`` milliseconds (see its module).
- **PostgreSQL**: the state is one row of ``<schema>.hexkit_migrations``: version,
  history, layout and ``pending_drop`` in a JSONB column, the lock in columns ``owner``
  and ``expires_at``. ``acquire_lock`` is ``UPDATE ... WHERE owner IS NULL OR
  expires_at <= now()`` (the server's clock), the switch an ``UPDATE ... WHERE owner =
  $1 AND expires_at > now()``. Batches are keyset pages (``WHERE id > $last ORDER BY
  id LIMIT n``); rows are parsed without the model (exact ``Decimal`` numbers, bytes
  decoded, datetimes as text). Writes are ``COPY`` in the DAO codec into staging tables
  with the DAOs' layout (typed ``id``, ``data jsonb``), created by the first
  ``write_batch`` (whose IDs' Python type names the ``id`` column's type); a primary-key
  violation is ``ResourceAlreadyExistsError``. Physical names go through the provider's
  table-name shortening; a shortened table keeps its full name as its comment, which
  ``list_collections`` reports.

**Raw documents** handed to transforms are plain dicts keyed by field name, with the
ID under the collection's ID field. ``str``, ``int``, ``bool``, ``None``, lists, dicts
and ``bytes`` come as themselves, numbers with a fraction as ``float`` or ``Decimal``;
other values (datetimes, UUIDs, enums, ...) come as the provider stores them, as the
object or as its text, which the validation models accept either way. Writes receive
:class:`~hexkit.protocols.dao.ValidatedDto` values, which a provider stores as its
DAOs store a DTO.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from hexkit.protocols.dao import ValidatedDto

__all__ = [
    "HistoryEntry",
    "LockInfo",
    "MigrationState",
    "MigrationStore",
    "SupportsMigrations",
]


@dataclass(frozen=True)
class HistoryEntry:
    """One completed step: the version it reached, when, how long it took."""

    version: int
    previous: int
    direction: Literal["up", "down"]
    finished_at: datetime.datetime
    seconds: float
    documents: int


@dataclass(frozen=True)
class LockInfo:
    """Who holds the migration lock, and until when unless renewed."""

    owner: str
    acquired_at: datetime.datetime
    expires_at: datetime.datetime


@dataclass(frozen=True)
class MigrationState:
    """The migration state of one database, as stored in it."""

    version: int = 0
    history: tuple[HistoryEntry, ...] = ()
    layout: Mapping[str, str] = field(default_factory=dict)
    lock: LockInfo | None = None
    pending_drop: tuple[str, ...] = ()

    def physical(self, name: str) -> str:
        """Return the physical collection holding the current data of DAO ``name``."""
        return self.layout.get(name, name)


class MigrationStore(ABC):
    """What a provider offers the migration runner; see the module docstring."""

    @abstractmethod
    async def load_state(self) -> MigrationState:
        """Return the stored state (a default ``MigrationState`` for a new database)."""

    @abstractmethod
    async def acquire_lock(self, owner: str, ttl: float) -> bool:
        """Take the lock for ``ttl`` seconds if it is free or expired; say if it was taken."""

    @abstractmethod
    async def renew_lock(self, owner: str, ttl: float) -> bool:
        """Extend ``owner``'s lock by ``ttl`` seconds; ``False`` if ``owner`` lost it."""

    @abstractmethod
    async def release_lock(self, owner: str) -> None:
        """Release the lock if ``owner`` holds it."""

    @abstractmethod
    async def switch(
        self,
        owner: str,
        *,
        version: int,
        layout: Mapping[str, str],
        entry: HistoryEntry,
        pending_drop: Sequence[str],
    ) -> bool:
        """Make a step current in one atomic write, if ``owner`` holds the lock.

        Sets version and layout, appends ``entry`` to the history and records
        ``pending_drop``; returns ``False`` (writing nothing) if ``owner`` lost the lock.
        """

    @abstractmethod
    async def clear_pending_drop(self, owner: str) -> None:
        """Drop the collections of ``pending_drop`` and empty it, if ``owner`` holds the lock."""

    @abstractmethod
    async def list_collections(self) -> list[str]:
        """Return the names of every physical collection of the database."""

    @abstractmethod
    def read_batches(
        self, collection: str, *, id_field: str, batch_size: int
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield the raw documents of a physical collection, at most ``batch_size`` at a time.

        A missing collection yields nothing. Memory use is bounded by the batch size.
        """

    @abstractmethod
    async def count(self, collection: str) -> int:
        """Return the number of documents of a physical collection (0 if missing)."""

    @abstractmethod
    async def create_staging(self, collection: str) -> None:
        """Create an empty physical collection, dropping one of that name first.

        A provider may create it on the first ``write_batch`` instead (PostgreSQL does,
        to learn the ID type from the IDs): a missing collection reads as empty, and
        ``get_dao`` creates a missing one.
        """

    @abstractmethod
    async def write_batch(
        self, collection: str, *, id_field: str, documents: Sequence[ValidatedDto[Any]]
    ) -> None:
        """Insert validated documents into a staging collection.

        Raise ``ResourceAlreadyExistsError`` (with the ID) if an ID is there already.
        """

    @abstractmethod
    async def drop(self, collection: str) -> None:
        """Drop a physical collection; dropping a missing one does nothing."""


@runtime_checkable
class SupportsMigrations(Protocol):
    """A DAO factory whose provider implements migrations."""

    def migration_store(self) -> MigrationStore:
        """Return the migration store over this factory's database."""
        ...

"""The DAO port: what application cores call to keep pydantic models.

One semantics on every provider, the memory provider being the reference:

- Field types: ``get_dao`` refuses types no provider stores (``UnsupportedFieldError``;
  see ``_types``). Every write validates the DTO again and keeps the storage rules of
  ``_documents`` (64-bit ints, finite numbers, no NUL, no ``$`` keys, 16 MiB), else
  ``InvalidDocumentError`` naming the field, with nothing written.
- Equality (finds, unique indexes) is Python's: Decimals by value, aware datetimes by
  instant, naive never equal to aware, strings exactly, sets regardless of order. ``None``
  is a value: two ``None`` under a unique index conflict.
- Reads: what ``get_by_id``, ``find_one``, ``find_all`` and a surrogate-ID ``insert``
  return is identical on every provider, equal and serialising to the same JSON: writes
  store the normal form of ``_normal`` (aware datetimes in UTC, Decimals with a positive
  exponent written out, trailing zeros kept, zeros unsigned).
- Order: only ``SORTABLE_TYPES`` sort; strings by code point, ``None`` first ascending,
  enums by value; ties broken by ID so skip/limit pages are stable.
- Keyset pages: ``find_all(limit=n, after=cursor)`` continues strictly after the item a
  cursor names in that total order, as a range scan; ``next_cursor`` of a full page
  names its last item (see ``_cursor``).
- DAO names are case-sensitive.
- Versioned writes (``get_dao(..., version_field=)``): the version check and the write
  are one server operation; a stale write raises ``ResourceChangedError`` (see
  ``_versions``).
- Bulk writes (``insert_many``, ``upsert_many``, ``delete_many``) stream their input in
  batches and follow one outcome rule (see ``_bulk``): a ``BulkResult`` when every item
  was written, else ``BulkWriteError`` listing each item not written (position, ID,
  error); all or nothing inside a transaction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, Protocol, TypeVar, overload

from pydantic import BaseModel

from ._bulk import BulkInsertResult, BulkResult
from ._cursor import PageTracker
from ._spec import DaoSpec, IdGenerator, Index, build_spec

__all__ = ["Dao", "DaoFactoryProtocol", "DaoSurrogateId", "FindResult"]

Dto = TypeVar("Dto", bound=BaseModel)
DtoCreation = TypeVar("DtoCreation", bound=BaseModel)
DtoCreation_contra = TypeVar("DtoCreation_contra", bound=BaseModel, contravariant=True)
T = TypeVar("T")


class FindResult(ABC, Generic[T]):
    """The hits of ``find_all``: an async iterator that streams them.

    Iterate it once (``async for``) or collect it with :meth:`to_list`.
    :meth:`total_count` counts every match, ignoring skip, limit and after.
    Once consumed, :attr:`next_cursor` says where the next page starts.
    """

    #: Set by providers for a find with a limit; it makes ``next_cursor``.
    _page: PageTracker | None = None

    @property
    def next_cursor(self) -> str | None:
        """The ``after=`` cursor of the next page, once this result is consumed.

        A str (opaque, URL-safe) when the page is full - it returned ``limit`` items,
        though the next page may turn out empty; ``None`` when it returned fewer, or
        the find has no limit (nothing follows). Reading it before the result is
        consumed raises ``PageNotFinishedError``.
        """
        return None if self._page is None else self._page.next_cursor

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    @abstractmethod
    async def __anext__(self) -> T:
        """Return the next hit or raise ``StopAsyncIteration``."""

    async def to_list(self) -> list[T]:
        """Collect the remaining hits into a list."""
        return [item async for item in self]

    @abstractmethod
    async def total_count(self) -> int:
        """Count all matches of the mapping, ignoring skip and limit."""

    async def aclose(self) -> None:
        """Release resources held for a result that is not consumed to the end."""


class _DaoCommon(Protocol[Dto]):
    """The methods both DAO flavours share: reads, update, upsert, delete and finds.

    :class:`Dao` and :class:`DaoSurrogateId` extend it side by side, neither a subtype of
    the other, because their ``insert`` differs in parameter and result. Implementations
    do the same (a shared base class, then one ``insert`` each), so no ``insert``
    overrides another and none needs a ``type: ignore[override]``.
    """

    async def get_by_id(self, id_: Any) -> Dto:
        """Return the resource with this ID or raise ``ResourceNotFoundError``."""
        ...

    async def update(self, dto: Dto) -> Dto:
        """Replace an existing resource or raise ``ResourceNotFoundError``; return it as stored.

        On a versioned DAO the write happens only if ``dto``'s version is stored, and
        stores the next one; else ``ResourceChangedError`` (see ``_versions``).
        """
        ...

    async def upsert(self, dto: Dto) -> Dto:
        """Insert the resource, or replace it if its ID exists; return it as stored.

        On a versioned DAO version 0 creates it, any other version updates it.
        """
        ...

    async def delete(self, id_: Any, *, version: int | None = None) -> None:
        """Delete the resource with this ID or raise ``ResourceNotFoundError``.

        ``version`` (versioned DAOs only) deletes only that version, else raises
        ``ResourceChangedError``.
        """
        ...

    async def upsert_many(
        self, dtos: Iterable[Dto] | AsyncIterable[Dto], *, batch_size: int | None = None
    ) -> BulkResult:
        """Upsert every DTO, ``batch_size`` per round trip; later duplicates of an ID win.

        Returns a ``BulkResult`` or raises ``BulkWriteError`` (see ``_bulk``).
        """
        ...

    async def delete_many(
        self, ids: Iterable[Any] | AsyncIterable[Any], *, batch_size: int | None = None
    ) -> BulkResult:
        """Delete the resources with these IDs; a missing one is a ``ResourceNotFoundError`` item.

        Returns a ``BulkResult`` or raises ``BulkWriteError`` (see ``_bulk``).
        """
        ...

    async def count(self, *, mapping: Mapping[str, Any]) -> int:
        """Count the matches of ``mapping`` on the server (validated as for finds)."""
        ...

    async def exists(self, id_: Any) -> bool:
        """Tell whether a resource with this ID exists, without reading it."""
        ...

    async def find_one(self, *, mapping: Mapping[str, Any]) -> Dto:
        """Return the single match, or raise ``NoHitsFoundError``/``MultipleHitsFoundError``."""
        ...

    def find_all(
        self,
        *,
        mapping: Mapping[str, Any],
        skip: int | None = None,
        limit: int | None = None,
        sort: Sequence[str] | None = None,
        after: str | None = None,
    ) -> FindResult[Dto]:
        """Stream all matches; ``sort`` names fields, a ``-`` prefix sorts descending.

        ``after`` takes a previous page's ``next_cursor`` (same mapping and sort) and
        continues right after that page's last item; it cannot be combined with
        ``skip``, and a cursor that does not fit raises ``InvalidCursorError``.
        """
        ...


class Dao(_DaoCommon[Dto], Protocol[Dto]):
    """A DAO whose callers choose the IDs."""

    async def insert(self, dto: Dto) -> Dto:
        """Insert a new resource or raise ``ResourceAlreadyExistsError``; return it as stored."""
        ...

    async def insert_many(
        self, dtos: Iterable[Dto] | AsyncIterable[Dto], *, batch_size: int | None = None
    ) -> BulkResult:
        """Insert every DTO, ``batch_size`` per round trip; a taken ID fails only its item.

        Returns a ``BulkResult`` or raises ``BulkWriteError`` (see ``_bulk``).
        """
        ...


class DaoSurrogateId(_DaoCommon[Dto], Protocol[Dto, DtoCreation_contra]):
    """A DAO that assigns IDs itself on insert."""

    async def insert(self, dto: DtoCreation_contra) -> Dto:
        """Insert a new resource with a fresh ID and return it."""
        ...

    async def insert_many(
        self,
        dtos: Iterable[DtoCreation_contra] | AsyncIterable[DtoCreation_contra],
        *,
        batch_size: int | None = None,
        return_dtos: bool = True,
    ) -> BulkInsertResult[Dto]:
        """Insert every creation DTO with a fresh ID; return the created DTOs in input order.

        With ``return_dtos=False`` the result holds only the count, so memory stays flat
        however long the input is. Raises ``BulkWriteError`` (see ``_bulk``).
        """
        ...


class DaoFactoryProtocol(ABC):
    """Builds DAOs and runs transactions across them.

    :meth:`get_dao` validates its arguments before touching storage and hands
    providers a :class:`DaoSpec` through :meth:`_get_dao`.
    """

    @overload
    async def get_dao(
        self,
        *,
        name: str,
        dto_model: type[Dto],
        id_field: str,
        indexes: Sequence[Index] | None = None,
        version_field: str | None = None,
    ) -> Dao[Dto]: ...

    @overload
    async def get_dao(
        self,
        *,
        name: str,
        dto_model: type[Dto],
        id_field: str,
        indexes: Sequence[Index] | None = None,
        dto_creation_model: type[DtoCreation],
        id_generator: IdGenerator | None = None,
        version_field: str | None = None,
    ) -> DaoSurrogateId[Dto, DtoCreation]: ...

    async def get_dao(
        self,
        *,
        name: str,
        dto_model: type[Dto],
        id_field: str,
        indexes: Sequence[Index] | None = None,
        dto_creation_model: type[DtoCreation] | None = None,
        id_generator: IdGenerator | None = None,
        version_field: str | None = None,
    ) -> Dao[Dto] | DaoSurrogateId[Dto, DtoCreation]:
        """Return a DAO for the collection ``name`` holding ``dto_model`` resources.

        With ``dto_creation_model`` the DAO assigns IDs on insert (a random UUID4 by
        default, or ``id_generator()``, sync or async). Indexes are created idempotently.
        ``version_field`` names an int field that makes every write conditional on the
        stored version (optimistic concurrency; see ``_versions``); a field that is
        missing or not an int raises ``VersionFieldError``.
        """
        spec = build_spec(
            name=name,
            dto_model=dto_model,
            id_field=id_field,
            indexes=indexes,
            dto_creation_model=dto_creation_model,
            id_generator=id_generator,
            version_field=version_field,
        )
        dao: Dao[Dto] | DaoSurrogateId[Dto, DtoCreation] = await self._get_dao(spec)
        return dao

    @abstractmethod
    async def _get_dao(self, spec: DaoSpec[Any]) -> Any:
        """Build the DAO for a validated spec; surrogate-ID when it has a creation model."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[None]:
        """Group DAO operations awaited in this task inside the block into one transaction.

        They commit together on normal exit and roll back together on an exception.
        Providers that cannot do this raise ``TransactionsNotSupportedError`` on entry.
        """

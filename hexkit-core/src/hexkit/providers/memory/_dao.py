"""The memory DAO provider: full DAO protocol semantics in a dict, for tests and demos."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, ValidationError

from hexkit.protocols.dao import (
    BulkFailure,
    BulkInsertResult,
    BulkItem,
    BulkResult,
    CursorSigner,
    DaoSpec,
    FindQuery,
    FindResult,
    PageTracker,
    ResourceAlreadyExistsError,
    ResourceChangedError,
    ResourceNotFoundError,
    UniqueConstraintViolationError,
    ValidatedDto,
    changed_error,
    check_delete_version,
    expected_version,
    run_bulk,
    single_hit,
    stamp_version,
    stored_document_error,
)

from ._find import MemoryFindResult, order_key
from ._state import (
    DELETED,
    Collection,
    Lifetime,
    Transaction,
    check_unique,
    field_value,
    freeze,
)

__all__ = ["MemoryDao", "MemoryDaoSurrogateId"]

Dto = TypeVar("Dto", bound=BaseModel)


def _sort_key(path: str) -> Any:
    def key(dto: BaseModel) -> tuple[int, Any]:
        return order_key(field_value(dto, path))

    return key


class _MemoryDaoBase(Generic[Dto]):
    """What both DAO flavours share: everything but ``insert``.

    ``transactions`` is the factory's open transaction of this task, ``lifetime``
    whether the factory is open and ``signer`` its cursor signer, the only factory
    state a DAO reads.
    """

    def __init__(
        self,
        transactions: ContextVar[Transaction | None],
        spec: DaoSpec[Dto],
        collection: Collection,
        lifetime: Lifetime,
        signer: CursorSigner,
    ) -> None:
        self._transactions = transactions
        self._signer = signer
        self._lifetime = lifetime
        self._spec = spec
        self._collection = collection

    # --- helpers ---------------------------------------------------------------

    def _copy_out(self, stored: BaseModel) -> Dto:
        # Stored documents are viewed through this DAO's model (see _view) first.
        return self._spec.read_back(cast("Dto", stored))

    def _view(self, stored: BaseModel) -> BaseModel:
        """Return a stored document as this DAO's model, as a backend reads it.

        Documents written through another model (by a migration, or a DAO of an older
        model) are validated again, and fail as on a real backend if they no longer fit.
        """
        model = self._spec.dto_model
        if type(stored) is model:
            return stored
        try:
            return model.model_validate(stored.model_dump(), by_name=True, strict=False)
        except ValidationError as error:
            id_ = getattr(stored, self._spec.id_field, None)
            where = f"collection {self._spec.name!r}"
            raise stored_document_error(error, model=model, id_=id_, where=where) from None

    def _read(self, id_: Any) -> BaseModel | None:
        self._lifetime.check()
        transaction = self._transactions.get()
        if transaction is None:
            stored = self._collection.docs.get(id_)
        else:
            stored = transaction.read(self._collection, id_)
        return None if stored is None else self._view(stored)

    def _items(self) -> list[tuple[Any, BaseModel]]:
        self._lifetime.check()
        transaction = self._transactions.get()
        if transaction is None:
            items = list(self._collection.docs.items())
        else:
            items = list(transaction.items(self._collection))
        return [(id_, self._view(stored)) for id_, stored in items]

    def _write(self, id_: Any, dto: Any) -> None:
        self._lifetime.check()
        transaction = self._transactions.get()
        if transaction is not None:
            transaction.check_conflict(self._collection, id_)
        if dto is not DELETED:
            for fields in self._collection.unique_indexes:
                check_unique(self._spec.name, [(id_, dto)], fields, self._items())
        if transaction is not None:
            transaction.write(self._collection, id_, dto)
        elif dto is DELETED:
            self._collection.remove(id_)
        else:
            self._collection.write(id_, dto)

    def _matches(self, query: FindQuery) -> list[BaseModel]:
        wanted = [(path, freeze(value)) for path, value in query.conditions]
        hits = [
            dto
            for _, dto in self._items()
            if all(freeze(field_value(dto, path)) == value for path, value in wanted)
        ]
        # Sorting is stable: ordering by ID first breaks every tie by ID, as backends do.
        hits.sort(key=_sort_key(self._spec.id_field))
        for path, descending in reversed(query.sort):
            hits.sort(key=_sort_key(path), reverse=descending)
        return hits

    # --- the DAO protocol --------------------------------------------------------

    async def get_by_id(self, id_: Any) -> Dto:
        """Return the resource with this ID or raise ``ResourceNotFoundError``."""
        key = self._spec.validate_id(id_)
        stored = self._read(key)
        if stored is None:
            raise ResourceNotFoundError(id_=key, collection=self._spec.name)
        return self._copy_out(stored)

    def _insert(self, dto: BaseModel) -> BaseModel:
        # validate_dto returns a fresh instance: the caller's DTO is never aliased.
        checked = stamp_version(self._spec, self._spec.validate_dto(dto))
        if self._read(checked.id) is not None:
            raise ResourceAlreadyExistsError(id_=checked.id, collection=self._spec.name)
        self._write(checked.id, checked.dto)
        return checked.dto

    def _check_version(self, id_: Any, expected: int, stored: BaseModel | None) -> None:
        """Raise ``ResourceChangedError`` unless ``stored`` holds version ``expected``.

        No await separates this check from the write that follows it, so no other task
        writes in between: check and write are one step, as on a real server.
        """
        found = None if stored is None else getattr(stored, self._spec.version_field or "")
        if found != expected:
            raise changed_error(
                id_=id_, expected=expected, stored=found, collection=self._spec.name
            )

    async def update(self, dto: Dto) -> Dto:
        """Replace an existing resource (of ``dto``'s version, if versioned); return it."""
        checked = self._spec.validate_dto(dto)
        stored = self._read(checked.id)
        expected = expected_version(self._spec, checked)
        if expected is not None:
            self._check_version(checked.id, expected, stored)
            checked = stamp_version(self._spec, checked, expected + 1)
        elif stored is None:
            raise ResourceNotFoundError(id_=checked.id, collection=self._spec.name)
        self._write(checked.id, checked.dto)
        return self._copy_out(checked.dto)

    async def upsert(self, dto: Dto) -> Dto:
        """Insert the resource, or replace it if its ID exists; return it as stored."""
        return self._copy_out(self._upsert(self._spec.validate_dto(dto)))

    def _upsert(self, checked: ValidatedDto[Any]) -> BaseModel:
        """Upsert a validated DTO (checking its version, if versioned); return what is stored."""
        expected = expected_version(self._spec, checked)
        if expected is not None:
            stored = self._read(checked.id)
            if expected != 0 or stored is not None:  # version 0 creates a new resource
                self._check_version(checked.id, expected, stored)
            checked = stamp_version(self._spec, checked, expected + 1)
        self._write(checked.id, checked.dto)
        stored_dto: BaseModel = checked.dto
        return stored_dto

    async def delete(self, id_: Any, *, version: int | None = None) -> None:
        """Delete the resource with this ID (of this ``version``, if given)."""
        check_delete_version(self._spec, version)
        key = self._spec.validate_id(id_)
        stored = self._read(key)
        if version is not None:
            self._check_version(key, version, stored)
        elif stored is None:
            raise ResourceNotFoundError(id_=key, collection=self._spec.name)
        self._write(key, DELETED)

    # --- bulk writes, counts and existence ---------------------------------------------

    async def _bulk(
        self,
        items: Iterable[Any] | AsyncIterable[Any],
        *,
        operation: str,
        batch_size: int | None,
        prepare: Callable[[int, Any], Awaitable[BulkItem[Any]]],
        write_one: Callable[[BulkItem[Any]], object],
        keep_dtos: bool = False,
    ) -> BulkInsertResult[Any]:
        """Run a bulk call by the protocol's outcome rule, one dict write per item."""
        self._lifetime.check()
        transaction = self._transactions.get()
        saved = (
            None if transaction is None else (dict(transaction.overlay), set(transaction.written))
        )

        async def write(batch: list[BulkItem[Any]]) -> list[BulkFailure]:
            failures = []
            for item in batch:
                try:
                    write_one(item)
                except (
                    ResourceAlreadyExistsError,
                    ResourceChangedError,
                    ResourceNotFoundError,
                    UniqueConstraintViolationError,
                ) as error:
                    failures.append(BulkFailure(item.position, item.id, error))
            return failures

        async def rollback() -> None:
            if transaction is not None and saved is not None:
                transaction.overlay, transaction.written = saved

        return await run_bulk(
            items,
            operation=operation,
            collection=self._spec.name,
            batch_size=batch_size,
            prepare=prepare,
            write=write,
            in_transaction=transaction is not None,
            rollback=rollback,
            keep_dtos=keep_dtos,
        )

    async def _prepare_dto(self, position: int, dto: Any) -> BulkItem[Any]:
        checked = stamp_version(self._spec, self._spec.validate_dto(dto))  # inserts only
        return BulkItem(position, checked.id, checked.dto)

    def _insert_item(self, item: BulkItem[Any]) -> None:
        if self._read(item.id) is not None:
            raise ResourceAlreadyExistsError(id_=item.id, collection=self._spec.name)
        self._write(item.id, item.value)

    async def upsert_many(
        self, dtos: Iterable[Dto] | AsyncIterable[Dto], *, batch_size: int | None = None
    ) -> BulkResult:
        """Upsert every DTO; see the protocol's bulk outcome rule."""

        async def prepare(position: int, dto: Any) -> BulkItem[Any]:
            checked = self._spec.validate_dto(dto)
            return BulkItem(position, checked.id, checked)

        return await self._bulk(
            dtos,
            operation="upsert_many",
            batch_size=batch_size,
            prepare=prepare,
            write_one=lambda item: self._upsert(item.value),
        )

    async def delete_many(
        self, ids: Iterable[Any] | AsyncIterable[Any], *, batch_size: int | None = None
    ) -> BulkResult:
        """Delete the resources with these IDs; see the protocol's bulk outcome rule."""

        async def prepare(position: int, id_: Any) -> BulkItem[Any]:
            key = self._spec.validate_id(id_)
            return BulkItem(position, key, None)

        def delete_one(item: BulkItem[Any]) -> None:
            if self._read(item.id) is None:
                raise ResourceNotFoundError(id_=item.id, collection=self._spec.name)
            self._write(item.id, DELETED)

        return await self._bulk(
            ids, operation="delete_many", batch_size=batch_size, prepare=prepare,
            write_one=delete_one,
        )  # fmt: skip

    async def count(self, *, mapping: Mapping[str, Any]) -> int:
        """Count the matches of ``mapping``."""
        return len(self._matches(self._spec.find_query(mapping)))

    async def exists(self, id_: Any) -> bool:
        """Tell whether a resource with this ID exists, without reading it."""
        key = self._spec.validate_id(id_)
        self._lifetime.check()
        transaction = self._transactions.get()
        if transaction is None:
            return key in self._collection.docs
        return transaction.read(self._collection, key) is not None

    async def find_one(self, *, mapping: Mapping[str, Any]) -> Dto:
        """Return the single match or raise ``NoHitsFoundError``/``MultipleHitsFoundError``."""
        hits = self._matches(self._spec.find_query(mapping, limit=2))
        return self._copy_out(single_hit(hits, mapping))

    def find_all(
        self,
        *,
        mapping: Mapping[str, Any],
        skip: int | None = None,
        limit: int | None = None,
        sort: Sequence[str] | None = None,
        after: str | None = None,
    ) -> FindResult[Dto]:
        """Return the matches; ``sort`` names fields, ``-`` for descending."""
        query = self._spec.find_query(
            mapping, skip=skip, limit=limit, sort=sort, after=after, signer=self._signer
        )
        result = MemoryFindResult(query, self._matches, self._copy_out)
        if query.limit is not None:
            result._page = PageTracker(self._signer, self._spec, query)
        return result


class MemoryDao(_MemoryDaoBase[Dto]):
    """A DAO over one in-memory collection; callers choose the IDs."""

    async def insert(self, dto: Dto) -> Dto:
        """Insert a new resource or raise ``ResourceAlreadyExistsError``; return it as stored."""
        return self._copy_out(self._insert(dto))

    async def insert_many(
        self, dtos: Iterable[Dto] | AsyncIterable[Dto], *, batch_size: int | None = None
    ) -> BulkResult:
        """Insert every DTO; see the protocol's bulk outcome rule."""
        return await self._bulk(
            dtos,
            operation="insert_many",
            batch_size=batch_size,
            prepare=self._prepare_dto,
            write_one=self._insert_item,
        )


class MemoryDaoSurrogateId(_MemoryDaoBase[Dto]):
    """A memory DAO that assigns IDs on insert."""

    async def insert(self, dto: BaseModel) -> Dto:
        """Insert a new resource with a fresh ID and return it."""
        full = await self._spec.new_dto(dto)
        return self._copy_out(self._insert(full))

    async def insert_many(
        self,
        dtos: Iterable[BaseModel] | AsyncIterable[BaseModel],
        *,
        batch_size: int | None = None,
        return_dtos: bool = True,
    ) -> BulkInsertResult[Dto]:
        """Insert every creation DTO with a fresh ID; return the created DTOs in order."""

        async def prepare(position: int, creation: Any) -> BulkItem[Any]:
            checked = self._spec.validate_dto(await self._spec.new_dto(creation))
            checked = stamp_version(self._spec, checked)
            return BulkItem(position, checked.id, checked.dto, self._spec.read_back(checked.dto))

        return await self._bulk(
            dtos,
            operation="insert_many",
            batch_size=batch_size,
            prepare=prepare,
            write_one=self._insert_item,
            keep_dtos=return_dtos,
        )

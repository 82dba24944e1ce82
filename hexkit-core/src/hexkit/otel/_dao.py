"""Traced twins of a DAO factory and its DAOs: one client span per DAO call.

Span names are ``"{db.operation.name} {db.collection.name}"`` (``"get_by_id items"``).
Attributes describe the call, never its data: no IDs, documents, find mappings or
values. Every attribute set is built once per DAO, so a call only starts and ends a span.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from hexkit.migrations import MigrationStore
from hexkit.protocols.dao import BulkResult, DaoFactoryProtocol, DaoSpec, FindResult

from ._spans import Attributes, Spans

__all__ = ["TracedDao", "TracedDaoFactory", "TracedFindResult", "TracedMigratingDaoFactory"]

T = TypeVar("T")

_OPERATIONS = (
    "get_by_id", "insert", "insert_many", "update", "upsert", "upsert_many", "delete",
    "delete_many", "count", "exists", "find_one", "find_all", "total_count",
)  # fmt: skip


class TracedFindResult(FindResult[T]):
    """A ``find_all`` result whose iteration is one span, from the first hit to the last.

    The span records ``db.response.returned_rows``; ``total_count`` is a span of its own.
    """

    def __init__(self, inner: FindResult[T], dao: TracedDao) -> None:
        self._inner = inner
        self._dao = dao
        name, attributes = dao._ops["find_all"]
        self._items = dao._spans.stream(
            name, attributes, inner, count_as="db.response.returned_rows"
        )
        self._started = False

    @property
    def next_cursor(self) -> str | None:
        """The inner result's cursor of the next page."""
        return self._inner.next_cursor

    async def __anext__(self) -> T:
        self._started = True
        return await anext(self._items)

    async def total_count(self) -> int:
        """Count all matches, in a ``total_count`` span."""
        count: int = await self._dao._call("total_count", self._inner.total_count)
        return count

    async def aclose(self) -> None:
        """Close the inner result (and end the span, if iteration began)."""
        if self._started:
            await self._items.aclose()
        else:
            await self._inner.aclose()


class TracedDao:
    """A DAO of either flavour whose calls are spans; everything else is the inner DAO's."""

    def __init__(self, inner: Any, spans: Spans, base: Attributes, collection: str) -> None:
        self._inner = inner
        self._spans = spans
        self._ops: dict[str, tuple[str, Attributes]] = {
            operation: (
                f"{operation} {collection}",
                {**base, "db.operation.name": operation, "db.collection.name": collection},
            )
            for operation in _OPERATIONS
        }

    @property
    def wrapped(self) -> Any:
        """The untraced DAO."""
        return self._inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def _call(self, operation: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        name, attributes = self._ops[operation]
        return await self._spans.call(name, attributes, function, *args, **kwargs)

    async def get_by_id(self, id_: Any) -> Any:
        """Return the resource with this ID (see the DAO protocol)."""
        return await self._call("get_by_id", self._inner.get_by_id, id_)

    async def insert(self, dto: Any) -> Any:
        """Insert a new resource (see the DAO protocol)."""
        return await self._call("insert", self._inner.insert, dto)

    async def insert_many(self, dtos: Iterable[Any] | AsyncIterable[Any], **options: Any) -> Any:
        """Insert every DTO (see the DAO protocol)."""
        return await self._call("insert_many", self._inner.insert_many, dtos, **options)

    async def update(self, dto: Any) -> None:
        """Replace an existing resource (see the DAO protocol)."""
        await self._call("update", self._inner.update, dto)

    async def upsert(self, dto: Any) -> None:
        """Insert or replace the resource (see the DAO protocol)."""
        await self._call("upsert", self._inner.upsert, dto)

    async def upsert_many(
        self, dtos: Iterable[Any] | AsyncIterable[Any], *, batch_size: int | None = None
    ) -> BulkResult:
        """Upsert every DTO (see the DAO protocol)."""
        result: BulkResult = await self._call(
            "upsert_many", self._inner.upsert_many, dtos, batch_size=batch_size
        )
        return result

    async def delete(self, id_: Any) -> None:
        """Delete the resource with this ID (see the DAO protocol)."""
        await self._call("delete", self._inner.delete, id_)

    async def delete_many(
        self, ids: Iterable[Any] | AsyncIterable[Any], *, batch_size: int | None = None
    ) -> BulkResult:
        """Delete the resources with these IDs (see the DAO protocol)."""
        result: BulkResult = await self._call(
            "delete_many", self._inner.delete_many, ids, batch_size=batch_size
        )
        return result

    async def count(self, *, mapping: Mapping[str, Any]) -> int:
        """Count the matches of ``mapping`` (see the DAO protocol)."""
        found: int = await self._call("count", self._inner.count, mapping=mapping)
        return found

    async def exists(self, id_: Any) -> bool:
        """Tell whether the resource exists (see the DAO protocol)."""
        found: bool = await self._call("exists", self._inner.exists, id_)
        return found

    async def find_one(self, *, mapping: Mapping[str, Any]) -> Any:
        """Return the single match (see the DAO protocol)."""
        return await self._call("find_one", self._inner.find_one, mapping=mapping)

    def find_all(
        self,
        *,
        mapping: Mapping[str, Any],
        skip: int | None = None,
        limit: int | None = None,
        sort: Sequence[str] | None = None,
        after: str | None = None,
    ) -> FindResult[Any]:
        """Stream all matches (see the DAO protocol); iterating them is one span."""
        inner = self._inner.find_all(
            mapping=mapping, skip=skip, limit=limit, sort=sort, after=after
        )
        return TracedFindResult(inner, self)


class TracedDaoFactory(DaoFactoryProtocol):
    """A DAO factory whose DAOs trace their calls; transactions are spans too."""

    def __init__(self, inner: DaoFactoryProtocol, spans: Spans, base: Attributes) -> None:
        self._inner = inner
        self._spans = spans
        self._base = dict(base)
        self._transaction = {**base, "db.operation.name": "transaction"}

    @property
    def wrapped(self) -> DaoFactoryProtocol:
        """The untraced factory."""
        return self._inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def _get_dao(self, spec: DaoSpec[Any]) -> Any:
        attributes = {**self._base, "db.operation.name": "get_dao", "db.collection.name": spec.name}
        # The inner factory's own hook, as its get_dao would call it: the spec is valid.
        inner = await self._spans.call(
            f"get_dao {spec.name}",
            attributes,
            self._inner._get_dao,
            spec,
        )
        return TracedDao(inner, self._spans, self._base, spec.name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Run the inner factory's transaction inside a ``transaction`` span.

        A generator runs in its caller's context, so what the inner transaction sets in
        context variables (the provider's "this task's transaction") reaches the block.
        """
        async with self._spans.block("transaction", self._transaction), self._inner.transaction():
            yield


class TracedMigratingDaoFactory(TracedDaoFactory):
    """A traced factory over one that supports migrations (they run untraced)."""

    def migration_store(self) -> MigrationStore:
        """Return the inner factory's migration store."""
        store: MigrationStore = self._inner.migration_store()  # type: ignore[attr-defined]
        return store

"""The result of the memory DAO's ``find_all``: a snapshot taken on first iteration."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

from hexkit.protocols.dao import FindQuery, FindResult, Position, field_value

__all__ = ["MemoryFindResult", "order_key"]

Dto = TypeVar("Dto", bound=BaseModel)


class MemoryFindResult(FindResult[Dto]):
    """Hits taken from a snapshot made on first iteration, copied out one by one.

    ``matches`` returns every match of a query in order; ``copy_out`` turns a stored
    document into the caller's own copy.
    """

    def __init__(
        self,
        query: FindQuery,
        matches: Callable[[FindQuery], list[BaseModel]],
        copy_out: Callable[[BaseModel], Dto],
    ) -> None:
        self._query = query
        self._matches = matches
        self._copy_out = copy_out
        self._hits: Iterator[BaseModel] | None = None

    async def __anext__(self) -> Dto:
        if self._hits is None:
            matches = self._matches(self._query)
            if self._query.after is not None:
                position = self._query.after
                matches = [dto for dto in matches if _is_after(dto, position)]
            end = None if self._query.limit is None else self._query.skip + self._query.limit
            self._hits = iter(matches[self._query.skip : end])
        try:
            dto = self._copy_out(next(self._hits))
        except StopIteration:
            if self._page is not None:
                self._page.ended()
            raise StopAsyncIteration from None
        if self._page is not None:
            self._page.seen(dto)
        return dto

    async def total_count(self) -> int:
        """Count every match, ignoring skip, limit and after."""
        return len(self._matches(self._query))


def order_key(value: Any) -> tuple[int, Any]:
    """Return what a value sorts by: ``None`` first, enums by value, datetimes by text."""
    if isinstance(value, Enum):
        value = value.value  # backends store and sort an enum's value
    elif isinstance(value, datetime):
        # Backends sort datetimes by their stored text (aware ones in UTC, "+00:00"):
        # by instant within a kind, and naive and aware ones mixed without an error.
        value = value.isoformat(timespec="microseconds")
    return (0, 0) if value is None else (1, value)


def _is_after(dto: BaseModel, position: Position) -> bool:
    """Tell whether ``dto`` comes strictly after ``position`` in the find's total order."""
    for (path, descending), value in zip(position.keys, position.values, strict=True):
        mine, theirs = order_key(field_value(dto, path)), order_key(value)
        if mine != theirs:
            return mine < theirs if descending else mine > theirs
    return False  # the very item the cursor names

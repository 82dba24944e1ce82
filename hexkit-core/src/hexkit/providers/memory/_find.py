"""The result of the memory DAO's ``find_all``: a snapshot taken on first iteration."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from pydantic import BaseModel

from hexkit.protocols.dao import FindQuery, FindResult

__all__ = ["MemoryFindResult"]

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
            end = None if self._query.limit is None else self._query.skip + self._query.limit
            self._hits = iter(matches[self._query.skip : end])
        try:
            return self._copy_out(next(self._hits))
        except StopIteration:
            raise StopAsyncIteration from None

    async def total_count(self) -> int:
        """Count every match, ignoring skip and limit."""
        return len(self._matches(self._query))

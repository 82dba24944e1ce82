"""The result of ``find_all``: rows streamed from a server-side cursor in batches.

A result whose limit fits one batch is fetched with one query. Larger ones open a
cursor inside a read-only REPEATABLE READ transaction (or inside the caller's open
transaction) and fetch :data:`FIND_BATCH_SIZE` rows per round trip, so client memory stays
bounded by the batch whatever the number of hits, and the pages come from one snapshot.
The cursor holds a pooled connection until the result is consumed or ``aclose()``d.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from hexkit.protocols.dao import FindQuery, FindResult

from ._driver import Connection, Connections, Cursor, Held, Record, discard

__all__ = ["FIND_BATCH_SIZE", "FindStatement", "PostgresFindResult"]

Dto = TypeVar("Dto", bound=BaseModel)

# Rows per round trip of a streamed find: public as
# ``hexkit.providers.postgres.FIND_BATCH_SIZE`` for benchmarks and raw-driver interop.
FIND_BATCH_SIZE = 500


@dataclass(frozen=True)
class FindStatement(Generic[Dto]):
    """What a find result needs from its DAO: the statements, their arguments, a decoder.

    ``select`` takes ``args``, then ``after_args`` (the keyset condition's), then skip and
    limit; ``count`` builds the COUNT on demand (``total_count`` is rare) and takes
    ``args``; ``to_dto`` turns a row's ID and JSONB text into a DTO.
    """

    collection: str
    select: str
    count: Callable[[], str]
    args: list[Any]
    to_dto: Callable[[Any, str], Dto]
    after_args: tuple[Any, ...] = ()


class PostgresFindResult(FindResult[Dto]):
    """Hits of one find, validated one by one as the caller advances."""

    def __init__(
        self, connections: Connections, query: FindQuery, statement: FindStatement[Dto]
    ) -> None:
        self._query = query
        self._connections = connections
        self._statement = statement
        self._name = statement.collection
        self._args = statement.args
        self._select_args = (*statement.args, *statement.after_args)
        self._to_dto = statement.to_dto
        self._rows: list[Record] = []
        self._position = 0
        self._done = query.limit == 0
        self._cursor: Cursor | None = None
        self._owned: Connection | None = None  # a pooled connection held for the cursor
        self._held: Held | None = connections.held()
        self._loop = asyncio.get_running_loop()

    async def __anext__(self) -> Dto:
        if self._position >= len(self._rows):
            try:
                await self._next_batch()
            except StopAsyncIteration:
                if self._page is not None:
                    self._page.ended()
                raise
        row = self._rows[self._position]
        self._position += 1
        dto = self._to_dto(row[0], row[1])
        if self._page is not None:
            self._page.seen(dto)
        return dto

    async def _next_batch(self) -> None:
        if self._done:
            raise StopAsyncIteration
        limit = self._query.limit
        if self._cursor is None and limit is not None and limit <= FIND_BATCH_SIZE:
            sql = self._statement.select
            args = (*self._select_args, self._query.skip, limit)
            self._rows = await self._connections.run(
                lambda connection: connection.fetch(sql, *args), collection=self._name
            )
            self._done = True
        else:
            self._rows = await self._fetch_from_cursor()
        self._position = 0
        if not self._rows:
            self._done = True
            raise StopAsyncIteration

    async def _fetch_from_cursor(self) -> list[Record]:
        connections = self._connections
        async with connections.guard(collection=self._name) as state:
            if self._held is not None:
                async with self._held.lock:
                    if self._cursor is None:
                        self._cursor = await self._open_cursor(self._held.connection)
                    rows = await self._cursor.fetch(FIND_BATCH_SIZE)
            else:
                if self._cursor is None or self._owned is None:
                    owned = self._owned = await connections.acquire(state)
                    try:
                        await owned.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                        self._cursor = await self._open_cursor(owned)
                    except BaseException as error:
                        await self._give_back(error)
                        raise
                else:
                    owned = self._owned
                try:
                    rows = await self._cursor.fetch(FIND_BATCH_SIZE)
                    if len(rows) < FIND_BATCH_SIZE:
                        await owned.execute("COMMIT")
                        await self._give_back()
                except BaseException as error:
                    await self._give_back(error)
                    raise
        if len(rows) < FIND_BATCH_SIZE:
            self._done = True
        return rows

    async def _open_cursor(self, connection: Connection) -> Cursor:
        return await connection.cursor(
            self._statement.select, *self._select_args, self._query.skip, self._query.limit
        )

    async def _give_back(self, error: BaseException | None = None) -> None:
        owned, self._owned = self._owned, None
        self._cursor = None
        if owned is not None:
            await self._connections.release(owned, error)

    async def total_count(self) -> int:
        """Count every match, ignoring skip, limit and after."""
        sql = self._statement.count()
        count: int = await self._connections.run(
            lambda connection: connection.fetchval(sql, *self._args), collection=self._name
        )
        return count

    async def aclose(self) -> None:
        """Release the cursor and its connection of a result not consumed to the end."""
        self._done, self._rows, self._position = True, [], 0
        await self._give_back()  # the pool's reset rolls the read-only transaction back

    def __del__(self) -> None:
        # An abandoned result must not keep its pooled connection forever.
        owned = self._owned
        if owned is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(discard, owned)

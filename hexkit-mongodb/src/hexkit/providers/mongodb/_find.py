"""The result of ``find_all``: hits streamed from a server-side cursor in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import PyMongoError

from hexkit.protocols.dao import DaoError, FindQuery, FindResult, Position, ProviderClosedError

from ._codec import datetime_condition, encode_value
from ._driver import Collection, Cursor, Document, Session, maybe_await

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["BATCH_SIZE", "MongoFindResult", "MongoQueries"]

Dto = TypeVar("Dto", bound=BaseModel)

# Documents fetched per round trip while streaming find_all: bounds client memory
# independently of the number of hits (the server's default is up to 16 MiB). Each
# round trip costs client CPU too: with 1000, find_all cost ~1.15x the CPU of a raw
# cursor plus model_validate per document; with 4000, ~1.0x (bench/README.md).
BATCH_SIZE = 4000


class MongoFindResult(FindResult[Dto]):
    """Hits streamed from a server-side cursor opened on first iteration.

    Documents are taken from the cursor a batch at a time (one round trip each) and
    validated one by one as the caller advances, so memory stays bounded by the batch
    size and a document that no longer validates fails at its own position. The DAO
    hands over what the result needs: the collection, the translated query (filter and
    sort), the session, and how to decode a document and translate a driver error.
    """

    def __init__(
        self,
        collection: Collection,
        query: FindQuery,
        *,
        filter_: Mapping[str, Any],
        after: Mapping[str, Any] | None = None,
        sort: list[tuple[str, int]],
        session: Session | None,
        to_dto: Callable[[Document], Dto],
        translate: Callable[[PyMongoError], DaoError | ProviderClosedError],
        check_open: Callable[[], None],
    ) -> None:
        self._check_open = check_open
        self._collection = collection
        self._query = query
        self._filter = filter_
        self._find_filter = filter_ if after is None else {"$and": [filter_, after]}
        self._sort = sort
        self._session = session
        self._to_dto = to_dto
        self._translate = translate
        self._cursor: Cursor | None = None
        self._documents: Iterator[Document] = iter(())
        self._exhausted = query.limit == 0  # MongoDB reads limit 0 as "no limit"

    def _open(self) -> Cursor:
        options: dict[str, Any] = {"skip": self._query.skip, "batch_size": BATCH_SIZE}
        if self._query.limit is not None:
            options["limit"] = self._query.limit
        options["sort"] = self._sort  # by ID at least: stable pages
        return self._collection.find(self._find_filter, session=self._session, **options)

    async def _fetch(self) -> None:
        if self._exhausted:
            raise StopAsyncIteration
        self._check_open()
        if self._cursor is None:
            self._cursor = self._open()
        try:
            batch = await self._cursor.to_list(length=BATCH_SIZE)
        except PyMongoError as error:
            raise self._translate(error) from error
        if not batch:
            self._exhausted = True
            raise StopAsyncIteration
        self._documents = iter(batch)

    async def __anext__(self) -> Dto:
        # The per-document path of every find_all: kept to one C-level next().
        document = next(self._documents, None)
        if document is None:
            try:
                await self._fetch()
            except StopAsyncIteration:
                if self._page is not None:
                    self._page.ended()
                raise
            document = next(self._documents)
        dto = self._to_dto(document)
        if self._page is not None:
            self._page.seen(dto)
        return dto

    async def total_count(self) -> int:
        """Count every match, ignoring skip, limit and after."""
        self._check_open()
        try:
            return await self._collection.count_documents(self._filter, session=self._session)
        except PyMongoError as error:
            raise self._translate(error) from error

    async def aclose(self) -> None:
        """Close the server-side cursor of a result not consumed to the end."""
        self._documents, self._exhausted = iter(()), True
        if self._cursor is not None:
            cursor, self._cursor = self._cursor, None
            try:
                await maybe_await(cursor.close())
            except PyMongoError as error:
                raise self._translate(error) from error


class MongoQueries:
    """Translates the protocol's find queries into MongoDB filters and sorts for one DAO.

    ``dates`` encodes a datetime as the collection stores it, ``find_dates`` as a find
    value matches it (also a BSON date of the same instant, for other tools' data).
    """

    def __init__(
        self,
        id_field: str,
        dates: Callable[[datetime], Any],
        find_dates: Callable[[datetime], Any],
    ) -> None:
        self._id_field = id_field
        self._dates = dates
        self._find_dates = find_dates

    def path(self, path: str) -> str:
        return "_id" if path == self._id_field else path

    def filter(self, query: FindQuery) -> dict[str, Any]:
        # "$eq" makes every value literal: a dict such as {"$ne": None} is compared
        # as a value and never read as an operator.
        # A datetime also matches a BSON date of the same instant (other tools' data).
        return {
            self.path(path): datetime_condition(value)
            if isinstance(value, datetime)
            else {"$eq": encode_value(value, self._find_dates)}
            for path, value in query.conditions
        }

    def after(self, position: Position) -> dict[str, Any]:
        """Return the filter of documents strictly after ``position`` in the find's order.

        An ``$or`` of one branch per key: the keys before it equal, this one beyond.
        Comparisons only match values of the same BSON type, so ``$gt`` never matches a
        null; nulls sort first ascending and last descending (``{path: None}`` also
        matches a missing field, which sorts as null).
        """
        branches: list[dict[str, Any]] = []
        equal: list[dict[str, Any]] = []
        for (path, descending), value in zip(position.keys, position.values, strict=True):
            field = self.path(path)
            stored = None if value is None else encode_value(value, self._dates)
            beyond: dict[str, Any] | None
            if stored is None:
                beyond = None if descending else {field: {"$ne": None}}
            elif descending:
                beyond = {"$or": [{field: {"$lt": stored}}, {field: None}]}
            else:
                beyond = {field: {"$gt": stored}}
            if beyond is not None:
                branches.append({"$and": [*equal, beyond]} if equal else beyond)
            equal.append({field: None} if stored is None else {field: {"$eq": stored}})
        return {"$or": branches} if branches else {"_id": {"$in": []}}

    def sort(self, query: FindQuery) -> list[tuple[str, int]]:
        keys = [(self.path(path), DESCENDING if desc else ASCENDING) for path, desc in query.sort]
        if all(path != "_id" for path, _ in keys):
            keys.append(("_id", ASCENDING))  # a total order, so skip/limit pages are stable
        return keys

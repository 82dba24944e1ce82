"""The MongoDB DAOs: one collection each, documents as described in ``_codec``."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pymongo.errors import DocumentTooLarge, DuplicateKeyError, PyMongoError

from hexkit.protocols.dao import (
    INITIAL_VERSION,
    BulkInsertResult,
    BulkItem,
    BulkResult,
    CursorSigner,
    DaoError,
    DaoSpec,
    FindResult,
    PageTracker,
    ProviderClosedError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    check_delete_version,
    expected_version,
    single_hit,
    stamp_version,
    stored_document_error,
)

from ._bulk import MongoBulk
from ._codec import (
    BsonDateError,
    bson_date,
    bson_date_or_text,
    datetime_text,
    decimal_fields,
    decode_document,
    encode_document,
)
from ._driver import Collection, Document, Session, Sessions
from ._errors import UNENCODABLE, bson_date_refused, refused_document, translated
from ._find import MongoFindResult, MongoQueries
from ._versions import VersionedWrites

__all__ = ["MongoDbDao", "MongoDbDaoSurrogateId"]

Dto = TypeVar("Dto", bound=BaseModel)

# A concurrent upsert of the same new ID can lose the race for the _id index;
# the retry then replaces the winner's document, as a later upsert should.
_UPSERT_ATTEMPTS = 5


class _MongoDbDaoBase(Generic[Dto]):
    """What both DAO flavours share: everything but ``insert``.

    ``sessions`` is the factory's state a DAO needs (the transaction's session and the
    client's health); ``bson_dates`` says whether this collection keeps BSON dates;
    ``signer`` signs and checks find cursors with the factory's secret.
    """

    def __init__(
        self,
        sessions: Sessions,
        spec: DaoSpec[Dto],
        collection: Collection,
        *,
        bson_dates: bool,
        signer: CursorSigner,
    ) -> None:
        self._sessions = sessions
        self._signer = signer
        self._spec = spec
        self._collection = collection
        self._name = spec.name
        self._id_field = spec.id_field
        # Only these top-level fields are searched for Decimal128 values on reads.
        self._decimal_fields = decimal_fields(spec.dto_model)
        # model_validate without its Python wrapper: the hot call of every read.
        self._validate = spec.dto_model.__pydantic_validator__.validate_python
        self._bson_dates = bson_dates
        self._dates = bson_date if self._bson_dates else datetime_text
        self._find_dates = bson_date_or_text if self._bson_dates else datetime_text
        self._queries = MongoQueries(self._id_field, self._dates, self._find_dates)
        self._bulk = MongoBulk(sessions, collection, spec.name, spec.id_field, self._translated)
        self._versions = VersionedWrites(spec, collection, self._session, self._translated)

    def __repr__(self) -> str:
        model = self._spec.dto_model.__name__
        return f"{type(self).__name__}(collection={self._name!r}, dto={model})"

    # --- helpers -------------------------------------------------------------------

    def _session(self) -> Session | None:
        return self._sessions.current()

    def _translated(self, error: PyMongoError, id_: Any = None) -> DaoError | ProviderClosedError:
        if self._sessions.closed:  # the client was closed under the call
            return ProviderClosedError(provider="MongoDbDaoFactory")
        return translated(
            error,
            collection=self._name,
            id_=id_,
            id_field=self._id_field,
            in_transaction=self._session() is not None,
            server_hangs=self._sessions.server_hangs(),
        )

    def _encode(self, dto: Any, *, new: bool = False) -> tuple[Any, Document, Dto, int | None]:
        """Validate a DTO for a write (``DaoSpec.validate_dto``) and encode it.

        Returns its ID, document, the DTO as stored and the version the write is based
        on (``None`` if unversioned), which stores version 1 (``new``) or that plus 1.
        """
        checked = self._spec.validate_dto(dto)
        expected = expected_version(self._spec, checked)
        if expected is not None:
            version = INITIAL_VERSION if new else expected + 1
            checked = stamp_version(self._spec, checked, version)
        try:
            document = encode_document(checked.document, self._id_field, self._dates)
            return checked.id, document, self._spec.read_back(checked.dto), expected
        except BsonDateError as error:
            raise bson_date_refused(error, self._name, checked.id) from error

    def _to_dto(self, document: Document) -> Dto:
        fields = decode_document(document, self._id_field, self._decimal_fields)
        try:
            dto: Dto = self._validate(fields, by_name=True, strict=False)
        except ValidationError as error:
            id_, where = fields[self._id_field], f"collection {self._name!r}"
            model = self._spec.dto_model
            raise stored_document_error(error, model=model, id_=id_, where=where) from error
        return dto

    # --- the DAO protocol ------------------------------------------------------------

    async def get_by_id(self, id_: Any) -> Dto:
        """Return the resource with this ID or raise ``ResourceNotFoundError``."""
        key = self._spec.validate_id(id_)
        try:
            document = await self._collection.find_one({"_id": key}, session=self._session())
        except PyMongoError as error:
            raise self._translated(error, key) from error
        if document is None:
            raise ResourceNotFoundError(id_=key, collection=self._name)
        return self._to_dto(document)

    async def _insert(self, dto: BaseModel) -> Dto:
        key, document, stored, _ = self._encode(dto, new=True)
        session = self._session()
        try:
            await self._collection.insert_one(document, session=session)
        except UNENCODABLE as error:
            raise refused_document(error, self._name, key, document) from error
        except DuplicateKeyError as error:
            # The server may report a unique index before the _id index; a taken ID
            # is the more fundamental conflict, as in the reference implementation.
            if await self._id_taken(document["_id"], session):
                raise ResourceAlreadyExistsError(id_=key, collection=self._name) from error
            raise self._translated(error, key) from error
        except PyMongoError as error:
            raise self._translated(error, key) from error
        return stored

    async def _id_taken(self, id_: Any, session: Session | None) -> bool:
        # In a transaction the failed write has aborted it: look at what is committed.
        for reader in (session, None) if session is not None else (None,):
            try:
                found = await self._collection.find_one({"_id": id_}, {"_id": 1}, session=reader)
            except PyMongoError:
                continue
            return found is not None
        return False

    async def update(self, dto: Dto) -> Dto:
        """Replace an existing resource (of ``dto``'s version, if versioned); return it."""
        key, document, stored, expected = self._encode(dto)
        if expected is not None:
            await self._versions.replace(key, document, expected)
            return stored
        try:
            result = await self._collection.replace_one(
                {"_id": document["_id"]}, document, session=self._session()
            )
        except UNENCODABLE as error:
            raise refused_document(error, self._name, key, document) from error
        except PyMongoError as error:
            raise self._translated(error, key) from error
        if result.matched_count == 0:
            raise ResourceNotFoundError(id_=key, collection=self._name)
        return stored

    async def upsert(self, dto: Dto) -> Dto:
        """Insert the resource, or replace it if its ID exists; return it as stored."""
        key, document, stored, expected = self._encode(dto)
        if expected is not None:  # version 0 creates; others update (see _versions)
            await self._versions.replace(key, document, expected, create=expected == 0)
            return stored
        session = self._session()
        for attempt in range(_UPSERT_ATTEMPTS):
            try:
                await self._collection.replace_one(
                    {"_id": document["_id"]}, document, upsert=True, session=session
                )
            except UNENCODABLE as error:
                raise refused_document(error, self._name, key, document) from error
            except DuplicateKeyError as error:
                retry = (
                    session is None
                    and attempt + 1 < _UPSERT_ATTEMPTS
                    and (error.details or {}).get("keyPattern") == {"_id": 1}
                )
                if not retry:
                    raise self._translated(error, key) from error
            except PyMongoError as error:
                raise self._translated(error, key) from error
            else:
                break
        return stored

    async def delete(self, id_: Any, *, version: int | None = None) -> None:
        """Delete the resource with this ID (of this ``version``, if given)."""
        check_delete_version(self._spec, version)
        key = self._spec.validate_id(id_)
        if version is not None:
            await self._versions.delete(key, version)
            return
        try:
            result = await self._collection.delete_one({"_id": key}, session=self._session())
        except PyMongoError as error:
            raise self._translated(error, key) from error
        if result.deleted_count == 0:
            raise ResourceNotFoundError(id_=key, collection=self._name)

    # --- bulk writes, counts and existence -------------------------------------------

    async def _prepare_dto(
        self, position: int, dto: Any, created: Any = None, *, versioned_upsert: bool = False
    ) -> BulkItem[Any]:
        """Validate and encode one item of a bulk write (its failure is the item's).

        The item of a versioned upsert holds its document and the version it expects.
        """
        key, document, _, expected = self._encode(dto, new=not versioned_upsert)
        try:
            raw = self._bulk.raw(document)
        except (*UNENCODABLE, DocumentTooLarge) as error:
            raise refused_document(error, self._name, key, document) from error
        return BulkItem(position, key, (raw, expected) if versioned_upsert else raw, created)

    async def upsert_many(
        self, dtos: Iterable[Dto] | AsyncIterable[Dto], *, batch_size: int | None = None
    ) -> BulkResult:
        """Upsert every DTO, one bulk command per batch; see the protocol's outcome rule.

        On a versioned DAO each item is a versioned ``upsert``, written in input order
        (a stale one fails with ``ResourceChangedError``).
        """
        if self._spec.version_field is None:
            return await self._bulk.run(
                dtos, operation="upsert_many", batch_size=batch_size, prepare=self._prepare_dto
            )
        return await self._bulk.run(
            dtos,
            operation="upsert_many",
            batch_size=batch_size,
            prepare=functools.partial(self._prepare_dto, versioned_upsert=True),
            write_one=self._versions.write_item,
        )

    async def delete_many(
        self, ids: Iterable[Any] | AsyncIterable[Any], *, batch_size: int | None = None
    ) -> BulkResult:
        """Delete the resources with these IDs, two round trips per batch."""

        async def prepare(position: int, id_: Any) -> BulkItem[Any]:
            return BulkItem(position, self._spec.validate_id(id_), None)

        return await self._bulk.run(
            ids, operation="delete_many", batch_size=batch_size, prepare=prepare
        )

    async def count(self, *, mapping: Mapping[str, Any]) -> int:
        """Count the matches of ``mapping`` on the server."""
        query = self._spec.find_query(mapping)
        try:
            total: int = await self._collection.count_documents(
                self._queries.filter(query), session=self._session()
            )
        except PyMongoError as error:
            raise self._translated(error) from error
        return total

    async def exists(self, id_: Any) -> bool:
        """Tell whether a resource with this ID exists, without reading it."""
        key = self._spec.validate_id(id_)
        try:
            found = await self._collection.find_one(
                {"_id": key}, {"_id": 1}, session=self._session()
            )
        except PyMongoError as error:
            raise self._translated(error, key) from error
        return found is not None

    async def find_one(self, *, mapping: Mapping[str, Any]) -> Dto:
        """Return the single match or raise ``NoHitsFoundError``/``MultipleHitsFoundError``."""
        query = self._spec.find_query(mapping, limit=2)
        try:
            cursor = self._collection.find(
                self._queries.filter(query), limit=2, session=self._session()
            )
            documents = await cursor.to_list(length=2)
        except PyMongoError as error:
            raise self._translated(error) from error
        return self._to_dto(single_hit(documents, mapping))

    def find_all(
        self,
        *,
        mapping: Mapping[str, Any],
        skip: int | None = None,
        limit: int | None = None,
        sort: Sequence[str] | None = None,
        after: str | None = None,
    ) -> FindResult[Dto]:
        """Stream the matches; ``sort`` names fields, ``-`` for descending."""
        query = self._spec.find_query(
            mapping, skip=skip, limit=limit, sort=sort, after=after, signer=self._signer
        )
        result = MongoFindResult(
            self._collection,
            query,
            filter_=self._queries.filter(query),
            after=None if query.after is None else self._queries.after(query.after),
            sort=self._queries.sort(query),
            session=self._session(),
            to_dto=self._to_dto,
            translate=self._translated,
            check_open=self._sessions.check_open,
        )
        if query.limit is not None:
            result._page = PageTracker(self._signer, self._spec, query)
        return result


class MongoDbDao(_MongoDbDaoBase[Dto]):
    """A DAO over one MongoDB collection; callers choose the IDs."""

    async def insert(self, dto: Dto) -> Dto:
        """Insert a new resource or raise ``ResourceAlreadyExistsError``; return it as stored."""
        return await self._insert(dto)

    async def insert_many(
        self, dtos: Iterable[Dto] | AsyncIterable[Dto], *, batch_size: int | None = None
    ) -> BulkResult:
        """Insert every DTO, one bulk command per batch; see the protocol's outcome rule."""
        return await self._bulk.run(
            dtos, operation="insert_many", batch_size=batch_size, prepare=self._prepare_dto
        )


class MongoDbDaoSurrogateId(_MongoDbDaoBase[Dto]):
    """A MongoDB DAO that assigns IDs on insert."""

    async def insert(self, dto: BaseModel) -> Dto:
        """Insert a new resource with a fresh ID and return it."""
        return await self._insert(await self._spec.new_dto(dto))

    async def insert_many(
        self,
        dtos: Iterable[BaseModel] | AsyncIterable[BaseModel],
        *,
        batch_size: int | None = None,
        return_dtos: bool = True,
    ) -> BulkInsertResult[Dto]:
        """Insert every creation DTO with a fresh ID; return the created DTOs in order."""

        async def prepare(position: int, creation: Any) -> BulkItem[Any]:
            full = await self._spec.new_dto(creation)
            if self._spec.version_field is not None:  # as stored: at the first version
                full = full.model_copy(update={self._spec.version_field: INITIAL_VERSION})
            return await self._prepare_dto(
                position, full, self._spec.read_back(full) if return_dtos else None
            )

        return await self._bulk.run(
            dtos,
            operation="insert_many",
            batch_size=batch_size,
            prepare=prepare,
            keep_dtos=return_dtos,
        )

"""The PostgreSQL DAOs: one table each, rows as described in ``_sql`` and ``_codec``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from hexkit.protocols.dao import (
    BulkInsertResult,
    BulkItem,
    BulkResult,
    CursorSigner,
    DaoError,
    DaoSpec,
    FindQuery,
    FindResult,
    InvalidIdError,
    PageTracker,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    ValidatedDto,
    changed_error,
    check_delete_version,
    expected_version,
    single_hit,
    stamp_version,
    stored_document_error,
)

from ._bulk import PostgresBulk
from ._codec import dump_value, dumper_for, encode_document, loader_for
from ._driver import Connections, Record
from ._find import FindStatement, PostgresFindResult
from ._sql import TableSql

__all__ = ["PostgresDao", "PostgresDaoSurrogateId"]

Dto = TypeVar("Dto", bound=BaseModel)

_INT64 = (-(2**63), 2**63 - 1)
_MAX_CACHED_FINDS = 256  # distinct (fields, sort, paged) shapes of finds kept per DAO


class _PostgresDaoBase(Generic[Dto]):
    """What both DAO flavours share: everything but ``insert``."""

    def __init__(
        self, connections: Connections, spec: DaoSpec[Dto], sql: TableSql, signer: CursorSigner
    ) -> None:
        self._connections = connections
        self._signer = signer
        self._spec = spec
        self._sql = sql
        self._name = spec.name
        self._id_field = spec.id_field
        self._unique = {sql.index_name(index): index.fields for index in spec.indexes}
        self._load = loader_for(spec.dto_model)
        self._dump = dumper_for(spec.dto_model)
        self._select = sql.select_by_id()
        self._insert_sql = sql.insert()
        self._update_sql = sql.update()
        self._upsert_sql = sql.upsert()
        self._delete_sql = sql.delete()
        self._finds: dict[tuple[Any, ...], str] = {}
        self._bulk = PostgresBulk(connections, spec, sql, self._unique, self._upsert_sql)
        self._exists_sql = sql.exists()

    def __repr__(self) -> str:
        model = self._spec.dto_model.__name__
        return f"{type(self).__name__}(table={self._sql.qualified}, dto={model})"

    # --- helpers -------------------------------------------------------------------

    def _key(self, key: Any) -> Any:
        """Return an ID as the column takes it, or raise ``InvalidIdError``."""
        if self._spec.id_type == "int" and not _INT64[0] <= key <= _INT64[1]:
            raise InvalidIdError(id_=key, expected="int in the signed 64-bit range")
        if self._spec.id_type == "str" and "\x00" in key:
            raise InvalidIdError(id_=key, expected="str without NUL characters")
        return key

    def _encode(self, checked: ValidatedDto[Any]) -> tuple[Any, str]:
        """Return the ID and JSONB text of a DTO checked by ``DaoSpec.validate_dto``."""
        id_, data = encode_document(checked.document, self._id_field, self._dump)
        return self._key(id_), data

    def _encode_new(self, dto: Any) -> tuple[Any, str]:
        """Validate a DTO for an insert (at the first version, if versioned); encode it."""
        return self._encode(stamp_version(self._spec, self._spec.validate_dto(dto)))

    def find_sql(self, query: FindQuery, *, paged: bool) -> str:
        """Return the SELECT of a find, built once per shape (fields, sort, paging, after)."""
        after = None if query.after is None else tuple(v is None for v in query.after.values)
        shape = (tuple(path for path, _ in query.conditions), query.sort, paged, after)
        sql = self._finds.get(shape)
        if sql is None:
            if len(self._finds) >= _MAX_CACHED_FINDS:
                self._finds.clear()
            sql = self._finds[shape] = self._sql.find(query, paged=paged)
        return sql

    def _condition_args(self, query: FindQuery) -> list[Any]:
        return [
            self._key(value) if path == self._id_field else dump_value(value)
            for path, value in query.conditions
        ]

    def _after_args(self, query: FindQuery) -> tuple[Any, ...]:
        """Return the parameters of the keyset condition (see ``TableSql.after``)."""
        if query.after is None:
            return ()
        args: list[Any] = []
        for (path, _), value in zip(query.after.keys, query.after.values, strict=True):
            if path == self._id_field:
                args.append(self._key(value))
            elif value is not None or not self._sql.order_term(path)[1]:
                args.append(dump_value(value))
        return tuple(args)

    def _to_dto(self, id_: Any, text: str) -> Dto:
        try:
            document = self._load(text)
            document[self._id_field] = id_
            return self._spec.dto_model.model_validate(document, by_name=True, strict=False)
        except ValidationError as error:
            raise stored_document_error(
                error, model=self._spec.dto_model, id_=id_, where=f"table {self._sql.qualified}"
            ) from error

    async def _execute(self, sql: str, *args: Any) -> str:
        status: str = await self._connections.run(
            lambda connection: connection.execute(sql, *args),
            collection=self._name,
            unique_indexes=self._unique,
        )
        return status

    # --- the DAO protocol ------------------------------------------------------------

    async def get_by_id(self, id_: Any) -> Dto:
        """Return the resource with this ID or raise ``ResourceNotFoundError``."""
        key = self._key(self._spec.validate_id(id_))
        text = await self._connections.run(
            lambda connection: connection.fetchval(self._select, key), collection=self._name
        )
        if text is None:
            raise ResourceNotFoundError(id_=key, collection=self._name)
        return self._to_dto(key, text)

    async def _insert(self, dto: BaseModel) -> Dto:
        checked = stamp_version(self._spec, self._spec.validate_dto(dto))
        key, data = self._encode(checked)
        # ON CONFLICT (id) checks the primary key first: a taken ID is reported as such
        # even when the document also clashes on a unique index.
        if await self._execute(self._insert_sql, key, data) == "INSERT 0 0":
            raise ResourceAlreadyExistsError(id_=key, collection=self._name)
        return self._spec.read_back(checked.dto)  # sets as reads return them

    async def _fetch_id(self, sql: str, *args: Any) -> Any:
        """Run a conditional write; return the ID it wrote, or ``None`` if the check failed."""
        return await self._connections.run(
            lambda connection: connection.fetchval(sql, *args),
            collection=self._name,
            unique_indexes=self._unique,
        )

    async def _changed(self, key: Any, expected: int) -> DaoError:
        """Return the error of a failed version check, reading what is stored now."""
        text = await self._connections.run(
            lambda connection: connection.fetchval(self._sql.select_version(), key),
            collection=self._name,
        )
        stored = None if text is None else json.loads(text)
        return changed_error(id_=key, expected=expected, stored=stored, collection=self._name)

    async def update(self, dto: Dto) -> Dto:
        """Replace an existing resource (of ``dto``'s version, if versioned); return it."""
        checked = self._spec.validate_dto(dto)
        expected = expected_version(self._spec, checked)
        if expected is None:
            key, data = self._encode(checked)
            if await self._execute(self._update_sql, key, data) == "UPDATE 0":
                raise ResourceNotFoundError(id_=key, collection=self._name)
        else:
            checked = stamp_version(self._spec, checked, expected + 1)
            key, data = self._encode(checked)
            sql = self._sql.update_versioned()
            if await self._fetch_id(sql, key, data, dump_value(expected)) is None:
                raise await self._changed(key, expected)
        return self._spec.read_back(checked.dto)

    async def upsert(self, dto: Dto) -> Dto:
        """Insert the resource, or replace it if its ID exists; return it as stored."""
        checked = self._spec.validate_dto(dto)
        expected = expected_version(self._spec, checked)
        if expected is None:
            await self._execute(self._upsert_sql, *self._encode(checked))
            return self._spec.read_back(checked.dto)
        checked = stamp_version(self._spec, checked, expected + 1)
        key, data = self._encode(checked)
        await self._write_versioned(key, data, expected)
        return self._spec.read_back(checked.dto)

    async def _write_versioned(self, key: Any, data: str, expected: int) -> None:
        """Write a versioned upsert: version 0 creates, any other updates that version.

        Only version 0 creates, so a resource deleted since it was read stays gone.
        """
        sql = self._sql.upsert_new() if expected == 0 else self._sql.update_versioned()
        if await self._fetch_id(sql, key, data, dump_value(expected)) is None:
            raise await self._changed(key, expected)

    async def delete(self, id_: Any, *, version: int | None = None) -> None:
        """Delete the resource with this ID (of this ``version``, if given)."""
        check_delete_version(self._spec, version)
        key = self._key(self._spec.validate_id(id_))
        if version is not None:
            sql = self._sql.delete_versioned()
            if await self._fetch_id(sql, key, dump_value(version)) is None:
                raise await self._changed(key, version)
        elif await self._execute(self._delete_sql, key) == "DELETE 0":
            raise ResourceNotFoundError(id_=key, collection=self._name)

    async def _prepare_dto(self, position: int, dto: Any) -> BulkItem[Any]:
        key, data = self._encode_new(dto)  # inserts, and upserts of unversioned DAOs
        return BulkItem(position, key, data)

    async def _prepare_versioned(self, position: int, dto: Any) -> BulkItem[Any]:
        """Validate an item of a versioned upsert: it stores the version after its own."""
        checked = self._spec.validate_dto(dto)
        expected = expected_version(self._spec, checked) or 0
        key, data = self._encode(stamp_version(self._spec, checked, expected + 1))
        return BulkItem(position, key, (data, dump_value(expected)))

    async def _write_versioned_item(self, item: BulkItem[Any]) -> None:
        data, expected = item.value
        await self._write_versioned(item.id, data, json.loads(expected))

    async def upsert_many(
        self, dtos: Iterable[Dto] | AsyncIterable[Dto], *, batch_size: int | None = None
    ) -> BulkResult:
        """Upsert every DTO, one statement per batch; see the protocol's bulk outcome rule.

        On a versioned DAO each item is a versioned ``upsert`` (a stale one fails with
        ``ResourceChangedError``); an ID's later item in the input expects the version
        its earlier one stored.
        """
        if self._spec.version_field is None:
            return await self._bulk.run(
                dtos, operation="upsert_many", batch_size=batch_size, prepare=self._prepare_dto
            )
        return await self._bulk.run(
            dtos,
            operation="upsert_many",
            batch_size=batch_size,
            prepare=self._prepare_versioned,
            write_one=self._write_versioned_item,
        )

    async def delete_many(
        self, ids: Iterable[Any] | AsyncIterable[Any], *, batch_size: int | None = None
    ) -> BulkResult:
        """Delete the resources with these IDs, one statement per batch."""

        async def prepare(position: int, id_: Any) -> BulkItem[Any]:
            return BulkItem(position, self._key(self._spec.validate_id(id_)), None)

        return await self._bulk.run(
            ids, operation="delete_many", batch_size=batch_size, prepare=prepare
        )

    async def count(self, *, mapping: Mapping[str, Any]) -> int:
        """Count the matches of ``mapping`` on the server."""
        query = self._spec.find_query(mapping)
        sql = self._sql.count(query)
        args = self._condition_args(query)
        total: int = await self._connections.run(
            lambda connection: connection.fetchval(sql, *args), collection=self._name
        )
        return total

    async def exists(self, id_: Any) -> bool:
        """Tell whether a resource with this ID exists, without reading it."""
        key = self._key(self._spec.validate_id(id_))
        found: bool = await self._connections.run(
            lambda connection: connection.fetchval(self._exists_sql, key), collection=self._name
        )
        return found

    async def find_one(self, *, mapping: Mapping[str, Any]) -> Dto:
        """Return the single match or raise ``NoHitsFoundError``/``MultipleHitsFoundError``."""
        query = self._spec.find_query(mapping, limit=2)
        sql = self.find_sql(query, paged=True)
        args = (*self._condition_args(query), 0, 2)
        rows: list[Record] = await self._connections.run(
            lambda connection: connection.fetch(sql, *args), collection=self._name
        )
        row = single_hit(rows, mapping)
        return self._to_dto(row[0], row[1])

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
        statement = FindStatement(
            collection=self._name,
            select=self.find_sql(query, paged=True),
            count=lambda: self._sql.count(query),
            args=self._condition_args(query),
            to_dto=self._to_dto,
            after_args=self._after_args(query),
        )
        result = PostgresFindResult(self._connections, query, statement)
        if query.limit is not None:
            result._page = PageTracker(self._signer, self._spec, query)
        return result


class PostgresDao(_PostgresDaoBase[Dto]):
    """A DAO over one PostgreSQL table; callers choose the IDs."""

    async def insert(self, dto: Dto) -> Dto:
        """Insert a new resource or raise ``ResourceAlreadyExistsError``; return it as stored."""
        return await self._insert(dto)

    async def insert_many(
        self, dtos: Iterable[Dto] | AsyncIterable[Dto], *, batch_size: int | None = None
    ) -> BulkResult:
        """Insert every DTO, one statement per batch; see the protocol's bulk outcome rule."""
        return await self._bulk.run(
            dtos, operation="insert_many", batch_size=batch_size, prepare=self._prepare_dto
        )


class PostgresDaoSurrogateId(_PostgresDaoBase[Dto]):
    """A PostgreSQL DAO that assigns IDs on insert."""

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
            full = self._spec.validate_dto(await self._spec.new_dto(creation))
            checked = stamp_version(self._spec, full)
            key, data = self._encode(checked)
            return BulkItem(
                position, key, data, self._spec.read_back(checked.dto) if return_dtos else None
            )

        return await self._bulk.run(
            dtos,
            operation="insert_many",
            batch_size=batch_size,
            prepare=prepare,
            keep_dtos=return_dtos,
        )

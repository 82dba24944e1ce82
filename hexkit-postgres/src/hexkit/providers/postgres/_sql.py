"""SQL text of one DAO's table: names, JSONB path expressions and statements.

Only identifiers and field names that were validated against the DTO model are
written into SQL text, always quoted; values travel as query parameters.

Each DAO owns one table ``"<schema>"."<name>"`` with two columns: ``id`` (text, uuid
or bigint after the ID field's annotation, the primary key) and ``data`` (JSONB: every
other field). A field path ``a.b`` reads as ``COALESCE(data #> '{a,b}', 'null')``, so a
missing nested model and a stored ``null`` are the same JSON null, in finds and in
unique indexes alike. PostgreSQL truncates identifiers at 63 bytes: longer table and
index names are shortened deterministically with a hash (``~`` cannot occur in DAO
names, so shortened names never collide with given ones). A table whose name was
shortened carries its full name as its comment (``hexkit:<name>``), so the migration
store lists it under the name hexkit gave it.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import types
import typing
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hexkit.protocols.dao import DaoSpec, FindQuery, Index

__all__ = [
    "ID_COLUMN_TYPES",
    "NAME_MARK",
    "TableSql",
    "advisory_key",
    "create_table",
    "name_comment",
    "quote_identifier",
    "short_name",
]

ID_COLUMN_TYPES = {"str": "text", "int": "bigint", "uuid": "uuid"}
#: How the comment of a table with a shortened name starts; its full name follows.
NAME_MARK = "hexkit:"
_MAX_NAME = 63


def quote_identifier(name: str) -> str:
    """Return ``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def short_name(name: str, *, keep: int = 54) -> str:
    """Return ``name`` if it fits an identifier, else a hashed, shortened form."""
    if len(name.encode()) <= _MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:keep]}~{digest}"


def create_table(qualified: str, id_type: str) -> str:
    """Return the idempotent CREATE TABLE of a DAO table (``id_type``: a column type).

    A text ID column is ``COLLATE "C"``: finds order IDs by code point, so its primary key
    index then serves that order (and keyset pages, ``id > $n``) instead of a full sort.
    """
    column = f'{id_type} COLLATE "C"' if id_type == "text" else id_type
    return f"CREATE TABLE IF NOT EXISTS {qualified} (id {column} PRIMARY KEY, data jsonb NOT NULL)"


def name_comment(qualified: str, name: str) -> str:
    """Return the COMMENT that records the full ``name`` of a table whose name was shortened."""
    return f"COMMENT ON TABLE {qualified} IS {_literal(NAME_MARK + name)}"


def advisory_key(*parts: str) -> int:
    """Return a signed 64-bit advisory lock key for these names."""
    digest = hashlib.sha256("\x1f".join(("hexkit", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _is_textual(annotation: Any) -> bool:
    """Tell whether values of ``annotation`` are stored as JSON strings (sorted as text)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return bool(args) and all(_is_textual(arg) for arg in args)
    if origin is typing.Literal:
        return all(isinstance(arg, str) for arg in typing.get_args(annotation))
    if not isinstance(annotation, type):
        return False
    if issubclass(annotation, enum.Enum):
        return all(isinstance(member.value, str) for member in annotation)
    return issubclass(annotation, str | uuid.UUID | datetime.date)


@dataclass(frozen=True)
class TableSql:
    """The statements of one DAO, built once from its spec."""

    schema: str
    table: str
    name: str
    id_field: str
    id_type: str
    spec: DaoSpec[Any]

    @classmethod
    def for_spec(cls, schema: str, spec: DaoSpec[Any], *, physical: str | None = None) -> TableSql:
        """Return the SQL of the DAO that ``spec`` describes, in ``schema``.

        ``physical`` is the name holding the DAO's data when a migration moved it
        (``hexkit.migrations`` layout); the table's name is its shortened form.
        """
        name = spec.name if physical is None else physical
        return cls(
            schema=schema,
            table=short_name(name),
            name=name,
            id_field=spec.id_field,
            id_type=ID_COLUMN_TYPES[spec.id_type],
            spec=spec,
        )

    @property
    def qualified(self) -> str:
        """The schema-qualified, quoted table name."""
        return f"{quote_identifier(self.schema)}.{quote_identifier(self.table)}"

    # --- expressions ---------------------------------------------------------------

    def path(self, path: str) -> str:
        """Return the SQL expression of a validated field path (the ID column for the ID)."""
        if path == self.id_field:
            return "id"
        segments = path.split(".")
        for segment in segments:
            if not segment.isidentifier():  # validated by the core already; defence in depth
                raise ValueError(f"Field path {path!r} is not a dotted path of field names.")
        array = "{" + ",".join(segments) + "}"
        return f"COALESCE(data #> {_literal(array)}, 'null'::jsonb)"

    def index_name(self, index: Index) -> str:
        """Return the deterministic name of the SQL index behind ``index``."""
        kind = "u" if index.unique else "i"
        digest = hashlib.sha256(
            "\x1f".join((self.table, kind, *index.fields)).encode()
        ).hexdigest()[:12]
        return f"{self.table[:40]}~{kind}~{digest}"

    # --- statements ----------------------------------------------------------------

    def create_table(self) -> str:
        return create_table(self.qualified, self.id_type)

    def create_index(self, index: Index) -> str:
        unique = "UNIQUE " if index.unique else ""
        columns = ", ".join(f"({self.path(field)})" for field in index.fields)
        return (
            f"CREATE {unique}INDEX IF NOT EXISTS {quote_identifier(self.index_name(index))}"
            f" ON {self.qualified} ({columns})"
        )

    def select_by_id(self) -> str:
        return f"SELECT data::text FROM {self.qualified} WHERE id = $1"

    def insert(self) -> str:
        return (
            f"INSERT INTO {self.qualified} (id, data) VALUES ($1, $2::jsonb)"
            " ON CONFLICT (id) DO NOTHING"
        )

    def update(self) -> str:
        return f"UPDATE {self.qualified} SET data = $2::jsonb WHERE id = $1"

    def upsert(self) -> str:
        return (
            f"INSERT INTO {self.qualified} (id, data) VALUES ($1, $2::jsonb)"
            " ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data"
        )

    def delete(self) -> str:
        return f"DELETE FROM {self.qualified} WHERE id = $1"

    # --- versioned writes: the version check is the statement's own condition ----------

    def _version(self, alias: str = "") -> str:
        expression = self.path(self.spec.version_field or "")
        return expression.replace("data #>", f"{alias}data #>") if alias else expression

    def update_versioned(self) -> str:
        """Replace row ``$1`` with ``$2`` only if it holds version ``$3`` (JSON text)."""
        return (
            f"UPDATE {self.qualified} SET data = $2::jsonb"
            f" WHERE id = $1 AND {self._version()} = $3::jsonb RETURNING id"
        )

    def upsert_new(self) -> str:
        """Insert row ``$1``, or replace it only if it holds version ``$3`` (0)."""
        return (
            f"INSERT INTO {self.qualified} AS t (id, data) VALUES ($1, $2::jsonb)"
            " ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data"
            f" WHERE {self._version('t.')} = $3::jsonb RETURNING id"
        )

    def delete_versioned(self) -> str:
        """Delete row ``$1`` only if it holds version ``$2`` (JSON text)."""
        return (
            f"DELETE FROM {self.qualified} WHERE id = $1 AND {self._version()} = $2::jsonb"
            " RETURNING id"
        )

    def select_version(self) -> str:
        """Select the stored version of row ``$1`` as JSON text (to report a conflict)."""
        return f"SELECT ({self._version()})::text FROM {self.qualified} WHERE id = $1"

    def where(self, conditions: Sequence[tuple[str, Any]], first: int = 1) -> str:
        """Return the WHERE clause of equality conditions; parameters start at ``$first``."""
        if not conditions:
            return ""
        parts = []
        for number, (path, _) in enumerate(conditions, start=first):
            cast = "" if path == self.id_field else "::jsonb"
            parts.append(f"{self.path(path)} = ${number}{cast}")
        return " WHERE " + " AND ".join(parts)

    def order_term(self, path: str) -> tuple[str, bool]:
        """Return the expression a find sorts ``path`` by, and whether it may be SQL NULL.

        Fields stored as JSON strings sort by code point (``COLLATE "C"``), whatever the
        database's collation, so the order matches Python's, and a JSON null is SQL NULL
        there; others sort in JSONB's order (null first, then numbers by value, ...).
        """
        if path == self.id_field:
            return ('id COLLATE "C"' if self.id_type == "text" else "id"), False
        expression = self.path(path)
        if _is_textual(self.spec.annotation_of(path)):
            return f"({expression} #>> '{{}}') COLLATE \"C\"", True
        return expression, False

    def order_by(self, sort: Sequence[tuple[str, bool]]) -> str:
        """Return an ORDER BY with a total order: the ID breaks every tie (see ``order_term``)."""
        keys = []
        for path, descending in sort:
            expression, nullable = self.order_term(path)
            direction = "DESC" if descending else "ASC"
            if nullable:
                direction += " NULLS LAST" if descending else " NULLS FIRST"
            keys.append(f"{expression} {direction}")
        if all(path != self.id_field for path, _ in sort):
            keys.append(self.order_term(self.id_field)[0])
        return " ORDER BY " + ", ".join(keys)

    def after(self, keys: Sequence[tuple[str, bool]], nulls: Sequence[bool], first: int) -> str:
        """Return the keyset condition: rows strictly after a position in ``ORDER BY keys``.

        ``keys`` is the find's total order (the ID last), ``nulls`` says which of the
        position's values are None. Each non-null value of a key that may be SQL NULL, and
        every value of the others (JSON null included), is a parameter, numbered from
        ``$first`` left to right; text values travel as their JSON text. The condition is
        nested, ``k1 >= v1 AND (k1 > v1 OR (...))``, so an index on the leading key
        serves it as a range scan. NULLs sort first ascending and last descending.
        """
        terms: list[tuple[str, str]] = []  # (at or beyond the value, beyond it) per key
        number = first
        for (path, descending), null in zip(keys, nulls, strict=True):
            expression, nullable = self.order_term(path)
            if nullable and null:
                # NULLS FIRST ascending: every value is beyond; NULLS LAST: none is.
                if descending:
                    terms.append((f"{expression} IS NULL", "FALSE"))
                else:
                    terms.append(("TRUE", f"{expression} IS NOT NULL"))
                continue
            if path == self.id_field:
                value = f"${number}"
            elif nullable:
                value = f"(${number}::jsonb #>> '{{}}')"
            else:
                value = f"${number}::jsonb"
            number += 1
            operator = "<" if descending else ">"
            beyond = f"{expression} {operator} {value}"
            at_or_beyond = f"{expression} {operator}= {value}"
            if nullable and descending:  # NULLS LAST: nulls come after every value
                beyond = f"({beyond} OR {expression} IS NULL)"
                at_or_beyond = f"({at_or_beyond} OR {expression} IS NULL)"
            terms.append((at_or_beyond, beyond))
        condition = terms[-1][1]
        for at_or_beyond, beyond in reversed(terms[:-1]):
            if at_or_beyond == "TRUE":
                condition = f"({beyond} OR {condition})"
            elif beyond == "FALSE":
                condition = f"({at_or_beyond} AND {condition})"
            else:
                condition = f"({at_or_beyond} AND ({beyond} OR {condition}))"
        return condition

    def find(self, query: FindQuery, *, paged: bool) -> str:
        """Return the SELECT of a find; with ``paged``, OFFSET and LIMIT parameters follow.

        With ``query.after``, the keyset condition's parameters (see :meth:`after`) come
        after the conditions' and before OFFSET and LIMIT.
        """
        where = self.where(query.conditions)
        count = len(query.conditions)
        if query.after is not None:
            keys, values = query.after.keys, query.after.values
            nulls = [value is None for value in values]
            condition = self.after(keys, nulls, count + 1)
            where = f"{where} AND {condition}" if where else f" WHERE {condition}"
            count += sum(
                1
                for (path, _), null in zip(keys, nulls, strict=True)
                if not (null and self.order_term(path)[1])
            )
        sql = f"SELECT id, data::text FROM {self.qualified}{where}{self.order_by(query.sort)}"
        if paged:
            sql += f" OFFSET ${count + 1} LIMIT ${count + 2}"
        return sql

    def count(self, query: FindQuery) -> str:
        return f"SELECT count(*) FROM {self.qualified}{self.where(query.conditions)}"

    # --- bulk statements: a batch travels as array parameters expanded by unnest --------

    def _rows(self) -> str:
        return f"SELECT i, d::jsonb FROM unnest($1::{self.id_type}[], $2::text[]) AS u(i, d)"

    def bulk_insert(self) -> str:
        """Insert a batch; rows clashing on the ID or a unique index are skipped, not failed."""
        return (
            f"INSERT INTO {self.qualified} (id, data) {self._rows()}"
            " ON CONFLICT DO NOTHING RETURNING id"
        )

    def bulk_upsert(self) -> str:
        """Upsert a batch (whose IDs are distinct)."""
        return (
            f"INSERT INTO {self.qualified} (id, data) {self._rows()}"
            " ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data"
        )

    def bulk_upsert_versioned(self) -> str:
        """Upsert rows ``$1``/``$2`` (distinct IDs) expecting versions ``$3``; return IDs written.

        Version 0 creates, others replace that version (as above); ID order avoids deadlocks.
        """
        rows = f"unnest($1::{self.id_type}[], $2::text[], $3::text[]) AS r(i, d, v)"
        version = self._version("t.")
        return (
            f"WITH u AS (SELECT i, d::jsonb AS d, v::jsonb AS v FROM {rows} ORDER BY i),"
            f" updated AS (UPDATE {self.qualified} AS t SET data = u.d FROM u"
            f" WHERE u.v <> '0'::jsonb AND t.id = u.i AND {version} = u.v RETURNING t.id),"
            f" created AS (INSERT INTO {self.qualified} AS t (id, data)"
            " SELECT i, d FROM u WHERE u.v = '0'::jsonb"
            " ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data"
            f" WHERE {version} = '0'::jsonb RETURNING t.id)"
            " SELECT id FROM updated UNION ALL SELECT id FROM created"
        )

    def stored_versions(self) -> str:
        """Select the ID and stored version (JSON text) of the rows whose IDs are in ``$1``."""
        return (
            f"SELECT id, ({self._version()})::text FROM {self.qualified}"
            f" WHERE id = ANY($1::{self.id_type}[])"
        )

    def bulk_delete(self) -> str:
        return f"DELETE FROM {self.qualified} WHERE id = ANY($1::{self.id_type}[]) RETURNING id"

    def present(self) -> str:
        """Select which of the IDs in ``$1`` exist."""
        return f"SELECT id FROM {self.qualified} WHERE id = ANY($1::{self.id_type}[])"

    def exists(self) -> str:
        return f"SELECT EXISTS (SELECT 1 FROM {self.qualified} WHERE id = $1)"

    def clash(self, fields: Sequence[str]) -> str:
        """Select the positions of the rows whose values on these fields another row holds.

        The rows travel as positions ``$1``, IDs ``$2`` and data ``$3``.
        """
        conditions = []
        for path in fields:
            expression = self.path(path)
            if expression == "id":
                conditions.append("t.id = u.i")
            else:
                ours = expression.replace("data #>", "t.data #>")
                theirs = expression.replace("data #>", "u.d::jsonb #>")
                conditions.append(f"{ours} = {theirs}")
        return (
            f"SELECT u.n FROM unnest($1::int[], $2::{self.id_type}[], $3::text[]) AS u(n, i, d)"
            f" WHERE EXISTS (SELECT 1 FROM {self.qualified} AS t WHERE {' AND '.join(conditions)})"
        )

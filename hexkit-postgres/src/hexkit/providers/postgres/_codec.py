"""How DTOs become JSONB documents and back.

Rows stay plain JSON that psql, reporting tools and hand-written SQL can read and
query. The mapping per Python type (``model_dump`` in Python mode first, then this)::

    str                           -> JSON string (NUL characters refused: PostgreSQL
                                     cannot store U+0000 in text or JSONB)
    int                           -> JSON number (signed 64-bit range, else refused)
    float                         -> JSON number, shortest repr (NaN and infinities refused)
    bool, None                    -> true/false, null
    decimal.Decimal               -> JSON number written from the Decimal's own digits, so
                                     JSONB's exact numeric keeps it (never through float)
    datetime.datetime             -> ISO-8601 string, see below
    datetime.date                 -> ISO-8601 string YYYY-MM-DD
    uuid.UUID                     -> canonical string
    enum.Enum                     -> its value
    bytes                         -> {"$bytes": "<base64>"} (JSON has no binary type; user
                                     data cannot hold "$" keys, so the marker is unambiguous)
    nested model, dict            -> JSON object, keys as field names
    list, tuple                   -> JSON array
    set, frozenset                -> JSON array in a fixed order (equal sets, equal arrays)
    anything else                 -> pydantic's JSON form (e.g. timedelta as ISO duration)

Datetimes are stored as ISO-8601 text with exactly six fractional digits: aware ones
converted to UTC and ending in ``+00:00``, naive ones without an offset, as
hexkit-mongodb stores them. Within one kind the text compares equal exactly when the
instants are equal and sorts chronologically.

Reading parses the JSON with ``parse_float=Decimal`` where the model can hold a Decimal,
so Decimals come back digit for digit (JSONB drops an exponent: ``1E+3`` reads as
``1000``, equal by value), and validates the result with the model in lax mode.

Find values are encoded by the very same function as stored values, so a validated
find value compares equal to what ``insert`` stored.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import enum
import json
import math
import re
import typing
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from hexkit.protocols.dao import STRING_STORED_TYPES

__all__ = ["dump_value", "encode_document", "encode_value", "loader_for", "may_hold_decimal"]

_UTC = datetime.UTC
_INT64 = (-(2**63), 2**63 - 1)
_CONTAINERS = (dict, list, tuple, set, frozenset)
#: The key of the JSON object that holds bytes, base64-encoded: ``{"$bytes": "AAEC"}``.
BYTES_KEY = "$bytes"
# Decimals are held as "\x00<n>" strings while json.dumps writes the document and then
# replaced by their digits; user strings cannot collide: NUL is refused in them.
_DECIMAL_MARK = re.compile(r'"\\u0000(\d+)"')


def _refuse_nul(text: str, where: str) -> None:
    if "\x00" in text:
        raise ValueError(
            f"{where} {text[:40]!r} contains a NUL character (U+0000), which PostgreSQL"
            " cannot store in text or JSONB; remove it or store the data base64-encoded."
        )


def _encode_datetime(value: datetime.datetime) -> str:
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(_UTC).isoformat(timespec="microseconds")
    return value.isoformat(timespec="microseconds")


def _encode_decimal(value: decimal.Decimal, decimals: list[str]) -> str:
    if not value.is_finite():
        raise ValueError(
            f"Decimal {value} cannot be stored: JSON has no NaN or infinity; store None"
            " or a finite value instead."
        )
    decimals.append(str(value))
    return f"\x00{len(decimals) - 1}"


def encode_value(value: Any, decimals: list[str]) -> Any:  # noqa: PLR0911, PLR0912 - the table
    """Return the JSON-ready form of one Python value (see the module docstring).

    Decimals are replaced by placeholders collected in ``decimals``; :func:`dump_value`
    writes them back as numbers.
    """
    kind = type(value)
    if kind is str:
        _refuse_nul(value, "String")
        return value
    if kind is bool or value is None:
        return value
    if kind is int:
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(
                f"Integer {value} is outside the signed 64-bit range the DAO protocol"
                " stores; store it as a Decimal or a string instead."
            )
        return value
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(
                f"Float {value} cannot be stored: JSON has no NaN or infinity; store None"
                " or a finite value instead."
            )
        return value
    if isinstance(value, BaseModel):
        return encode_value(value.model_dump(), decimals)
    if isinstance(value, dict):
        encoded: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key.value if isinstance(key, enum.Enum) else key)
            _refuse_nul(name, "Key")
            encoded[name] = encode_value(item, decimals)
        return encoded
    if isinstance(value, list | tuple):
        return [encode_value(item, decimals) for item in value]
    if isinstance(value, set | frozenset):
        # In a fixed order, so equal sets are equal arrays for finds and unique indexes.
        items = [encode_value(item, decimals) for item in value]
        return sorted(items, key=lambda item: (type(item).__name__, repr(item)))
    if isinstance(value, enum.Enum):
        return encode_value(value.value, decimals)
    if isinstance(value, datetime.datetime):
        return _encode_datetime(value)
    if isinstance(value, decimal.Decimal):
        return _encode_decimal(value, decimals)
    if isinstance(value, uuid.UUID | datetime.date):
        return str(value)
    if isinstance(value, bytes | bytearray):
        # JSON has no binary type: a marked object that user data cannot hold (the core
        # refuses "$" keys), turned back into bytes on reading.
        return {BYTES_KEY: base64.b64encode(value).decode("ascii")}
    if isinstance(value, STRING_STORED_TYPES):
        return encode_value(str(value), decimals)
    return encode_value(to_jsonable_python(value), decimals)


def dump_value(value: Any) -> str:
    """Return the JSON text of one value, Decimals written as exact numbers."""
    decimals: list[str] = []
    text = json.dumps(encode_value(value, decimals), ensure_ascii=False, separators=(",", ":"))
    if decimals:
        text = _DECIMAL_MARK.sub(lambda match: decimals[int(match.group(1))], text)
    return text


def encode_document(dto: BaseModel | dict[str, Any], id_field: str) -> tuple[Any, str]:
    """Return the ID and the JSONB text stored for a DTO or its dump (ID in its column)."""
    dumped = dict(dto) if isinstance(dto, dict) else dto.model_dump()
    id_ = dumped.pop(id_field)
    return id_, dump_value(dumped)


def may_hold(annotation: Any, kind: type, seen: set[type] | None = None) -> bool:
    """Return whether values of this annotation can contain a ``kind`` value anywhere."""
    if annotation is Any or annotation is object or annotation in _CONTAINERS:
        return True  # unparametrized: may hold anything
    if isinstance(annotation, type) and issubclass(annotation, kind):
        return True
    seen = set() if seen is None else seen
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return False
        seen.add(annotation)
        return any(
            may_hold(field.annotation, kind, seen) for field in annotation.model_fields.values()
        )
    return any(may_hold(arg, kind, seen) for arg in typing.get_args(annotation))


def may_hold_decimal(annotation: Any) -> bool:
    """Return whether values of this annotation can contain a ``Decimal`` anywhere."""
    return may_hold(annotation, decimal.Decimal)


def _bytes_hook(item: dict[str, Any]) -> Any:
    if len(item) == 1 and BYTES_KEY in item:
        return base64.b64decode(item[BYTES_KEY])
    return item


def loader_for(model: type[BaseModel]) -> Callable[[str], Any]:
    """Return the JSON parser for documents of ``model``: exact Decimals, bytes decoded."""
    parse_float = decimal.Decimal if may_hold_decimal(model) else None
    object_hook = _bytes_hook if may_hold(model, bytes) else None
    if parse_float is None and object_hook is None:
        return json.loads
    decoder = json.JSONDecoder(parse_float=parse_float, object_hook=object_hook)
    return decoder.decode

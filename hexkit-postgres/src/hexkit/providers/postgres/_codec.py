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
    set, frozenset                -> JSON array in the core's ``set_order`` (equal sets,
                                     equal arrays; reads rebuild the set in that order)
    anything else                 -> pydantic's JSON form (e.g. timedelta as ISO duration)

Datetimes are stored as ISO-8601 text with exactly six fractional digits: aware ones
converted to UTC and ending in ``+00:00``, naive ones without an offset, as
hexkit-mongodb stores them. Within one kind the text compares equal exactly when the
instants are equal and sorts chronologically.

Reading parses the JSON with ``parse_float=Decimal`` where the model can hold a Decimal,
so Decimals come back digit for digit, and validates the result with the model in lax mode.
JSONB keeps no exponent form (``1E+3`` reads ``1000``) and no sign of zero; the core
stores every value in the form every provider reads back (``hexkit.protocols.dao._normal``:
aware datetimes in UTC, positive exponents written out, unsigned zeros), so what this
module receives already is that form, and reads return exactly what memory returns.

Find values are encoded by the very same function as stored values, so a validated
find value compares equal to what ``insert`` stored.

Writes take a faster route to the very same text where the model allows it
(:func:`dumper_for`): the documents were checked by ``DaoSpec.validate_dto`` already, so
the C JSON encoder writes the JSON-native values itself and hands only the others
(Decimals, datetimes, UUIDs, bytes, sets, plain enums, ...) to :func:`encode_value`.
Models whose values the C encoder would write differently (dict keys that may be bools
or None, enums whose builtin mixin disagrees with their value, ``Any``, types this module
does not know) keep the walk.
"""

from __future__ import annotations

import base64
import collections.abc
import datetime
import decimal
import enum
import json
import math
import re
import types
import typing
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from hexkit.protocols.dao import STRING_STORED_TYPES, set_order

__all__ = [
    "dump_value",
    "dumper_for",
    "encode_document",
    "encode_value",
    "load_raw",
    "loader_for",
    "may_hold_decimal",
]

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
        # The core's order, in which sets are rebuilt on write and so read back alike.
        return [encode_value(item, decimals) for item in set_order(value)]
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


def encode_document(
    dto: BaseModel | dict[str, Any], id_field: str, dump: Callable[[Any], str] = dump_value
) -> tuple[Any, str]:
    """Return the ID and the JSONB text stored for a DTO or its dump (ID in its column)."""
    dumped = dict(dto) if isinstance(dto, dict) else dto.model_dump()
    id_ = dumped.pop(id_field)
    return id_, dump(dumped)


# Types whose values the C encoder never sees (it hands them to encode_value), or writes
# exactly as encode_value would (str, int, float, bool, None).
_LEAVES = (
    str, int, float, bool, type(None), decimal.Decimal, datetime.datetime, datetime.date,
    datetime.time,
    datetime.timedelta, uuid.UUID, bytes, *STRING_STORED_TYPES,
)  # fmt: skip
_MIXINS: tuple[type[Any], ...] = (str, int, float)


def _enum_alike(enum_type: type[enum.Enum]) -> bool:
    """Tell whether the C encoder writes each member as encode_value writes its value."""
    mixin = next((kind for kind in _MIXINS if issubclass(enum_type, kind)), None)
    if mixin is None:
        return True  # not a builtin's subclass: the C encoder hands it to encode_value
    written = typing.cast("Callable[[Any], str]", mixin.__repr__)  # what the C encoder writes
    return all(
        type(member.value) is mixin and written(member) == written(member.value)
        for member in enum_type
    )


def _plain_key(annotation: Any) -> bool:
    """Tell whether dict keys of this type are written alike: strings only.

    The walk writes keys with ``str()``, the C encoder writes bools and None as JSON
    literals (``true``, not ``True``); an ``int`` key may hold a bool that equals it.
    """
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return all(_plain_key(arg) for arg in typing.get_args(annotation))
    if typing.get_origin(annotation) is typing.Literal:
        return all(type(arg) is str for arg in typing.get_args(annotation))
    if annotation is str:
        return True
    return (
        isinstance(annotation, type)
        and issubclass(annotation, enum.Enum)
        and issubclass(annotation, str)
        and _enum_alike(annotation)
    )


def _written_alike(annotation: Any, seen: set[type]) -> bool:  # noqa: PLR0911 - one per kind
    """Tell whether the C encoder plus encode_value write every value as the walk does."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _written_alike(args[0], seen)
    if origin in (typing.Union, types.UnionType):
        return all(_written_alike(arg, seen) for arg in args)
    if origin is typing.Literal:
        return all(type(arg) in (str, int, bool, type(None)) for arg in args)
    if origin is not None:
        if not isinstance(origin, type) or not args:
            return False
        if issubclass(origin, collections.abc.Mapping):
            return len(args) == 2 and _plain_key(args[0]) and _written_alike(args[1], seen)
        if issubclass(origin, list | tuple | set | frozenset):
            return all(arg is Ellipsis or _written_alike(arg, seen) for arg in args)
        return False
    if not isinstance(annotation, type):
        return False  # Any, TypeVars, NewTypes, forward references: keep the walk
    if issubclass(annotation, enum.Enum):
        return _enum_alike(annotation)
    if issubclass(annotation, BaseModel):
        if annotation in seen:
            return True
        seen.add(annotation)
        return all(
            _written_alike(field.annotation, seen) for field in annotation.model_fields.values()
        )
    return annotation in _LEAVES or issubclass(annotation, STRING_STORED_TYPES)


def dumper_for(model: type[BaseModel]) -> Callable[[Any], str]:
    """Return the writer of checked documents of ``model``: :func:`dump_value`'s text, faster.

    Only for documents that passed ``DaoSpec.validate_dto`` (no NUL, int64, finite
    floats): the C encoder does not repeat the walk's refusals.
    """
    if not _written_alike(model, set()):
        return dump_value

    def dump(document: Any) -> str:
        decimals: list[str] = []
        text = json.dumps(
            document,
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
            default=lambda value: encode_value(value, decimals),
        )
        if decimals:
            text = _DECIMAL_MARK.sub(lambda match: decimals[int(match.group(1))], text)
        return text

    return dump


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


_RAW = json.JSONDecoder(parse_float=decimal.Decimal, object_hook=_bytes_hook)


def load_raw(text: str) -> Any:
    """Parse a stored document without its model, as migrations read it.

    Numbers with a fraction come back as exact ``Decimal`` values and ``{"$bytes": ...}``
    as bytes; datetimes, dates and UUIDs stay the text they are stored as.
    """
    return _RAW.decode(text)

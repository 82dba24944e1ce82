"""The rules every stored value keeps, whichever provider stores it.

Backends differ in what they accept, so the protocol takes the strictest rule of
any supported backend; an application tested on the memory provider then fails
where production would, with the same error::

    integers          signed 64 bits, -2**63 to 2**63 - 1 (BSON int64, PostgreSQL bigint)
    floats            finite: JSON, and so PostgreSQL's JSONB, has no NaN or infinity
    Decimals          finite, at most 34 significant digits, exponent -6176 to 6111
                      (MongoDB's Decimal128), counted in the normal form (``_normal``),
                      so ``1E+34`` (35 digits written out) is refused
    strings, keys     no NUL character U+0000 (PostgreSQL text cannot hold it) and no
                      lone surrogate U+D800-U+DFFF (not Unicode: UTF-8 cannot encode it)
    dict keys         not starting with '$' (MongoDB reads such names as operators)
    times of day      naive: an aware ``time`` has no instant to compare by
    IDs, indexed      at most 1 KiB (1,024 bytes) each in their stored form (PostgreSQL's
    values            B-tree entries; MongoDB's index keys before 4.2)
    nesting           at most 100 levels of objects and arrays (MongoDB's limit)
    documents         at most 16 MiB (16,777,216 bytes), counted as hexkit-mongodb's
                      BSON encoding counts them (MongoDB's document limit)

``check_document`` applies them to a dumped DTO before a write; find values and IDs
go through ``value_problem``.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import math
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from ._errors import DocumentTooLargeError, InvalidDocumentError
from ._types import STRING_STORED_TYPES

__all__ = [
    "MAX_DOCUMENT_SIZE",
    "MAX_INDEXED_SIZE",
    "MAX_NESTING",
    "check_document",
    "check_indexed",
    "indexed_value_problem",
    "value_problem",
]

#: The largest document every provider stores, in bytes of its BSON encoding.
MAX_DOCUMENT_SIZE = 16 * 1024 * 1024
#: The largest ID or value of an indexed field, in bytes of its stored form: PostgreSQL's
#: B-tree entries stop near 2.7 kB after compression, MongoDB before 4.2 stopped at 1 kB.
MAX_INDEXED_SIZE = 1024
#: The deepest nesting of objects and arrays every provider stores (MongoDB's limit).
MAX_NESTING = 100

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_DECIMAL_DIGITS = 34
_DECIMAL_EXPONENTS = (-6176, 6111)
# BSON sizes of values stored as fixed-size types or as text of bounded length.
_DATETIME_TEXT = 5 + len("2024-05-01T12:30:00.123456+00:00")
_TIME_TEXT = 5 + len("12:30:00.123456")
_UUID_BINARY = 4 + 1 + 16


class _Refused(Exception):
    """A value breaks a rule; ``path`` is filled in on the way out of the recursion."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []


def _text_size(text: str) -> int:
    if "\x00" in text:
        raise _Refused(
            "contains a NUL character (U+0000), which PostgreSQL cannot store; remove it"
            " or store the data as bytes"
        )
    if text.isascii():
        return 5 + len(text)
    try:
        return 5 + len(text.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise _Refused(
            f"contains a lone surrogate (U+{ord(text[error.start]):04X} at position"
            f" {error.start}), which is not valid Unicode, so PostgreSQL and MongoDB cannot"
            " store it; fix how the text was decoded (e.g. errors='replace') or store the"
            " data as bytes"
        ) from None


def _key_size(key: Any) -> int:
    text = key.value if isinstance(key, enum.Enum) else key
    text = text if isinstance(text, str) else str(text)
    if text.startswith("$"):
        raise _Refused(f"has the key {text!r}; keys must not start with '$'")
    try:
        return _text_size(text) - 3  # a key is a C string: its bytes and a NUL
    except _Refused as refused:
        refused.reason = f"has a key that {refused.reason}"
        raise


def _decimal_size(value: decimal.Decimal) -> int:
    if not value.is_finite():
        raise _Refused(f"is {value}; store finite values or None")
    parts = value.as_tuple()
    digits, exponent = len(parts.digits), int(parts.exponent)
    low, high = _DECIMAL_EXPONENTS
    if digits > _DECIMAL_DIGITS or not low <= exponent <= high:
        raise _Refused(
            f"is Decimal {value}, beyond 34 significant digits or exponents -6176 to 6111"
            " (MongoDB's Decimal128); round it, e.g. with Decimal.quantize()"
        )
    return 16


def _str_size(value: str, depth: int) -> int:
    return _text_size(value)


def _int_size(value: int, depth: int) -> int:
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise _Refused(f"is {value}, outside signed 64 bits (-2**63 to 2**63 - 1)")
    return 4 if _INT32_MIN <= value <= _INT32_MAX else 8


def _float_size(value: float, depth: int) -> int:
    if not math.isfinite(value):
        raise _Refused(f"is {value}; store finite values or None")
    return 8


def _nested(depth: int) -> int:
    depth += 1
    if depth > MAX_NESTING:
        raise _Refused(f"nests containers more than {MAX_NESTING} levels deep")
    return depth


def _dict_size(value: dict[Any, Any], depth: int) -> int:
    depth = _nested(depth)
    size = 5
    for key, item in value.items():
        try:
            if type(key) is str and key[:1] != "$" and key.isascii() and "\x00" not in key:
                size += 2 + len(key)
            else:
                size += 1 + _key_size(key)
            handler = _BY_TYPE.get(type(item))
            size += handler(item, depth) if handler else _other_size(item, depth)
        except _Refused as refused:
            refused.path.append(f".{key}")
            raise
    return size


def _array_size(items: Any, depth: int) -> int:
    depth = _nested(depth)
    size = 5
    for position, item in enumerate(items):
        try:
            handler = _BY_TYPE.get(type(item))
            size += 3 + (handler(item, depth) if handler else _other_size(item, depth))
        except _Refused as refused:
            refused.path.append(f"[{position}]")
            raise
        if position >= 10:  # index keys grow past one digit: "10", "100", ...
            size += len(str(position)) - 1
    return size


def _datetime_size(value: datetime.datetime, depth: int) -> int:
    if value.tzinfo is not None:
        try:
            value.astimezone(datetime.UTC)  # stored by its instant in UTC
        except OverflowError:
            raise _Refused(
                f"is {value}, whose instant lies outside the years 1 to 9999 in UTC"
            ) from None
    return _DATETIME_TEXT


def _time_size(value: datetime.time, depth: int) -> int:
    if value.utcoffset() is not None:
        raise _Refused(f"is the aware time {value}; store a naive time (e.g. in UTC) or a datetime")
    return _TIME_TEXT


def _enum_size(value: enum.Enum, depth: int) -> int:
    return _size(value.value, depth)


def _text_type_size(value: Any, depth: int) -> int:
    return _text_size(str(value))


# The rule for each exact type; subclasses and other types take ``_other_size``, which
# adds the types whose rule depends on the type alone (enums, URLs, ...) to this table.
_BY_TYPE: dict[type, Callable[[Any, int], int]] = {
    str: _str_size,
    int: _int_size,
    float: _float_size,
    bool: lambda value, depth: 1,
    type(None): lambda value, depth: 0,
    dict: _dict_size,
    list: _array_size,
    tuple: _array_size,
    set: _array_size,
    frozenset: _array_size,
    datetime.datetime: _datetime_size,
    datetime.date: lambda value, depth: 8,
    datetime.time: _time_size,
    datetime.timedelta: lambda value, depth: _TIME_TEXT + 16,
    decimal.Decimal: lambda value, depth: _decimal_size(value),
    uuid.UUID: lambda value, depth: _UUID_BINARY,
    bytes: lambda value, depth: 5 + len(value),
}
_BY_BASE: tuple[tuple[type | tuple[type, ...], Callable[[Any, int], int]], ...] = (
    (enum.Enum, _enum_size),
    (str, lambda value, depth: _text_size(str.__str__(value))),
    (bool, lambda value, depth: 1),
    (int, lambda value, depth: _int_size(int(value), depth)),
    (float, lambda value, depth: _float_size(float(value), depth)),
    (dict, _dict_size),
    ((list, tuple, set, frozenset), _array_size),
    (datetime.datetime, _datetime_size),
    (datetime.date, lambda value, depth: 8),
    (datetime.time, _time_size),
    (datetime.timedelta, lambda value, depth: _TIME_TEXT + 16),
    (decimal.Decimal, lambda value, depth: _decimal_size(value)),
    (uuid.UUID, lambda value, depth: _UUID_BINARY),
    (bytes, lambda value, depth: 5 + len(value)),
    (STRING_STORED_TYPES, _text_type_size),
)


def _other_size(value: Any, depth: int) -> int:
    kind = type(value)
    for base, handler in _BY_BASE:
        if issubclass(kind, base):
            _BY_TYPE[kind] = handler
            return handler(value, depth)
    if isinstance(value, BaseModel):  # a find value for a nested model; dumps are dicts
        return _size(value.model_dump(), depth)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _size(dataclasses.asdict(value), depth)
    raise _Refused(
        f"holds a value of type {kind.__name__}, which no provider can store; convert it"
        " to one of the types listed in the hexkit README"
    )


def _size(value: Any, depth: int = 1) -> int:
    """Return the BSON size of ``value`` without type byte and name; raise ``_Refused``."""
    handler = _BY_TYPE.get(type(value))
    return handler(value, depth) if handler else _other_size(value, depth)


def _where(refused: _Refused, top: str) -> str:
    return top + "".join(reversed(refused.path))


def check_document(document: dict[str, Any], *, collection: str, id_: Any) -> int:
    """Return the document's size, or raise ``InvalidDocumentError`` naming the field."""
    size = 5
    for name, value in document.items():
        try:
            handler = _BY_TYPE.get(type(value))
            size += 2 + len(name) + (handler(value, 1) if handler else _other_size(value, 1))
        except _Refused as refused:
            raise InvalidDocumentError(
                collection=collection, id_=id_, field=_where(refused, name), reason=refused.reason
            ) from None
    if size > MAX_DOCUMENT_SIZE:
        raise DocumentTooLargeError(
            collection=collection, id_=id_, size=size, limit=MAX_DOCUMENT_SIZE
        )
    return size


def value_problem(value: Any) -> str | None:
    """Return why ``value`` can never be stored (so never be found), or ``None``."""
    try:
        _size(value)
    except _Refused as refused:
        path = _where(refused, "")
        return f"{path.lstrip('.')} {refused.reason}" if path else refused.reason
    return None


def indexed_value_problem(value: Any) -> str | None:
    """Return why ``value`` cannot be an ID or an indexed value, or ``None``."""
    try:
        size = _size(value)
    except _Refused as refused:
        path = _where(refused, "")
        return f"{path.lstrip('.')} {refused.reason}" if path else refused.reason
    if size - 5 > MAX_INDEXED_SIZE:
        return (
            f"takes {size - 5} bytes; IDs and values of indexed fields take at most"
            f" {MAX_INDEXED_SIZE} bytes (PostgreSQL's index entries); shorten it, or keep a"
            " hash of it in the indexed field"
        )
    return None


def check_indexed(
    document: dict[str, Any], paths: tuple[str, ...], *, collection: str, id_: Any
) -> None:
    """Raise ``InvalidDocumentError`` if a value at one of ``paths`` is too large to index."""
    for path in paths:
        value: Any = document
        for segment in path.split("."):
            value = value.get(segment) if isinstance(value, dict) else None
        problem = indexed_value_problem(value)
        if problem:
            raise InvalidDocumentError(collection=collection, id_=id_, field=path, reason=problem)

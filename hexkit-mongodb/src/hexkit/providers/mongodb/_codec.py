"""How DTOs become MongoDB documents and back.

Documents stay plain MongoDB documents that other tools can read and query. The
mapping per Python type (``model_dump`` in Python mode first, then this)::

    str, int, float, bool, None   -> BSON string, int32/int64, double, bool, null
    uuid.UUID                     -> BSON binary subtype 4 (uuidRepresentation="standard")
    decimal.Decimal               -> BSON Decimal128 (exact up to 34 digits)
    datetime.datetime             -> ISO-8601 string, see below (or BSON date, opt-in)
    datetime.date                 -> BSON date at midnight UTC (lossless)
    datetime.time (naive)         -> ISO-8601 string with microseconds ("12:30:00.000000")
    datetime.timedelta            -> ISO-8601 duration string, as pydantic writes it
    bytes                         -> BSON binary subtype 0
    URLs, DSNs, paths, IP addresses,
    networks, interfaces, NameEmail -> their text, str(value)
    enum.Enum                     -> its value (str or int enums: string or int)
    nested model, dict            -> embedded document, keys as field names
    list, tuple                   -> array
    set, frozenset                -> array in the core's ``set_order`` (equal sets, equal
                                     arrays; reads rebuild the set in that order)

BSON dates count milliseconds, so a native date would silently drop the
microseconds of a ``datetime``. Datetimes are therefore stored as ISO-8601 text with
exactly six fractional digits: aware datetimes converted to UTC and ending in
``+00:00`` (``2024-05-01T12:30:00.123456+00:00``), naive ones without an offset. Within
one kind that text sorts chronologically and compares equal exactly when the
instants are equal, so sorting, equality finds and ``$gt``/``$lt`` queries from
other tools keep working. The instant round-trips exactly; an aware datetime
comes back in UTC, as on every provider: the core stores each value in the form all
of them read back (``hexkit.protocols.dao._normal``: aware datetimes in UTC, Decimals
with positive exponents written out, unsigned zeros), so Decimal128 receives ``1000``,
never ``1E+3``, and reads return exactly what the memory provider returns.

DAOs listed in ``MongoDbConfig.bson_date_collections`` store datetimes as BSON
dates instead (for TTL indexes and date queries from other tools): aware values
only, and only with millisecond precision, so nothing is lost silently; values a
BSON date cannot hold are refused with the field named.

Find values are encoded by the very same function as stored values, so a
validated find value matches exactly what ``insert`` stored. An equality find on
a datetime also matches a BSON date of the same instant (``datetime_condition``),
so documents written by other tools, or by a DAO storing BSON dates, are found.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import typing
import uuid
from collections.abc import Callable
from typing import Any

from bson.decimal128 import Decimal128
from pydantic import BaseModel, TypeAdapter

from hexkit.protocols.dao import STRING_STORED_TYPES, set_order

__all__ = [
    "BsonDateError",
    "DatetimeEncoder",
    "bson_date",
    "bson_date_or_text",
    "datetime_condition",
    "datetime_text",
    "decimal_fields",
    "decode_decimals",
    "decode_document",
    "encode_document",
    "encode_value",
    "may_hold_decimal",
    "to_decimal",
]

_UTC = datetime.UTC
_PLAIN = frozenset({str, int, float, bool, type(None), uuid.UUID, bytes})
_TIMEDELTA: TypeAdapter[datetime.timedelta] = TypeAdapter(datetime.timedelta)


# Decimal128 is turned back into Decimal by ``decode_decimals`` rather than by a
# bson TypeDecoder: with a decoder in the type registry, PyMongo decodes every reply
# through a pure-Python path, which costs more than the whole DAO layer.
_CONTAINERS = (dict, list, tuple, set, frozenset)


def may_hold_decimal(annotation: Any, seen: set[type] | None = None) -> bool:
    """Return whether values of this annotation can contain a ``Decimal`` anywhere."""
    if annotation is decimal.Decimal or annotation is Any or annotation is object:
        return True
    if annotation in _CONTAINERS:  # unparametrized: may hold anything
        return True
    seen = set() if seen is None else seen
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return False
        seen.add(annotation)
        return any(
            may_hold_decimal(field.annotation, seen) for field in annotation.model_fields.values()
        )
    return any(may_hold_decimal(arg, seen) for arg in typing.get_args(annotation))


_SPECIAL = 3 << 61  # BID combination bits "11": NaN, infinity or a huge coefficient
_COEFFICIENT = (1 << 113) - 1
_EXPONENT_BIAS = 6176


def to_decimal(value: Decimal128) -> decimal.Decimal:
    """Return the exact ``Decimal`` of a ``Decimal128``, several times faster than bson's.

    Public as ``hexkit.providers.mongodb.to_decimal``: the provider's decoding, for
    raw-driver interop and benchmarks.

    Finite values are rebuilt from their coefficient and exponent through
    ``Decimal``'s C string parser (keeping the exponent, so ``1.10`` stays ``1.10``);
    special values take bson's own conversion.
    """
    bits = int.from_bytes(value.bid, "little")
    high = bits >> 64
    if high & _SPECIAL == _SPECIAL:
        return value.to_decimal()
    exponent = ((high >> 49) & 0x3FFF) - _EXPONENT_BIAS
    sign = "-" if high >> 63 else ""
    return decimal.Decimal(f"{sign}{bits & _COEFFICIENT}E{exponent}")


def decode_decimals(value: Any) -> None:
    """Replace every ``Decimal128`` inside a decoded document (in place) by its ``Decimal``."""
    items: Any = value.items() if type(value) is dict else enumerate(value)
    for key, item in items:
        kind = type(item)
        if kind is Decimal128:
            value[key] = to_decimal(item)
        elif kind is dict or kind is list:
            decode_decimals(item)


def decode_document(document: dict[str, Any], id_field: str, decimals: tuple[str, ...]) -> Any:
    """Turn a stored document (in place) into the DTO's fields: its ID, exact Decimals."""
    document[id_field] = document.pop("_id", None)
    for name in decimals:
        value = document.get(name)
        if type(value) is Decimal128:  # narrows for mypy, unlike a saved type(value)
            document[name] = to_decimal(value)
        elif type(value) is dict or type(value) is list:
            decode_decimals(value)
    return document


def decimal_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """Return the top-level fields of ``model`` whose values can contain a ``Decimal``."""
    return tuple(
        name for name, field in model.model_fields.items() if may_hold_decimal(field.annotation)
    )


DatetimeEncoder = Callable[[datetime.datetime], Any]


def datetime_text(value: datetime.datetime) -> str:
    """Return the stored ISO-8601 text of a datetime (UTC for aware values)."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(_UTC).isoformat(timespec="microseconds")
    return value.isoformat(timespec="microseconds")


class BsonDateError(ValueError):
    """A datetime that a BSON date cannot hold exactly; ``field`` is set by the document."""

    def __init__(self, value: datetime.datetime, reason: str) -> None:
        super().__init__(f"{value.isoformat()}: {reason}")
        self.value = value
        self.reason = reason
        self.field = "<value>"


def bson_date(value: datetime.datetime) -> datetime.datetime:
    """Return ``value`` for storage as a BSON date, or raise ``BsonDateError``.

    A BSON date is an instant in milliseconds. A naive datetime is refused (read
    back it would be aware, and Python never finds naive and aware equal), and so
    is a sub-millisecond part (it would be cut off).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise BsonDateError(
            value,
            "it is naive, and a BSON date is an instant; give it a timezone, e.g."
            " datetime.now(UTC) or value.replace(tzinfo=UTC)",
        )
    if value.microsecond % 1000:
        raise BsonDateError(
            value,
            "it has a sub-millisecond part, and a BSON date holds milliseconds; round it"
            " first, e.g. value.replace(microsecond=value.microsecond // 1000 * 1000)",
        )
    return value


def bson_date_or_text(value: datetime.datetime) -> Any:
    """Return a find value's BSON date, or its text if a BSON date cannot hold it."""
    try:
        return bson_date(value)
    except BsonDateError:
        return datetime_text(value)


def datetime_condition(value: datetime.datetime) -> dict[str, Any]:
    """Return the condition matching ``value`` stored as ISO text or as a BSON date.

    A naive value is read as UTC for BSON dates, as PyMongo writes naive datetimes.
    A value with a sub-millisecond part cannot equal a BSON date, so it only
    matches text. ``$in`` takes its elements literally (only regexes would act).
    """
    text = datetime_text(value)
    if value.microsecond % 1000:
        return {"$eq": text}
    aware = value.utcoffset() is not None
    return {"$in": [text, value if aware else value.replace(tzinfo=_UTC)]}


def encode_value(  # noqa: PLR0911, PLR0912 - one branch per row of the table
    value: Any, dates: DatetimeEncoder = datetime_text
) -> Any:
    """Return the BSON-ready form of one Python value (see the module docstring).

    ``dates`` encodes datetimes: ISO text by default, ``bson_date`` for DAOs that
    store BSON dates.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, BaseModel):
        return encode_value(value.model_dump(), dates)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode_value(dataclasses.asdict(value), dates)  # a find value
    if isinstance(value, dict):
        return {_encode_key(key): encode_value(item, dates) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode_value(item, dates) for item in value]
    if isinstance(value, set | frozenset):
        # In a fixed order, so equal sets are equal arrays for finds and unique indexes.
        # The core's order, in which sets are rebuilt on write and so read back alike.
        return [encode_value(item, dates) for item in set_order(value)]
    if isinstance(value, enum.Enum):
        return encode_value(value.value, dates)
    if isinstance(value, STRING_STORED_TYPES):
        return str(value)
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="microseconds")  # naive: the core refuses aware times
    if isinstance(value, datetime.timedelta):
        return _TIMEDELTA.dump_python(value, mode="json")
    if isinstance(value, datetime.datetime):
        return dates(value)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=_UTC)
    if isinstance(value, decimal.Decimal):
        try:
            return Decimal128(value)
        except decimal.DecimalException:
            raise ValueError(
                f"Decimal {value} does not fit MongoDB's Decimal128 (34 significant digits,"
                " exponent -6176 to 6111); round it, e.g. with Decimal.quantize(), before"
                " storing it."
            ) from None
    return value


def _encode_key(key: Any) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    return key if isinstance(key, str) else str(key)


def encode_document(
    dto: BaseModel | dict[str, Any], id_field: str, dates: DatetimeEncoder = datetime_text
) -> dict[str, Any]:
    """Return the document stored for a DTO or its dump: its ID under ``_id``, first.

    Public as ``hexkit.providers.mongodb.encode_document``: the provider's encoding, for
    raw-driver interop and benchmarks.

    A ``BsonDateError`` from ``dates`` leaves with ``field`` naming the value's path.
    """
    dumped = dict(dto) if isinstance(dto, dict) else dto.model_dump()
    document: dict[str, Any] = {"_id": encode_value(dumped.pop(id_field))}
    try:
        for key, value in dumped.items():
            document[key] = value if type(value) in _PLAIN else encode_value(value, dates)
    except BsonDateError as error:
        error.field = _path_of(error.value, dumped) or error.field
        raise
    return document


def _path_of(target: Any, value: Any, prefix: str = "") -> str | None:
    """Return the dotted path of the object ``target`` inside ``value`` (error path only)."""
    if value is target:
        return prefix
    items: Any
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple | set | frozenset):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _path_of(target, item, f"{prefix}.{key}" if prefix else str(key))
        if found is not None:
            return found
    return None

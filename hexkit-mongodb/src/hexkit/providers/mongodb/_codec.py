"""How DTOs become MongoDB documents and back.

Documents stay plain MongoDB documents that other tools can read and query. The
mapping per Python type (``model_dump`` in Python mode first, then this)::

    str, int, float, bool, None   -> BSON string, int32/int64, double, bool, null
    uuid.UUID                     -> BSON binary subtype 4 (uuidRepresentation="standard")
    decimal.Decimal               -> BSON Decimal128 (exact up to 34 digits)
    datetime.datetime             -> ISO-8601 string, see below
    datetime.date                 -> BSON date at midnight UTC (lossless)
    enum.Enum                     -> its value (str or int enums: string or int)
    nested model, dict            -> embedded document, keys as field names
    list, tuple, set, frozenset   -> array

BSON dates count milliseconds, so a native date would silently drop the
microseconds of a ``datetime``. Datetimes are therefore stored as ISO-8601 text with
exactly six fractional digits: aware datetimes converted to UTC and ending in
``+00:00`` (``2024-05-01T12:30:00.123456+00:00``), naive ones without an offset. Within
one kind that text sorts chronologically and compares equal exactly when the
instants are equal, so sorting, equality finds and ``$gt``/``$lt`` queries from
other tools keep working. The instant round-trips exactly; an aware datetime
comes back in UTC (equal to the original, as Python compares aware datetimes by
instant).

Find values are encoded by the very same function as stored values, so a
validated find value matches exactly what ``insert`` stored.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

from bson.codec_options import CodecOptions, TypeDecoder, TypeRegistry
from bson.decimal128 import Decimal128
from pydantic import BaseModel

__all__ = ["CODEC_OPTIONS", "encode_document", "encode_value"]

_UTC = datetime.UTC
_PLAIN = frozenset({str, int, float, bool, type(None), uuid.UUID})


class _DecimalDecoder(TypeDecoder):
    """Turn BSON Decimal128 back into ``decimal.Decimal`` while the driver decodes."""

    bson_type = Decimal128

    def transform_bson(self, value: Any) -> Any:
        """Return the exact ``Decimal`` that was stored."""
        return value.to_decimal()


CODEC_OPTIONS: CodecOptions[dict[str, Any]] = CodecOptions(
    tz_aware=True,
    tzinfo=_UTC,
    uuid_representation=4,  # bson.binary.UuidRepresentation.STANDARD
    type_registry=TypeRegistry([_DecimalDecoder()]),
)


def _encode_datetime(value: datetime.datetime) -> str:
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(_UTC).isoformat(timespec="microseconds")
    return value.isoformat(timespec="microseconds")


def encode_value(value: Any) -> Any:  # noqa: PLR0911 - one return per row of the table
    """Return the BSON-ready form of one Python value (see the module docstring)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, BaseModel):
        return encode_value(value.model_dump())
    if isinstance(value, dict):
        return {str(key): encode_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [encode_value(item) for item in value]
    if isinstance(value, enum.Enum):
        return encode_value(value.value)
    if isinstance(value, datetime.datetime):
        return _encode_datetime(value)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=_UTC)
    if isinstance(value, decimal.Decimal):
        return Decimal128(value)
    return value


def encode_document(dto: BaseModel, id_field: str) -> dict[str, Any]:
    """Return the document stored for ``dto``: its ID under ``_id``, first."""
    dumped = dto.model_dump()
    document: dict[str, Any] = {"_id": encode_value(dumped.pop(id_field))}
    for key, value in dumped.items():
        document[key] = value if type(value) in _PLAIN else encode_value(value)
    return document

"""The read-back rule: what every provider returns for a written value, made once, here.

Backends keep different forms of equal values: PostgreSQL's JSONB writes a Decimal's
exponent out (``1E+3`` reads ``1000``) and drops the sign of zero (``-0.0`` reads
``0.0``); MongoDB and PostgreSQL keep an aware datetime's instant, not its offset. A
DTO read back must be identical on every provider, equal *and* serialising to the same
JSON, so every write stores the one form all of them keep::

    aware datetime      converted to UTC (tzinfo ``datetime.UTC``); naive ones unchanged
    Decimal             a positive exponent written out: ``1E+3`` -> ``1000``,
                        ``1.2E+5`` -> ``120000``; digits after the point are kept
                        (``1.10`` stays ``1.10``, ``1E-3`` stays ``0.001``)
    negative zero       loses its sign: ``Decimal("-0.00")`` -> ``0.00``, ``-0.0`` -> ``0.0``
    dict keys           in JSONB's order: shorter keys first, then by their UTF-8 bytes
                        (``{"b": 1, "a": 2, "": 3}`` -> ``{"": 3, "a": 2, "b": 1}``); a
                        model's fields keep the model's order
    set, frozenset      rebuilt from their items in ``set_order`` (by type, then repr),
                        the order providers store them in, so equal sets iterate and
                        serialise alike

Everything else is kept as it is. ``DaoSpec.validate_dto`` (every write) and
``DaoSpec.new_dto`` (surrogate-ID inserts) apply :func:`normalize_model`, so the memory
provider stores, and every provider returns, the normal form; the storage rules
(``_documents``) then apply to it: a Decimal whose written-out form has more than 34
digits (``1E+40``) is refused, as no provider could return it identically.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import math
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["normalize", "normalize_model", "set_order"]

M = TypeVar("M", bound=BaseModel)
_UTC = datetime.UTC
_PLAIN = frozenset({str, int, bool, type(None), bytes})


def _decimal(value: decimal.Decimal) -> decimal.Decimal:
    if not value.is_finite():
        return value  # refused by the storage rules, with the field named
    sign, _, exponent = value.as_tuple()
    if value.is_zero():
        if not sign and int(exponent) <= 0:
            return value
        # Zero never keeps a positive exponent or a sign: 0E+3 -> 0, -0.00 -> 0.00.
        return decimal.Decimal((0, (0,), min(int(exponent), 0)))
    if int(exponent) > 0:
        return decimal.Decimal(int(value))  # exact: a positive exponent means an integer
    return value


def _datetime(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None or value.tzinfo is _UTC:
        return value
    offset = value.utcoffset()
    if offset is None:
        return value  # a tzinfo that names no offset: naive, as Python compares it
    try:
        return value.astimezone(_UTC)
    except OverflowError:
        return value  # refused by the storage rules, with the field named


def set_order(items: Iterable[Any]) -> list[Any]:
    """Return the items of a set in the order every provider stores them.

    By type name, then ``repr``: a total order for any mix of types, the same in every
    process (unlike a set's iteration order, which depends on hashes and history).
    """
    return sorted(items, key=lambda item: (type(item).__name__, repr(item)))


def _key_order(key: Any) -> tuple[int, bytes]:
    """PostgreSQL's JSONB order of object keys: shorter first, then by their UTF-8 bytes."""
    text = str(key.value if isinstance(key, enum.Enum) else key).encode("utf-8", "surrogatepass")
    return (len(text), text)


def _dict(value: dict[Any, Any]) -> dict[Any, Any]:
    items = {key: normalize(item) for key, item in value.items()}
    keys = list(items)
    ordered = sorted(keys, key=_key_order) if len(keys) > 1 else keys
    if ordered == keys and all(items[key] is item for key, item in value.items()):
        return value
    return {key: items[key] for key in ordered}


def normalize_model(dto: M) -> M:
    """Return ``dto`` in its read-back form; the very same instance if it is already.

    Values are replaced by equal values of the same types (no validation runs again).
    """
    updates: dict[str, Any] = {}
    values = dto.__dict__
    for name in type(dto).model_fields:
        if name in values:
            value = values[name]
            new = normalize(value)
            if new is not value:
                updates[name] = new
    return dto.model_copy(update=updates) if updates else dto


def normalize(value: Any) -> Any:  # noqa: PLR0911 - one return per kind
    """Return ``value`` in its read-back form; the very same object if it is already."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is float:
        return 0.0 if value == 0 and math.copysign(1.0, value) < 0 else value
    if isinstance(value, BaseModel):
        return normalize_model(value)
    if isinstance(value, dict):
        return _dict(value)
    if isinstance(value, set | frozenset):
        # Rebuilt in the one order every provider stores and reads back sets in, so it
        # iterates (and serialises) alike: equal sets built in another order may not.
        return type(value)(set_order(normalize(item) for item in value))
    if isinstance(value, list | tuple):
        items = [normalize(item) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else type(value)(items)
    if isinstance(value, decimal.Decimal):
        return _decimal(value)
    if isinstance(value, datetime.datetime):
        return _datetime(value)
    return value

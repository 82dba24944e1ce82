"""Random DTO models and values drawn from the supported-type table.

Each :class:`FieldKind` is one row of the table in the core README: an annotation, a
strategy of values (mostly valid, sometimes a value the storage rules refuse), and
whether every provider sorts and indexes it. :func:`models` draws a pydantic model of a
few random kinds, possibly nesting another drawn model.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import math
import uuid
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from pydantic import AnyUrl, BaseModel, create_model

__all__ = ["FIELD_KINDS", "DrawnModel", "FieldKind", "Shade", "Tier", "ids", "models"]

_INT64 = 2**63


class Shade(str, enum.Enum):  # noqa: UP042 - the mixin form most services use
    """A str-valued enum for drawn models."""

    DARK = "dark"
    LIGHT = "light"
    NONE = ""


class Tier(enum.IntEnum):
    """An int-valued enum for drawn models."""

    LOW = -1
    MID = 0
    HIGH = 2**40


@dataclass(frozen=True)
class FieldKind:
    """One supported field type: its annotation, its values and what providers do with it."""

    name: str
    annotation: Any
    values: st.SearchStrategy[Any]
    sortable: bool = False
    indexable: bool = False


def _mostly(valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any]) -> Any:
    """Draw valid values nine times in ten, else a value the storage rules refuse."""
    return st.integers(0, 9).flatmap(lambda n: invalid if n == 0 else valid)


_offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
    lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes))
)
_text = st.text(max_size=6)
_aware = st.datetimes(timezones=_offsets)
_naive = st.datetimes()
_decimals = st.decimals(allow_nan=False, allow_infinity=False)
_small_decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000),
    st.sampled_from(["1E+3", "-0", "0E+2", "1.10", "-0.00", "2.5E+1", "1E-3"]).map(decimal.Decimal),
    _decimals,
)
_url_paths = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=5)

FIELD_KINDS: tuple[FieldKind, ...] = (
    FieldKind("str", str, _mostly(_text, st.just("nul\x00")), sortable=True, indexable=True),
    FieldKind(
        "int",
        int,
        _mostly(st.integers(-_INT64, _INT64 - 1), st.sampled_from([_INT64, -_INT64 - 1])),
        sortable=True,
        indexable=True,
    ),
    FieldKind(
        "float",
        float,
        _mostly(
            st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([math.inf, math.nan])
        ),
        sortable=True,
        indexable=True,
    ),
    FieldKind("bool", bool, st.booleans(), sortable=True, indexable=True),
    FieldKind(
        "decimal",
        decimal.Decimal,
        _mostly(_small_decimals, st.just(decimal.Decimal("NaN"))),
        sortable=True,
        indexable=True,
    ),
    FieldKind("aware_datetime", datetime.datetime, _aware, sortable=True, indexable=True),
    FieldKind(
        "datetime", datetime.datetime, st.one_of(_naive, _aware), sortable=True, indexable=True
    ),
    FieldKind("date", datetime.date, st.dates(), sortable=True, indexable=True),
    FieldKind(
        "time",
        datetime.time,
        _mostly(st.times(), st.times(timezones=_offsets)),
        sortable=True,
        indexable=True,
    ),
    FieldKind("timedelta", datetime.timedelta, st.timedeltas()),
    FieldKind("uuid", uuid.UUID, st.uuids(), sortable=True, indexable=True),
    FieldKind("bytes", bytes, _text.map(lambda text: text.encode("utf-8"))),
    FieldKind("shade", Shade, st.sampled_from(Shade), sortable=True, indexable=True),
    FieldKind("tier", Tier, st.sampled_from(Tier), sortable=True, indexable=True),
    FieldKind(
        "url",
        AnyUrl,
        st.builds(
            lambda host, path: f"https://{host}.example/{path}", st.sampled_from("abXY"), _url_paths
        ),
    ),
    FieldKind("tags", set[str], st.sets(_text, max_size=4)),
    FieldKind("numbers", list[int], st.lists(st.integers(-_INT64, _INT64 - 1), max_size=3)),
    FieldKind(
        "prices", dict[str, decimal.Decimal], st.dictionaries(_text, _small_decimals, max_size=3)
    ),
    FieldKind("int_or_str", int | str, st.one_of(st.integers(-100, 100), _text)),
    FieldKind("maybe_moment", datetime.datetime | None, st.one_of(st.none(), _aware)),
    FieldKind("maybe_text", str | None, st.one_of(st.none(), _text), sortable=True, indexable=True),
)


@dataclass(frozen=True)
class DrawnModel:
    """A drawn DTO model, the kinds of its fields, and its nested model if any."""

    model: type[BaseModel]
    creation: type[BaseModel]
    fields: dict[str, FieldKind]
    nested: DrawnModel | None = None

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}: {kind.name}" for name, kind in self.fields.items())
        inner = f", inner: {self.nested!r} | None" if self.nested is not None else ""
        return f"{self.model.__name__}({fields}{inner})"

    def values(self) -> st.SearchStrategy[dict[str, Any]]:
        """Draw field values (without ID) for this model."""
        strategies: dict[str, st.SearchStrategy[Any]] = {
            name: kind.values for name, kind in self.fields.items()
        }
        if self.nested is not None:
            strategies["inner"] = st.one_of(st.none(), self.nested.values())
        return st.fixed_dictionaries(strategies)

    def paths(self) -> dict[str, FieldKind]:
        """Every field path of this model a find or a sort may name, with its kind."""
        found = dict(self.fields)
        if self.nested is not None:
            found.update({f"inner.{name}": kind for name, kind in self.nested.fields.items()})
        return found


_counter = iter(range(10**12))


def _build(kinds: list[FieldKind], nested: DrawnModel | None, *, with_id: bool) -> DrawnModel:
    number = next(_counter)
    fields: dict[str, Any] = {
        f"f{i}_{kind.name}": (kind.annotation, ...) for i, kind in enumerate(kinds)
    }
    if nested is not None:
        fields["inner"] = (nested.model | None, None)
    creation = create_model(f"Drawn{number}Creation", **fields)
    model = create_model(f"Drawn{number}", __base__=creation, id=(str, ...))
    named = {f"f{i}_{kind.name}": kind for i, kind in enumerate(kinds)}
    return DrawnModel(
        model=model if with_id else creation, creation=creation, fields=named, nested=nested
    )


@st.composite
def models(draw: st.DrawFn, kinds: tuple[FieldKind, ...] = FIELD_KINDS) -> DrawnModel:
    """Draw a DTO model of one to four of ``kinds``, nesting a model sometimes."""
    nested: DrawnModel | None = None
    if draw(st.booleans()):
        inner = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=3))
        nested = _build(inner, None, with_id=False)
    chosen = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=4))
    return _build(chosen, nested, with_id=True)


#: IDs drawn from a small pool, so writes collide; astral and combining characters too.
ids = st.sampled_from(["a", "b", "A", "e\u0301", "\u00e9", "\U0001f600"])

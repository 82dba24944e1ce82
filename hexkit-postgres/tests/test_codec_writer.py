"""The fast writer of checked documents writes exactly the walk's text, or is not used."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from ipaddress import IPv4Address
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, HttpUrl

from hexkit.providers.postgres._codec import dump_value, dumper_for
from hexkit.testing import Color, Level, make_everything


class Plain(Enum):
    ONE = 1
    TWO = "two"


class Odd(str, Enum):  # noqa: UP042 - a str mixin whose text is not its value
    def __new__(cls, value: str, label: str) -> Odd:
        member = str.__new__(cls, label)
        member._value_ = value
        return member

    ONE = ("one", "The one")


class Wide(BaseModel):
    """Every kind the fast writer takes: it must agree with the walk on each."""

    id: str
    blob: bytes
    members: frozenset[str]
    numbers: set[int]
    refs: tuple[uuid.UUID, ...]
    clock: time
    duration: timedelta
    day: date
    naive: datetime
    aware: datetime
    url: HttpUrl
    path: PurePosixPath
    ip: IPv4Address
    plain: Plain
    by_color: dict[Color, Level]
    mode: Literal["a", "b"]
    amounts: list[Decimal]
    bounded: Annotated[int, Field(ge=0)]
    maybe: Wide | None = None


def _wide(number: int) -> Wide:
    return Wide(
        id=f"w-{number}",
        blob=bytes(range(number, number + 40)),
        members=frozenset({"b", "a", f"m{number}"}),
        numbers={3, 1, number},
        refs=(uuid.UUID(int=number), uuid.UUID(int=7)),
        clock=time(12, 30, number),
        duration=timedelta(days=number, microseconds=5),
        day=date(2024, 2, 29),
        naive=datetime(2024, 1, 1, 12, number),
        aware=datetime(2024, 1, 1, 12, number, tzinfo=UTC),
        url=HttpUrl(f"https://example.org/ü/{number}"),
        path=PurePosixPath(f"/data/{number}"),
        ip=IPv4Address(number),
        plain=Plain.TWO if number % 2 else Plain.ONE,
        by_color={Color.RED: Level.LOW, Color.BLUE: Level.HIGH},
        mode="b",
        amounts=[Decimal("1E+3"), Decimal("-0.000001"), Decimal(number)],
        bounded=number,
        maybe=Wide.model_validate({**_base(), "id": "inner"}) if number else None,
    )


def _base() -> dict[str, Any]:
    return {
        "blob": b"\x00\xff",
        "members": frozenset(),
        "numbers": set(),
        "refs": (),
        "clock": time(0),
        "duration": timedelta(0),
        "day": date(2000, 1, 1),
        "naive": datetime(2000, 1, 1),
        "aware": datetime(2000, 1, 1, tzinfo=UTC),
        "url": "https://example.org",
        "path": "/",
        "ip": "10.0.0.1",
        "plain": 1,
        "by_color": {},
        "mode": "a",
        "amounts": [],
        "bounded": 0,
    }


@pytest.mark.parametrize(
    "dto", [make_everything(f"e-{n}", n) for n in range(4)] + [_wide(n) for n in range(4)]
)
def test_the_fast_writer_writes_the_walks_text(dto: BaseModel) -> None:
    dump = dumper_for(type(dto))
    assert dump is not dump_value, "this model should take the fast writer"
    document = dto.model_dump()
    assert dump(document) == dump_value(document)


class BoolKeys(BaseModel):
    flags: dict[bool, int]


class IntKeys(BaseModel):
    counts: dict[int, str]


class NoneKeys(BaseModel):
    counts: dict[str | None, int]


class Anything(BaseModel):
    value: Any


class OddEnum(BaseModel):
    odd: Odd


class Unparametrized(BaseModel):
    items: list  # type: ignore[type-arg]


class Nested(BaseModel):
    inner: BoolKeys


@pytest.mark.parametrize(
    "model", [BoolKeys, IntKeys, NoneKeys, Anything, OddEnum, Unparametrized, Nested]
)
def test_models_the_c_encoder_would_write_differently_keep_the_walk(
    model: type[BaseModel],
) -> None:
    assert dumper_for(model) is dump_value


def test_the_walk_writes_bool_keys_and_odd_enums_as_the_c_encoder_would_not() -> None:
    # Why BoolKeys and OddEnum keep the walk: the C encoder writes `true` and `The one`.
    assert dump_value(BoolKeys(flags={True: 1}).model_dump()) == '{"flags":{"True":1}}'
    assert dump_value(OddEnum(odd=Odd.ONE).model_dump()) == '{"odd":"one"}'


def test_find_statements_are_built_once_per_shape() -> None:
    from hexkit.protocols.dao import CursorSigner, DaoSpec  # noqa: PLC0415
    from hexkit.providers.postgres._dao import PostgresDao  # noqa: PLC0415
    from hexkit.providers.postgres._sql import TableSql  # noqa: PLC0415
    from hexkit.testing import Everything  # noqa: PLC0415

    spec = DaoSpec(name="things", dto_model=Everything, id_field="id", id_type="str")
    sql = TableSql.for_spec("public", spec)
    dao = PostgresDao(None, spec, sql, CursorSigner())  # type: ignore[arg-type]
    by_number = dao.find_sql(spec.find_query({"number": 1}), paged=True)
    assert dao.find_sql(spec.find_query({"number": 2}), paged=True) is by_number
    by_text = dao.find_sql(spec.find_query({"text": "a"}), paged=True)
    sorted_ = dao.find_sql(spec.find_query({"number": 1}, sort=["-text"]), paged=True)
    assert len({by_number, by_text, sorted_}) == 3
    assert by_text == TableSql.for_spec("public", spec).find(
        spec.find_query({"text": "b"}), paged=True
    )

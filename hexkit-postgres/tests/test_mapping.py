"""The row mapping: plain, queryable SQL, and the storage semantics every provider shares."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import BaseModel

from hexkit.protocols.dao import Index, UniqueConstraintViolationError
from hexkit.providers.postgres.testutils import PostgresFixture
from hexkit.testing import Everything, make_everything

pytestmark = pytest.mark.asyncio


class Priced(BaseModel):
    id: str
    price: Decimal
    at: datetime | None = None


class Place(BaseModel):
    city: str


class Person(BaseModel):
    id: int
    name: str
    home: Place | None = None


async def test_rows_are_plain_sql_an_outside_tool_can_query(postgres: PostgresFixture) -> None:
    dao = await postgres.dao_factory.get_dao(name="people", dto_model=Everything, id_field="id")
    await dao.insert(make_everything("p-1", 3))
    async with postgres.connect() as connection:
        row = await connection.fetchrow(
            "SELECT id, data->'address'->>'city' AS city, (data->>'number')::int AS number,"
            " data->>'moment' AS moment, data->'amount' AS amount, data->>'ref' AS ref"
            " FROM people WHERE data->>'text' LIKE 'text-p-1%'"
        )
        columns = await connection.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = $1 AND table_name = 'people' ORDER BY ordinal_position",
            postgres.schema,
        )
    assert [tuple(column) for column in columns] == [("id", "text"), ("data", "jsonb")]
    assert (row["id"], row["city"], row["number"]) == ("p-1", "Heidelberg", 3)
    assert row["moment"] == "2024-02-29T18:32:58.123456+00:00"  # UTC, six digits
    assert row["amount"] == "1234567890.123456789012"  # a JSON number, exact
    assert row["ref"] == str(uuid.UUID(int=4))


async def test_id_columns_are_typed_after_the_id_annotation(postgres: PostgresFixture) -> None:
    class Keyed(BaseModel):
        key: uuid.UUID

    await postgres.dao_factory.get_dao(name="by-int", dto_model=Person, id_field="id")
    await postgres.dao_factory.get_dao(name="by-uuid", dto_model=Keyed, id_field="key")
    async with postgres.connect() as connection:
        types = dict(
            await connection.fetch(
                "SELECT table_name, data_type FROM information_schema.columns"
                " WHERE table_schema = $1 AND column_name = 'id'",
                postgres.schema,
            )
        )
    assert types == {"by-int": "bigint", "by-uuid": "uuid"}


async def test_decimals_are_exact_equal_by_value_and_sorted_numerically(
    postgres: PostgresFixture,
) -> None:
    dao = await postgres.dao_factory.get_dao(name="prices", dto_model=Priced, id_field="id")
    values = ["1.10", "10", "9.99", "-0.5", "0.1000000000000000000000000001"]
    for number, value in enumerate(values):
        await dao.insert(Priced(id=f"p{number}", price=Decimal(value)))
    assert str((await dao.get_by_id("p0")).price) == "1.10"
    assert str((await dao.get_by_id("p4")).price) == values[4]
    assert (await dao.find_one(mapping={"price": Decimal("1.1")})).id == "p0"
    ordered = await dao.find_all(mapping={}, sort=["price"]).to_list()
    assert [str(item.price) for item in ordered] == ["-0.5", values[4], "1.10", "9.99", "10"]


async def test_datetimes_equal_by_instant_and_sort_chronologically(
    postgres: PostgresFixture,
) -> None:
    dao = await postgres.dao_factory.get_dao(name="times", dto_model=Priced, id_field="id")
    base = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    plus_two = timezone(timedelta(hours=2))
    # Local wall-clock order differs from the instants' order.
    await dao.insert(Priced(id="later", price=Decimal(1), at=base.astimezone(plus_two)))
    await dao.insert(Priced(id="earlier", price=Decimal(1), at=base - timedelta(minutes=30)))
    await dao.insert(Priced(id="none", price=Decimal(1)))
    hit = await dao.find_one(mapping={"at": base})
    assert hit.id == "later"
    assert hit.at == base
    ordered = await dao.find_all(mapping={}, sort=["at"]).to_list()
    assert [item.id for item in ordered] == ["none", "earlier", "later"]
    descending = await dao.find_all(mapping={}, sort=["-at"]).to_list()
    assert [item.id for item in descending] == ["later", "earlier", "none"]


async def test_strings_sort_by_code_point_whatever_the_collation(
    postgres: PostgresFixture,
) -> None:
    dao = await postgres.dao_factory.get_dao(name="names", dto_model=Person, id_field="id")
    names = ["b", "B", "a", "Ä", "_", "A"]
    for number, name in enumerate(names):
        await dao.insert(Person(id=number, name=name))
    ordered = await dao.find_all(mapping={}, sort=["name"]).to_list()
    assert [item.name for item in ordered] == sorted(names)


async def test_dao_names_are_case_sensitive(postgres: PostgresFixture) -> None:
    upper = await postgres.dao_factory.get_dao(name="Users", dto_model=Person, id_field="id")
    lower = await postgres.dao_factory.get_dao(name="users", dto_model=Person, id_field="id")
    await upper.insert(Person(id=1, name="upper"))
    await lower.insert(Person(id=1, name="lower"))
    assert (await upper.get_by_id(1)).name == "upper"
    assert (await lower.get_by_id(1)).name == "lower"


async def test_long_names_get_distinct_short_tables_and_indexes(
    postgres: PostgresFixture,
) -> None:
    first_name, second_name = "x" * 63 + "1", "x" * 63 + "2"
    indexes = [Index("name", unique=True)]
    first = await postgres.dao_factory.get_dao(
        name=first_name, dto_model=Person, id_field="id", indexes=indexes
    )
    second = await postgres.dao_factory.get_dao(
        name=second_name, dto_model=Person, id_field="id", indexes=indexes
    )
    await first.insert(Person(id=1, name="same"))
    await second.insert(Person(id=1, name="same"))
    with pytest.raises(UniqueConstraintViolationError) as info:
        await first.insert(Person(id=2, name="same"))
    assert info.value.fields == ("name",)
    async with postgres.connect() as connection:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1", postgres.schema
        )
    assert len({table for (table,) in tables}) == 2


async def test_none_values_and_missing_nested_models_clash_under_a_unique_index(
    postgres: PostgresFixture,
) -> None:
    dao = await postgres.dao_factory.get_dao(
        name="homes", dto_model=Person, id_field="id", indexes=[Index("home.city", unique=True)]
    )
    await dao.insert(Person(id=1, name="homeless"))
    with pytest.raises(UniqueConstraintViolationError):
        await dao.insert(Person(id=2, name="also homeless"))
    await dao.insert(Person(id=3, name="housed", home=Place(city="Bonn")))
    assert await dao.find_all(mapping={}).total_count() == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [("nul in text", "a\x00b"), ("nul in key", {"a\x00": 1})],
)
async def test_nul_characters_are_refused_with_advice(
    postgres: PostgresFixture, name: str, value: object
) -> None:
    class Loose(BaseModel):
        id: str
        value: object

    dao = await postgres.dao_factory.get_dao(name="loose", dto_model=Loose, id_field="id")
    with pytest.raises(ValueError, match="NUL"):
        await dao.insert(Loose(id=name, value=value))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), 2**63])
async def test_values_json_cannot_hold_exactly_are_refused(
    postgres: PostgresFixture, value: object
) -> None:
    class Loose(BaseModel):
        id: str
        value: object

    dao = await postgres.dao_factory.get_dao(name="loose", dto_model=Loose, id_field="id")
    with pytest.raises(ValueError, match=r"nan|inf|NaN|64 bits"):
        await dao.insert(Loose(id="x", value=value))
    assert await dao.find_all(mapping={}).total_count() == 0


async def test_many_get_dao_calls_at_once_all_succeed(postgres: PostgresFixture) -> None:
    indexes = [Index("name", unique=True), Index("home.city")]
    async with (
        postgres.open_factory() as other,
        postgres.open_factory() as third,
    ):
        factories = [postgres.dao_factory, other, third]
        daos = await asyncio.gather(
            *(
                factories[number % 3].get_dao(
                    name=f"raced-{number % 2}", dto_model=Person, id_field="id", indexes=indexes
                )
                for number in range(12)
            )
        )
        await daos[0].insert(Person(id=1, name="one"))
        assert (await daos[4].get_by_id(1)).name == "one"
        assert (await daos[2].get_by_id(1)).name == "one"


async def test_find_all_streams_past_one_batch_in_order(postgres: PostgresFixture) -> None:
    from hexkit.providers.postgres import FIND_BATCH_SIZE as BATCH_SIZE  # noqa: PLC0415

    dao = await postgres.dao_factory.get_dao(name="many", dto_model=Person, id_field="id")
    async with postgres.connect() as connection:
        await connection.executemany(
            "INSERT INTO many (id, data) VALUES ($1, $2::jsonb)",
            [(number, json.dumps({"name": f"n{number}"})) for number in range(BATCH_SIZE * 2 + 7)],
        )
    seen = [item.id async for item in dao.find_all(mapping={}, sort=["-id"], skip=3)]
    assert seen == list(range(BATCH_SIZE * 2 + 3, -1, -1))
    result = dao.find_all(mapping={})
    assert (await result.__anext__()).id == 0
    await result.aclose()
    assert await dao.find_all(mapping={}).total_count() == BATCH_SIZE * 2 + 7

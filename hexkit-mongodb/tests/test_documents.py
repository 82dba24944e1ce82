"""Stored documents: their shape as other tools see it, exact round trips, literal finds."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from bson import Binary, CodecOptions
from bson.binary import UuidRepresentation
from bson.decimal128 import Decimal128
from pydantic import BaseModel

from hexkit.protocols.dao import DaoError, Index, InvalidFindMappingError
from hexkit.providers.mongodb.testutils import MongoDbFixture
from hexkit.testing import Address, Color, Everything, Level, make_everything

pytestmark = pytest.mark.asyncio


class Moment(BaseModel):
    id: int
    at: datetime


class Loose(BaseModel):
    id: str
    payload: dict[str, Any]
    items: list[Any]


def raw(mongodb: MongoDbFixture, name: str) -> Any:
    """The collection as another tool sees it: no UUID or Decimal decoding."""
    options: CodecOptions[dict[str, Any]] = CodecOptions(
        uuid_representation=UuidRepresentation.UNSPECIFIED, tz_aware=True
    )
    return mongodb.dao_factory._database.get_collection(name, codec_options=options)


async def test_documents_are_plain_mongodb_documents(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(name="shape", dto_model=Everything, id_field="id")
    dto = make_everything("doc-1", 3)
    await dao.insert(dto)
    stored = await raw(mongodb, "shape").find_one({"_id": "doc-1"})
    assert next(iter(stored)) == "_id"
    assert "id" not in stored
    assert stored["amount"] == Decimal128("1234567890.123456789012")
    assert stored["ref"] == Binary(uuid.UUID(int=4).bytes, 4)
    assert stored["moment"] == "2024-02-29T18:32:58.123456+00:00"  # +05:30 taken to UTC
    assert stored["day"] == datetime(2024, 2, 29, tzinfo=UTC)
    assert (stored["color"], stored["level"]) == ("blue", 2)
    assert stored["address"] == {"street": "Main St 1", "city": "Heidelberg", "zip_code": 69117}
    assert stored["history"] == [{"street": "Old St 2", "city": "Berlin", "zip_code": None}]
    assert stored["tags"] == ["a", "b", "n3"]
    assert stored["scores"] == {"x": 3, "y": -3}
    assert stored["nothing"] is None


async def test_other_tools_can_query_the_documents_natively(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(name="native", dto_model=Everything, id_field="id")
    for number in range(4):
        await dao.insert(make_everything(f"n{number}", number))
    collection = raw(mongodb, "native")
    assert await collection.count_documents({"number": {"$gte": 2}}) == 2
    assert await collection.count_documents({"amount": {"$gt": Decimal128("1000")}}) == 4
    assert await collection.count_documents({"address.city": "Heidelberg"}) == 4
    late = "2024-02-29T18:31:30.000000+00:00"
    assert await collection.count_documents({"moment": {"$gt": late}}) == 2


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-11))),
        datetime(2024, 6, 1, 12, 0, 0, 500, tzinfo=timezone(timedelta(hours=14))),
        datetime(2024, 6, 1, 12, 0, 0, 123456),  # naive stays naive
    ],
)
async def test_datetimes_round_trip_to_the_microsecond(
    mongodb: MongoDbFixture, moment: datetime
) -> None:
    dao = await mongodb.dao_factory.get_dao(name="moments", dto_model=Moment, id_field="id")
    await dao.insert(Moment(id=1, at=moment))
    loaded = (await dao.get_by_id(1)).at
    assert loaded == moment
    assert loaded.microsecond == moment.microsecond
    assert (loaded.tzinfo is None) == (moment.tzinfo is None)
    assert (await dao.find_one(mapping={"at": moment})).id == 1


async def test_datetimes_sort_chronologically_across_offsets(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(name="order", dto_model=Moment, id_field="id")
    base = datetime(2024, 1, 1, 12, tzinfo=UTC)
    plus_two = timezone(timedelta(hours=2))
    moments = {
        1: base.astimezone(plus_two) + timedelta(microseconds=2),
        2: base,
        3: base + timedelta(microseconds=1),
        4: base.astimezone(plus_two) - timedelta(hours=1),
    }
    for key, moment in moments.items():
        await dao.insert(Moment(id=key, at=moment))
    hits = await dao.find_all(mapping={}, sort=["at"]).to_list()
    assert [hit.id for hit in hits] == [4, 2, 3, 1]


async def test_extreme_values_round_trip_exactly(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(name="extreme", dto_model=Everything, id_field="id")
    dto = make_everything("x", 1)
    dto.number = 2**62
    dto.amount = Decimal("-0.000000000000000000000000000000001")
    dto.ratio = 1e-300
    dto.text = "\x01 control and emoji 🧪"
    dto.scores = {"big": -(2**63), "small": 2**63 - 1}
    dto.history = [Address(street="s", city=f"c{index}") for index in range(50)]
    dto.other_address = Address(street="", city="", zip_code=0)
    await dao.insert(dto)
    loaded = await dao.get_by_id("x")
    assert loaded == dto
    assert str(loaded.amount) == str(dto.amount)
    assert type(loaded.level) is Level
    assert type(loaded.color) is Color


async def test_loose_dicts_and_lists_keep_their_json_like_values(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(name="loose", dto_model=Loose, id_field="id")
    dto = Loose(
        id="l",
        payload={"a": [1, 2.5, "x", None, True], "b": {"c": {"d": []}}},
        items=[{"k": "v"}, [1, [2]], "s", 3],
    )
    await dao.insert(dto)
    assert await dao.get_by_id("l") == dto


@pytest.mark.parametrize(
    "mapping",
    [
        {"payload": {"$ne": None}},
        {"payload": {"$gt": ""}},
        {"payload": {"a": {"$exists": True}}},
        {"items": [{"$gt": ""}]},
    ],
)
async def test_operator_shaped_values_are_refused_before_the_server(
    mongodb: MongoDbFixture, mapping: dict[str, Any]
) -> None:
    # A dict with "$" keys can never be stored, so it can never match: it is refused
    # as a find value before any query is built.
    dao = await mongodb.dao_factory.get_dao(name="inject", dto_model=Loose, id_field="id")
    await dao.insert(Loose(id="victim", payload={"a": 1}, items=["z"]))
    with pytest.raises(InvalidFindMappingError):
        dao.find_all(mapping=mapping)
    with pytest.raises(InvalidFindMappingError):
        await dao.find_one(mapping=mapping)


async def test_a_where_shaped_value_never_runs(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(name="where", dto_model=Loose, id_field="id")
    await dao.insert(Loose(id="victim", payload={"a": 1}, items=["z"]))
    with pytest.raises(InvalidFindMappingError) as info:
        dao.find_all(mapping={"payload": {"$where": "true"}})
    assert "$where" in str(info.value)
    assert (await dao.get_by_id("victim")).payload == {"a": 1}


async def test_operator_strings_are_plain_strings(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(name="strings", dto_model=Everything, id_field="id")
    await dao.insert(make_everything("a"))
    sneaky = make_everything("b")
    sneaky.text = "$gt"
    await dao.insert(sneaky)
    hits = await dao.find_all(mapping={"text": "$gt"}).to_list()
    assert [hit.id for hit in hits] == ["b"]
    with pytest.raises(InvalidFindMappingError):
        await dao.find_one(mapping={"number": {"$gt": 0}})


async def test_an_id_field_mapping_and_sort_use_the_id(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(
        name="ids", dto_model=Everything, id_field="id", indexes=[Index("id", "number")]
    )
    for key in ("b", "c", "a"):
        await dao.insert(make_everything(key))
    assert [hit.id for hit in await dao.find_all(mapping={}, sort=["-id"]).to_list()] == [
        "c",
        "b",
        "a",
    ]
    assert (await dao.find_one(mapping={"id": "c"})).id == "c"


async def test_a_stored_document_that_no_longer_validates_names_collection_and_id(
    mongodb: MongoDbFixture,
) -> None:
    dao = await mongodb.dao_factory.get_dao(name="drifted", dto_model=Everything, id_field="id")
    await dao.insert(make_everything("good"))
    await raw(mongodb, "drifted").insert_one({"_id": "broken", "text": 5})
    with pytest.raises(DaoError) as info:
        await dao.get_by_id("broken")
    message = str(info.value)
    assert "'drifted'" in message
    assert "'broken'" in message
    assert "migrate" in message
    with pytest.raises(DaoError, match="broken"):
        await dao.find_all(mapping={}, sort=["id"]).to_list()
    assert (await dao.get_by_id("good")).id == "good"


async def test_find_all_streams_in_batches_and_can_be_closed_early(
    mongodb: MongoDbFixture,
) -> None:
    dao = await mongodb.dao_factory.get_dao(name="stream", dto_model=Moment, id_field="id")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    await raw(mongodb, "stream").insert_many(
        [{"_id": key, "at": (start + timedelta(seconds=key)).isoformat()} for key in range(2500)]
    )
    result = dao.find_all(mapping={}, sort=["id"])
    first = [await anext(result) for _ in range(3)]
    assert [hit.id for hit in first] == [0, 1, 2]
    await result.aclose()
    assert await dao.find_all(mapping={}, skip=2490).total_count() == 2500
    tail = await dao.find_all(mapping={}, skip=2490, sort=["id"]).to_list()
    assert [hit.id for hit in tail] == list(range(2490, 2500))
    assert await dao.find_all(mapping={}, limit=0).to_list() == []


async def test_dates_are_native_and_match_by_day(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(name="days", dto_model=Everything, id_field="id")
    dto = make_everything("d")
    dto.day = date(1970, 1, 1)
    await dao.insert(dto)
    assert (await dao.find_one(mapping={"day": "1970-01-01"})).day == date(1970, 1, 1)

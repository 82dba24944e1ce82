"""Indexes are created at get_dao, idempotently, and unique ones are enforced."""

from __future__ import annotations

from typing import Any

import pytest

from hexkit.protocols.dao import DaoError, Index, UniqueConstraintViolationError
from hexkit.providers.mongodb.testutils import MongoDbFixture
from hexkit.testing import Everything, make_everything

pytestmark = pytest.mark.asyncio


async def indexes_of(mongodb: MongoDbFixture, name: str) -> dict[str, Any]:
    info: dict[str, Any] = await mongodb.dao_factory._database[name].index_information()
    return {key: (value["key"], bool(value.get("unique"))) for key, value in info.items()}


async def test_get_dao_creates_each_index_once(mongodb: MongoDbFixture) -> None:
    indexes = [
        Index("number", unique=True),
        Index("address.city", "text"),
        Index("id", "level"),
    ]
    for _ in range(3):
        await mongodb.dao_factory.get_dao(
            name="idx", dto_model=Everything, id_field="id", indexes=indexes
        )
    assert await indexes_of(mongodb, "idx") == {
        "_id_": ([("_id", 1)], False),
        "number_1": ([("number", 1)], True),
        "address.city_1_text_1": ([("address.city", 1), ("text", 1)], False),
        "_id_1_level_1": ([("_id", 1), ("level", 1)], False),
    }


async def test_an_index_on_the_id_field_alone_reuses_the_id_index(
    mongodb: MongoDbFixture,
) -> None:
    dao = await mongodb.dao_factory.get_dao(
        name="idonly", dto_model=Everything, id_field="id", indexes=[Index("id", unique=True)]
    )
    await dao.insert(make_everything("a"))
    assert await indexes_of(mongodb, "idonly") == {"_id_": ([("_id", 1)], False)}


async def test_unique_index_over_existing_duplicates_is_refused(mongodb: MongoDbFixture) -> None:
    plain = await mongodb.dao_factory.get_dao(name="dups", dto_model=Everything, id_field="id")
    await plain.insert(make_everything("a", 1))
    await plain.insert(make_everything("b", 1))
    with pytest.raises(UniqueConstraintViolationError) as info:
        await mongodb.dao_factory.get_dao(
            name="dups", dto_model=Everything, id_field="id", indexes=[Index("number", unique=True)]
        )
    assert info.value.collection == "dups"


async def test_an_existing_index_with_other_options_is_reported(mongodb: MongoDbFixture) -> None:
    await mongodb.dao_factory.get_dao(
        name="clash", dto_model=Everything, id_field="id", indexes=[Index("number")]
    )
    with pytest.raises(DaoError, match="drop that index"):
        await mongodb.dao_factory.get_dao(
            name="clash",
            dto_model=Everything,
            id_field="id",
            indexes=[Index("number", unique=True)],
        )


async def test_unique_violation_on_update_names_the_nested_field(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(
        name="nested",
        dto_model=Everything,
        id_field="id",
        indexes=[Index("address.street", "address.city", unique=True)],
    )
    await dao.insert(make_everything("a", city="Bonn"))
    await dao.insert(make_everything("b", city="Köln"))
    with pytest.raises(UniqueConstraintViolationError) as info:
        await dao.update(make_everything("b", city="Bonn"))
    assert info.value.fields == ("address.street", "address.city")
    assert (await dao.get_by_id("b")).address.city == "Köln"


async def test_find_on_an_indexed_field_uses_the_index(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(
        name="planned", dto_model=Everything, id_field="id", indexes=[Index("number")]
    )
    await dao.insert(make_everything("a", 4))
    query = dao._queries.filter(dao._spec.find_query({"number": 4}))  # type: ignore[attr-defined]
    plan = await mongodb.dao_factory._database["planned"].find(query).explain()
    assert "IXSCAN" in str(plan["queryPlanner"]["winningPlan"])

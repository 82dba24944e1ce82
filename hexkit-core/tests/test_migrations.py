"""hexkit.migrations beyond the kit: definitions, helpers, errors, the memory DAO's reads."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from hexkit.migrations import (
    Migration,
    MigrationDefinitionError,
    MigrationsNotSupportedError,
    MigrationTransformError,
    UnknownVersionError,
    add_field,
    change_id,
    drop_field,
    map_documents,
    merge_collections,
    migrate,
    rename_field,
    split_collection,
)
from hexkit.protocols.dao import DaoError
from hexkit.providers.memory import MemoryDaoFactory
from hexkit.testing.migrations import ITEMS, ItemV1, ItemV2, item, migrations


def _apply(transform: Any, document: dict[str, Any], collection: str = "c") -> list[Any]:
    return list(transform.apply(collection, document, {"c": "id", "d": "key", "e": "id"}))


def test_field_helpers_change_documents_in_place_and_reach_into_nested_objects() -> None:
    assert _apply(add_field("c", "a.b", [1]), {"id": 1}) == [("c", {"id": 1, "a": {"b": [1]}})]
    assert _apply(add_field("c", "x", 0), {"id": 1, "x": 5}) == [("c", {"id": 1, "x": 5})]
    renamed = _apply(rename_field("c", "meta.size", "size"), {"id": 1, "meta": {"size": 3}})
    assert renamed == [("c", {"id": 1, "meta": {}, "size": 3})]
    assert _apply(rename_field("c", "gone", "new"), {"id": 1}) == [("c", {"id": 1})]
    assert _apply(drop_field("c", "x"), {"id": 1, "x": 2}) == [("c", {"id": 1})]
    assert _apply(change_id("c", lambda doc: f"n-{doc['id']}"), {"id": 1}) == [("c", {"id": "n-1"})]
    assert _apply(map_documents("c", lambda doc: None), {"id": 1}) == []


def test_add_field_copies_a_mutable_default_for_each_document() -> None:
    transform = add_field("c", "tags", [])
    [(_, first)] = _apply(transform, {"id": 1})
    [(_, second)] = _apply(transform, {"id": 2})
    first["tags"].append("x")
    assert second["tags"] == []


def test_split_and_merge_move_documents_and_their_id_field() -> None:
    split = split_collection("c", lambda doc: None if doc["id"] == 0 else "d")
    assert _apply(split, {"id": 0}) == []
    assert _apply(split, {"id": 1, "v": 2}) == [("d", {"key": 1, "v": 2})]
    assert _apply(merge_collections(["c", "e"], into="c"), {"id": 3}, "e") == [("c", {"id": 3})]
    with pytest.raises(TypeError, match="list of collection names"):
        merge_collections("c", into="d")  # type: ignore[arg-type]


class _Secretive(BaseModel):
    id: str
    token: SecretStr


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"version": 0}, "at least 1"),
        ({"down": []}, "down and down_models together"),
        ({"id_fields": {}}, "id_fields has no entry for 'items'"),
        ({"models": {ITEMS: _Secretive}, "id_fields": {ITEMS: "id"}}, "collection 'items'"),
        ({"models": {}}, "writes no collection"),
        ({"up": rename_field(ITEMS, "a", "b")}, "list of transforms"),
    ],
)
def test_malformed_migrations_are_refused_naming_the_problem(
    kwargs: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {
        "version": 1,
        "up": [add_field(ITEMS, "tags", [])],
        "models": {ITEMS: ItemV2},
        "id_fields": {ITEMS: "item_id"},
        **kwargs,
    }
    with pytest.raises(MigrationDefinitionError, match=message):
        Migration(**arguments)


@pytest.mark.asyncio
async def test_a_gap_or_a_duplicate_in_the_versions_is_refused_before_anything_runs() -> None:
    first, second = migrations()
    factory = MemoryDaoFactory()
    with pytest.raises(MigrationDefinitionError, match="version 1: versions must run"):
        await migrate(factory, [second], target=2)
    with pytest.raises(MigrationDefinitionError, match="two migrations have this version"):
        await migrate(factory, [first, first], target=1)
    with pytest.raises(MigrationDefinitionError, match="from 0 to 2"):
        await migrate(factory, [first, second], target=3)


@pytest.mark.asyncio
async def test_a_database_ahead_of_the_code_is_refused() -> None:
    factory = MemoryDaoFactory()
    await migrate(factory, migrations(), target=2)
    with pytest.raises(UnknownVersionError) as caught:
        await migrate(factory, migrations()[:1], target=1)
    assert (caught.value.version, caught.value.known) == (2, 1)


@pytest.mark.asyncio
async def test_a_factory_without_a_migration_store_is_refused() -> None:
    with pytest.raises(MigrationsNotSupportedError, match="object has no migration_store"):
        await migrate(object(), migrations(), target=1)


@pytest.mark.asyncio
async def test_a_failing_transform_names_the_document_and_changes_nothing() -> None:
    factory = MemoryDaoFactory()
    dao = await factory.get_dao(name=ITEMS, dto_model=ItemV1, id_field="item_id")
    await dao.insert(item(1))

    def broken(document: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("nope")

    failing = Migration(
        version=1,
        up=[map_documents(ITEMS, broken)],
        models={ITEMS: ItemV1},
        id_fields={ITEMS: "item_id"},
    )
    with pytest.raises(MigrationTransformError) as caught:
        await migrate(factory, [failing], target=1)
    assert (caught.value.collection, caught.value.id) == (ITEMS, "item-0001")
    assert isinstance(caught.value.__cause__, KeyError)
    assert await dao.get_by_id("item-0001") == item(1)


@pytest.mark.asyncio
async def test_the_memory_dao_refuses_stored_documents_its_model_no_longer_accepts() -> None:
    factory = MemoryDaoFactory()
    old = await factory.get_dao(name=ITEMS, dto_model=ItemV1, id_field="item_id")
    await old.insert(item(1))
    new = await factory.get_dao(name=ITEMS, dto_model=ItemV2, id_field="item_id")
    with pytest.raises(DaoError, match=r"no longer validates against ItemV2.*migrate"):
        await new.get_by_id("item-0001")
    with pytest.raises(DaoError, match="migrate"):
        await new.find_all(mapping={}).to_list()


@pytest.mark.asyncio
async def test_daos_read_migrated_documents_as_their_own_model() -> None:
    class ItemNow(ItemV2):
        """The application's current model: another class than the migration's."""

    factory = MemoryDaoFactory()
    old = await factory.get_dao(name=ITEMS, dto_model=ItemV1, id_field="item_id")
    await old.insert(item(3))
    await migrate(factory, migrations(), target=1)
    dao = await factory.get_dao(name=ITEMS, dto_model=ItemNow, id_field="item_id")
    found = await dao.find_one(mapping={"size_bytes": 30})
    assert type(found) is ItemNow
    assert found.tags == []

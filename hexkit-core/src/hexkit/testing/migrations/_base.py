"""Shared pieces of the migration conformance kit: models, migrations, helpers."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from hexkit.migrations import (
    Migration,
    MigrationEvent,
    add_field,
    drop_field,
    map_documents,
    merge_collections,
    migration_status,
    rename_field,
    split_collection,
    store_of,
)
from hexkit.protocols.dao import DaoFactoryProtocol

from .._deadline import KitDeadline

__all__ = [
    "ITEMS",
    "ItemV1",
    "ItemV2",
    "MigrationKitBase",
    "SimulatedCrash",
    "SmallItemV2",
    "crash_at",
    "item",
    "migrations",
]

ITEMS = "items"
_CREATED = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)


class ItemV1(BaseModel):
    """An item as version 0 stores it."""

    item_id: str
    name: str
    size: int
    price: Decimal
    created: datetime.datetime
    touched: int = 0


class ItemV2(BaseModel):
    """Version 1: ``size`` renamed to ``size_bytes``, ``tags`` added with a default."""

    item_id: str
    name: str
    size_bytes: int
    price: Decimal
    created: datetime.datetime
    tags: list[str]
    touched: int


class SmallItemV2(BaseModel):
    """Version 1 as a model that refuses items above 100 bytes: a migration failing for some."""

    item_id: str
    name: str
    size_bytes: int = Field(le=100)
    price: Decimal
    created: datetime.datetime
    tags: list[str]
    touched: int


def item(number: int) -> ItemV1:
    """Return the version-0 item ``number``."""
    return ItemV1(
        item_id=f"item-{number:04d}",
        name=f"Item {number}",
        size=number * 10,
        price=Decimal(f"{number}.10"),
        created=_CREATED,
    )


def _touch(document: dict[str, Any]) -> dict[str, Any]:
    document["touched"] += 1  # counts how often a document was migrated
    return document


def migrations(*, model: type[BaseModel] = ItemV2, reversible: bool = True) -> list[Migration]:
    """Return the kit's migrations: 1 renames and adds a field; 2 splits by size."""
    first = Migration(
        version=1,
        up=[rename_field(ITEMS, "size", "size_bytes"), add_field(ITEMS, "tags", [])],
        models={ITEMS: model},
        id_fields={ITEMS: "item_id"},
        down=[rename_field(ITEMS, "size_bytes", "size"), drop_field(ITEMS, "tags")]
        if reversible
        else None,
        down_models={ITEMS: ItemV1} if reversible else None,
    )
    second = Migration(
        version=2,
        up=[
            map_documents(ITEMS, _touch),
            split_collection(ITEMS, lambda doc: "small" if doc["size_bytes"] < 50 else "large"),
        ],
        models={"small": ItemV2, "large": ItemV2},
        id_fields={ITEMS: "item_id", "small": "item_id", "large": "item_id"},
        down=[merge_collections(["small", "large"], into=ITEMS)],
        down_models={ITEMS: ItemV2},
    )
    return [first, second]


class SimulatedCrash(BaseException):
    """Stands for SIGKILL: not an ``Exception``, so the runner cleans nothing up."""


def crash_at(stage: str, *, after: int = 1) -> Any:
    """Return an ``on_event`` hook that crashes at the ``after``-th event of ``stage``."""
    seen = 0

    def hook(event: MigrationEvent) -> None:
        nonlocal seen
        if event.stage == stage:
            seen += 1
            if seen >= after:
                raise SimulatedCrash(stage)

    return hook


class MigrationKitBase(KitDeadline):
    """Fixtures and helpers shared by the migration test groups.

    Subclasses provide a function-scoped ``dao_factory`` fixture yielding a
    :class:`DaoFactoryProtocol` with ``migration_store()`` over a fresh, empty database.
    """

    #: Seconds a crashed runner's lock lasts in the crash tests (the rerun waits it out).
    crash_lock_ttl: ClassVar[float] = 0.3

    @staticmethod
    async def seed(factory: DaoFactoryProtocol, count: int) -> list[ItemV1]:
        """Store ``count`` version-0 items and return them."""
        dao = await factory.get_dao(name=ITEMS, dto_model=ItemV1, id_field="item_id")
        items = [item(number) for number in range(count)]
        for one in items:
            await dao.insert(one)
        return items

    @staticmethod
    async def read_all(
        factory: DaoFactoryProtocol, model: type[BaseModel], name: str = ITEMS
    ) -> list[Any]:
        """Return every document of ``name`` through a DAO of ``model``, by ID."""
        dao = await factory.get_dao(name=name, dto_model=model, id_field="item_id")
        return await dao.find_all(mapping={}, sort=["item_id"]).to_list()

    @staticmethod
    async def staging_left(factory: DaoFactoryProtocol) -> list[str]:
        """Return the physical collections that neither a DAO name nor the layout explain."""
        store = store_of(factory)
        state = await migration_status(factory)
        return [
            name
            for name in await store.list_collections()
            if "~" in name and name not in state.layout.values()
        ]

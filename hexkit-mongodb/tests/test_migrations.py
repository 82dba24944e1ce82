"""The MongoDB provider passes the core's migration kit, with both drivers."""

from __future__ import annotations

import datetime

import pytest
from pydantic import BaseModel

from hexkit.migrations import Migration, add_field, migrate, migration_status
from hexkit.protocols.dao import DaoUsageError
from hexkit.providers.mongodb import MongoDbDaoFactory
from hexkit.providers.mongodb.testutils import MongoDbFixture
from hexkit.testing import MigrationConformance


class TestMongoDbMigrations(MigrationConformance):
    """Every rule of hexkit.migrations against the embedded server."""

    @pytest.fixture(params=["pymongo", "motor"])
    def mongodb_driver(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    def dao_factory(self, mongodb: MongoDbFixture) -> MongoDbDaoFactory:
        return mongodb.dao_factory


class Event(BaseModel):
    """A DAO whose datetimes are BSON dates (it is in bson_date_collections)."""

    event_id: str
    at: datetime.datetime


class EventV1(Event):
    """Version 1: ``kind`` added."""

    kind: str


@pytest.mark.asyncio
async def test_migrated_documents_keep_bson_dates_in_bson_date_collections(
    mongodb: MongoDbFixture,
) -> None:
    config = mongodb.config.model_copy(update={"bson_date_collections": frozenset({"events"})})
    at = datetime.datetime(2024, 5, 1, 12, 30, 0, 123000, tzinfo=datetime.UTC)
    migration = Migration(
        version=1,
        up=[add_field("events", "kind", "click")],
        models={"events": EventV1},
        id_fields={"events": "event_id"},
    )
    async with MongoDbDaoFactory.construct(config=config) as factory:
        dao = await factory.get_dao(name="events", dto_model=Event, id_field="event_id")
        await dao.insert(Event(event_id="e1", at=at))
        await migrate(factory, [migration], target=1)
        state = await migration_status(factory)
        raw = await factory._database[state.physical("events")].find_one({"_id": "e1"})
        assert raw == {"_id": "e1", "at": at, "kind": "click"}  # a BSON date, not text
        migrated = await factory.get_dao(name="events", dto_model=EventV1, id_field="event_id")
        assert await migrated.find_one(mapping={"at": at}) == EventV1(
            event_id="e1", at=at, kind="click"
        )


@pytest.mark.asyncio
async def test_the_migration_state_collection_is_no_dao_name(mongodb: MongoDbFixture) -> None:
    with pytest.raises(DaoUsageError, match="'hexkit_migrations' is reserved"):
        await mongodb.dao_factory.get_dao(
            name="hexkit_migrations", dto_model=Event, id_field="event_id"
        )

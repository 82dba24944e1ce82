"""The PostgreSQL provider passes the core's migration kit, plus its own migration rules."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
import pytest_asyncio
from pydantic import BaseModel

from hexkit.migrations import (
    Migration,
    MigrationEvent,
    MigrationIdConflictError,
    add_field,
    change_id,
    migrate,
    migration_status,
    rename_field,
    split_collection,
)
from hexkit.protocols.dao import DaoUsageError
from hexkit.providers.postgres import PostgresDaoFactory
from hexkit.providers.postgres.testutils import PostgresFixture
from hexkit.testing import MigrationConformance


class TestPostgresMigrations(MigrationConformance):
    """Every rule of hexkit.migrations, on a schema of its own per test."""

    @pytest_asyncio.fixture
    async def dao_factory(self, postgres: PostgresFixture) -> PostgresDaoFactory:
        return postgres.dao_factory


pytestmark = pytest.mark.asyncio


class Record(BaseModel):
    """Values whose stored form the codec decides: Decimals, datetimes, bytes, a UUID ID."""

    record_id: uuid.UUID
    price: Decimal
    at: datetime.datetime
    blob: bytes


class RecordV1(Record):
    """Version 1: ``note`` added."""

    note: str


class Counter(BaseModel):
    """A DAO with integer IDs."""

    counter_id: int
    value: int


ITEMS = "items"


class ItemV1(BaseModel):
    """An item as version 0 stores it."""

    item_id: str
    size: int


class ItemV2(BaseModel):
    """Version 1: ``size`` renamed to ``size_bytes``, ``tags`` added."""

    item_id: str
    size_bytes: int
    tags: list[str]


class TaggedItem(ItemV1):
    """An item with tags."""

    tags: list[str]


def migrations() -> list[Migration]:
    """Version 1 renames and adds a field; version 2 splits the items by size."""
    ids = {ITEMS: "item_id", "small": "item_id", "large": "item_id"}
    return [
        Migration(
            version=1,
            up=[rename_field(ITEMS, "size", "size_bytes"), add_field(ITEMS, "tags", [])],
            models={ITEMS: ItemV2},
            id_fields=ids,
        ),
        Migration(
            version=2,
            up=[
                split_collection(ITEMS, lambda doc: "small" if doc["size_bytes"] < 50 else "large")
            ],
            models={"small": ItemV2, "large": ItemV2},
            id_fields=ids,
        ),
    ]


async def seed(factory: PostgresDaoFactory, count: int, name: str = ITEMS) -> None:
    """Store ``count`` version-0 items, ``item-0000`` of size 0, ``item-0001`` of 10, ..."""
    dao = await factory.get_dao(name=name, dto_model=ItemV1, id_field="item_id")
    for number in range(count):
        await dao.insert(ItemV1(item_id=f"item-{number:04d}", size=number * 10))


class Crash(BaseException):
    """Stands for SIGKILL: not an ``Exception``, so the runner cleans nothing up."""


def crash_at_first_batch(event: MigrationEvent) -> None:
    if event.stage == "batch":
        raise Crash


def _add(name: str, id_field: str, model: type[BaseModel], field: str, value: object) -> Migration:
    return Migration(
        version=1,
        up=[add_field(name, field, value)],
        models={name: model},
        id_fields={name: id_field},
    )


async def _tables(postgres: PostgresFixture) -> dict[str, str]:
    """Return every table of the test's schema with the type of its ``id`` column."""
    async with postgres.connect() as connection:
        rows = await connection.fetch(
            "SELECT c.relname, format_type(a.atttypid, a.atttypmod) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id'"
            " WHERE n.nspname = $1 AND c.relkind = 'r'",
            postgres.schema,
        )
    return dict(rows)  # type: ignore[arg-type]


async def test_migrated_rows_are_written_as_the_dao_writes_them(
    postgres: PostgresFixture,
) -> None:
    factory = postgres.dao_factory
    record = Record(
        record_id=uuid.uuid4(),
        price=Decimal("12.3400"),
        at=datetime.datetime(2024, 5, 1, 12, 30, 0, 123000, tzinfo=datetime.UTC),
        blob=b"\x00\x01binary",
    )
    dao = await factory.get_dao(name="records", dto_model=Record, id_field="record_id")
    await dao.insert(record)
    await migrate(factory, [_add("records", "record_id", RecordV1, "note", "n")], target=1)
    migrated = await factory.get_dao(name="records", dto_model=RecordV1, id_field="record_id")
    expected = RecordV1(**record.model_dump(), note="n")
    assert await migrated.get_by_id(record.record_id) == expected
    twin = await factory.get_dao(name="twin", dto_model=RecordV1, id_field="record_id")
    await twin.insert(expected)
    physical = (await migration_status(factory)).physical("records")
    async with postgres.connect() as connection:
        rows = [
            await connection.fetchrow(f'SELECT id, data::text FROM "{table}"')  # noqa: S608 - our names
            for table in (physical, "twin")
        ]
    assert rows[0] == rows[1]  # the same id and the same JSONB text, digit for digit
    assert (await _tables(postgres))[physical] == "uuid"
    assert await migrated.find_one(mapping={"price": Decimal("12.34")}) == expected


async def test_staging_tables_get_the_id_type_of_the_ids(postgres: PostgresFixture) -> None:
    factory = postgres.dao_factory
    dao = await factory.get_dao(name="counters", dto_model=Counter, id_field="counter_id")
    for number in (3, 2**40, -7):
        await dao.insert(Counter(counter_id=number, value=number))

    class CounterV1(Counter):
        label: str

    await migrate(factory, [_add("counters", "counter_id", CounterV1, "label", "x")], target=1)
    physical = (await migration_status(factory)).physical("counters")
    assert (await _tables(postgres))[physical] == "bigint"
    migrated = await factory.get_dao(name="counters", dto_model=CounterV1, id_field="counter_id")
    assert [one.counter_id for one in await migrated.find_all(mapping={}).to_list()] == [
        -7,
        3,
        2**40,
    ]


async def test_an_empty_collection_migrates_and_its_dao_works_after(
    postgres: PostgresFixture,
) -> None:
    factory = postgres.dao_factory
    await factory.get_dao(name=ITEMS, dto_model=ItemV1, id_field="item_id")
    report = await migrate(factory, migrations(), target=1)
    assert report.steps[0].documents == {ITEMS: 0}
    dao = await factory.get_dao(name=ITEMS, dto_model=ItemV2, id_field="item_id")
    assert await dao.find_all(mapping={}).to_list() == []
    store = factory.migration_store()
    assert await store.list_collections() == [(await migration_status(factory)).physical(ITEMS)]


async def test_a_new_id_taken_in_an_earlier_batch_fails_the_step(
    dao_factory_seeded: PostgresDaoFactory,
) -> None:
    factory = dao_factory_seeded
    [first, *_] = migrations()
    clash = Migration(
        version=1,
        up=[*first.up, change_id(ITEMS, lambda doc: "item-0001")],
        models=first.models,
        id_fields=first.id_fields,
    )
    with pytest.raises(MigrationIdConflictError) as caught:
        await migrate(factory, [clash], target=1, batch_size=1)  # each in a batch of its own
    assert (caught.value.collection, caught.value.id) == (ITEMS, "item-0001")
    assert (await migration_status(factory)).version == 0
    store = factory.migration_store()
    assert await store.list_collections() == [ITEMS]  # the staging table is gone


@pytest_asyncio.fixture
async def dao_factory_seeded(postgres: PostgresFixture) -> PostgresDaoFactory:
    await seed(postgres.dao_factory, 3)
    return postgres.dao_factory


async def test_a_dao_name_whose_table_a_migration_dropped_works_again_on_the_same_factory(
    dao_factory_seeded: PostgresDaoFactory,
) -> None:
    factory = dao_factory_seeded
    await migrate(factory, migrations(), target=2)  # splits items into small and large
    dao = await factory.get_dao(name=ITEMS, dto_model=ItemV1, id_field="item_id")
    assert await dao.find_all(mapping={}).to_list() == []
    await dao.insert(ItemV1(item_id="new", size=1))
    assert [one.item_id for one in await dao.find_all(mapping={}).to_list()] == ["new"]


async def test_another_instance_sees_the_migrated_data_on_its_next_get_dao(
    postgres: PostgresFixture,
) -> None:
    await seed(postgres.dao_factory, 4)
    async with postgres.open_factory() as other:
        before = await other.get_dao(name=ITEMS, dto_model=ItemV1, id_field="item_id")
        assert len(await before.find_all(mapping={}).to_list()) == 4
        await migrate(postgres.dao_factory, migrations(), target=1)
        after = await other.get_dao(name=ITEMS, dto_model=ItemV2, id_field="item_id")
        assert [one.size_bytes for one in await after.find_all(mapping={}).to_list()] == [
            0,
            10,
            20,
            30,
        ]


async def test_long_dao_names_migrate_through_shortened_table_names(
    postgres: PostgresFixture,
) -> None:
    factory = postgres.dao_factory
    name = "n" * 60  # its staging names are longer than PostgreSQL's 63-byte identifiers
    await seed(factory, 3, name)
    step = _add(name, "item_id", TaggedItem, "tags", [])
    with pytest.raises(Crash):  # leaves a staging table with a shortened name
        await migrate(
            factory, [step], target=1, batch_size=1, lock_ttl=0.3, on_event=crash_at_first_batch
        )
    report = await migrate(factory, [step], target=1, lock_timeout=10)
    assert report.version == 1
    state = await migration_status(factory)
    assert len(state.physical(name).encode()) > 63
    store = factory.migration_store()
    assert await store.list_collections() == [state.physical(name)]  # the crash's staging is gone
    assert all(len(table.encode()) <= 63 for table in await _tables(postgres))
    migrated = await factory.get_dao(name=name, dto_model=ItemV1, id_field="item_id")
    assert [one.item_id for one in await migrated.find_all(mapping={}).to_list()] == [
        "item-0000",
        "item-0001",
        "item-0002",
    ]


async def test_the_migration_state_table_is_no_dao_name(postgres: PostgresFixture) -> None:
    with pytest.raises(DaoUsageError, match="'hexkit_migrations' is reserved"):
        await postgres.dao_factory.get_dao(
            name="hexkit_migrations", dto_model=Counter, id_field="counter_id"
        )


async def test_the_lock_expires_by_the_servers_clock(postgres: PostgresFixture) -> None:
    store = postgres.dao_factory.migration_store()
    assert await store.acquire_lock("first", ttl=30)
    assert not await store.acquire_lock("second", ttl=30)
    async with postgres.connect() as connection:  # the server's clock passes the expiry
        await connection.execute(
            "UPDATE hexkit_migrations SET expires_at = now() - interval '1 second'"
        )
    assert not await store.renew_lock("first", ttl=30)
    assert await store.acquire_lock("second", ttl=30)
    state = await store.load_state()
    assert state.lock is not None
    assert state.lock.owner == "second"


async def test_migrating_inside_a_transaction_is_refused(
    dao_factory_seeded: PostgresDaoFactory,
) -> None:
    factory = dao_factory_seeded
    with pytest.raises(DaoUsageError, match="outside"):
        async with factory.transaction():
            await migrate(factory, migrations(), target=1)
    assert (await migration_status(factory)).version == 0
    assert await migrate(factory, migrations(), target=1)

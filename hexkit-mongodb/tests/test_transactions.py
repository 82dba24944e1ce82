"""Transactions: sessions bound to the task, isolation, rollback, standalone servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from hexkit.protocols.dao import (
    ResourceNotFoundError,
    TransactionError,
    TransactionsNotSupportedError,
)
from hexkit.providers.mongodb import MongoDbConfig, MongoDbDaoFactory
from hexkit.providers.mongodb.testutils import EmbeddedMongoDb, MongoDbFixture
from hexkit.testing import Everything, make_everything

pytestmark = pytest.mark.asyncio


@pytest.fixture(params=["pymongo", "motor"])
def mongodb_driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Planned(Exception):
    """Raised in a transaction block to force a rollback."""


async def test_a_concurrent_reader_does_not_see_uncommitted_writes(
    mongodb: MongoDbFixture,
) -> None:
    factory = mongodb.dao_factory
    dao = await factory.get_dao(name="iso", dto_model=Everything, id_field="id")
    await dao.insert(make_everything("existing", 1))
    written = asyncio.Event()
    seen: dict[str, object] = {}

    async def reader() -> None:
        await written.wait()
        try:
            await dao.get_by_id("new")
        except ResourceNotFoundError:
            seen["new"] = "missing"
        seen["existing"] = (await dao.get_by_id("existing")).number
        seen["count"] = await dao.find_all(mapping={}).total_count()

    task = asyncio.create_task(reader())
    async with factory.transaction():
        await dao.insert(make_everything("new", 2))
        await dao.update(make_everything("existing", 10))
        assert (await dao.get_by_id("existing")).number == 10  # the writer sees its writes
        written.set()
        await asyncio.wait_for(task, timeout=10)
    assert seen == {"new": "missing", "existing": 1, "count": 1}
    assert (await dao.get_by_id("new")).number == 2
    assert (await dao.get_by_id("existing")).number == 10


async def test_an_exception_aborts_and_propagates(mongodb: MongoDbFixture) -> None:
    factory = mongodb.dao_factory
    dao = await factory.get_dao(name="abort", dto_model=Everything, id_field="id")
    with pytest.raises(Planned):  # noqa: PT012 - the whole block is under test
        async with factory.transaction():
            await dao.insert(make_everything("gone", 1))
            await dao.upsert(make_everything("gone-too", 2))
            raise Planned
    assert await dao.find_all(mapping={}).total_count() == 0
    async with factory.transaction():  # the factory is usable again afterwards
        await dao.insert(make_everything("kept", 3))
    assert (await dao.get_by_id("kept")).number == 3


async def test_tasks_started_before_the_block_are_not_part_of_it(
    mongodb: MongoDbFixture,
) -> None:
    factory = mongodb.dao_factory
    dao = await factory.get_dao(name="tasks", dto_model=Everything, id_field="id")
    # Create the collection first: creating it inside a transaction locks it until the end.
    await dao.insert(make_everything("before", 0))
    inside = asyncio.Event()
    outside_done = asyncio.Event()

    async def outside_writer() -> None:
        await inside.wait()
        await dao.insert(make_everything("outside", 1))
        outside_done.set()

    task = asyncio.create_task(outside_writer())
    with pytest.raises(Planned):  # noqa: PT012 - the whole block is under test
        async with factory.transaction():
            await dao.insert(make_everything("inside", 2))
            inside.set()
            await asyncio.wait_for(outside_done.wait(), timeout=10)
            raise Planned
    await task
    assert (await dao.get_by_id("outside")).number == 1
    with pytest.raises(ResourceNotFoundError):
        await dao.get_by_id("inside")


async def test_a_write_conflict_fails_the_later_transaction(mongodb: MongoDbFixture) -> None:
    factory = mongodb.dao_factory
    dao = await factory.get_dao(name="conflict", dto_model=Everything, id_field="id")
    await dao.insert(make_everything("hot", 0))
    first_wrote = asyncio.Event()
    second_done = asyncio.Event()

    async def first() -> None:
        async with factory.transaction():
            await dao.update(make_everything("hot", 1))
            first_wrote.set()
            await asyncio.wait_for(second_done.wait(), timeout=10)

    async def second() -> str:
        await first_wrote.wait()
        try:
            async with factory.transaction():
                await dao.update(make_everything("hot", 2))
        except TransactionError as error:
            return str(error)
        finally:
            second_done.set()
        return "committed"

    _, outcome = await asyncio.gather(first(), second())
    assert "retry the transaction" in outcome
    assert (await dao.get_by_id("hot")).number == 1


@pytest.fixture(scope="module")
def standalone_server() -> Iterator[EmbeddedMongoDb]:
    with EmbeddedMongoDb(standalone=True) as server:
        yield server


@pytest_asyncio.fixture
async def standalone_factory(
    standalone_server: EmbeddedMongoDb, mongodb_driver: str
) -> AsyncIterator[MongoDbDaoFactory]:
    config = MongoDbConfig(
        mongo_dsn=standalone_server.dsn,  # type: ignore[arg-type]
        db_name="standalone",
        mongo_timeout=10,
        mongo_driver=mongodb_driver,  # type: ignore[arg-type]
    )
    async with MongoDbDaoFactory.construct(config=config) as factory:
        yield factory
        await factory._client.drop_database("standalone")


async def test_a_standalone_server_refuses_transactions_and_says_why(
    standalone_factory: MongoDbDaoFactory,
) -> None:
    dao = await standalone_factory.get_dao(name="solo", dto_model=Everything, id_field="id")
    with pytest.raises(TransactionsNotSupportedError, match="replica set"):
        async with standalone_factory.transaction():
            pytest.fail("the block must not run")
    await dao.insert(make_everything("still-works", 1))
    assert (await dao.get_by_id("still-works")).number == 1

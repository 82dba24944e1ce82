"""Bulk writes on SecantusDB: a server killed in the middle of a call, with both drivers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from pydantic import BaseModel

from hexkit.protocols.dao import (
    BulkWriteError,
    DbTimeoutError,
    DbUnavailableError,
    ResourceAlreadyExistsError,
)
from hexkit.providers.mongodb import MongoDbConfig, MongoDbDaoFactory
from hexkit.providers.mongodb.testutils import EmbeddedMongoDb

pytestmark = pytest.mark.asyncio


class Item(BaseModel):
    id: str
    payload: str


def _items(count: int) -> Iterator[Item]:
    for number in range(count):
        yield Item(id=f"k{number:06d}", payload=f"{number:08d}" * 8)


@pytest.fixture(params=["pymongo", "motor"])
def mongodb_driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def own_server() -> Iterator[EmbeddedMongoDb]:
    with EmbeddedMongoDb() as server:
        yield server


@pytest_asyncio.fixture
async def factory(
    own_server: EmbeddedMongoDb, mongodb_driver: str
) -> AsyncIterator[MongoDbDaoFactory]:
    config = MongoDbConfig(
        mongo_dsn=own_server.dsn,  # type: ignore[arg-type]
        db_name="bulk",
        mongo_timeout=2,
        mongo_driver=mongodb_driver,  # type: ignore[arg-type]
    )
    async with MongoDbDaoFactory.construct(config=config) as built:
        yield built


async def test_a_server_killed_mid_call_gives_a_typed_error_and_reruns_settle_it(
    own_server: EmbeddedMongoDb, factory: MongoDbDaoFactory
) -> None:
    dao = await factory.get_dao(name="items", dto_model=Item, id_field="id")

    async def killing_stream() -> AsyncIterator[Item]:
        for item in _items(30):
            if item.id == "k000015":  # the first batch of 10 is written; kill in the second
                await asyncio.to_thread(own_server.kill)
            yield item

    with pytest.raises((DbUnavailableError, DbTimeoutError)) as info:
        await dao.insert_many(killing_stream(), batch_size=10)
    assert "before it, 10 item(s) were written" in "\n".join(info.value.__notes__)

    await asyncio.to_thread(own_server.start)
    with pytest.raises(BulkWriteError) as rerun:
        await dao.insert_many(_items(30), batch_size=10)
    assert [failure.position for failure in rerun.value.failures] == list(range(10))
    assert all(isinstance(f.error, ResourceAlreadyExistsError) for f in rerun.value.failures)
    assert rerun.value.written == 20
    assert (await dao.upsert_many(_items(30), batch_size=10)).written == 30
    assert await dao.count(mapping={}) == 30

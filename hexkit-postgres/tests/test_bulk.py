"""Bulk writes on PostgreSQL: flat memory for long streams, and a server killed mid-call."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from pydantic import BaseModel

from hexkit.protocols.dao import (
    BulkWriteError,
    Dao,
    DbUnavailableError,
    ResourceAlreadyExistsError,
)
from hexkit.providers.postgres import PostgresConfig, PostgresDaoFactory
from hexkit.providers.postgres.testutils import EmbeddedPostgres, PostgresFixture

pytestmark = pytest.mark.asyncio


class Item(BaseModel):
    id: str
    payload: str


def _items(count: int, *, ids: int | None = None) -> Iterator[Item]:
    for number in range(count):
        key = number if ids is None else number % ids
        yield Item(id=f"k{key:06d}", payload=f"{number:08d}" * 8)


async def _peak(dao: Dao[Item], count: int) -> int:
    tracemalloc.start()
    try:
        result = await dao.upsert_many(_items(count, ids=500), batch_size=500)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.written == count
    return peak


async def test_upsert_many_of_a_generator_keeps_memory_flat(postgres: PostgresFixture) -> None:
    dao: Dao[Item] = await postgres.dao_factory.get_dao(name="flat", dto_model=Item, id_field="id")
    await dao.upsert_many(_items(1000, ids=500))  # warm the pool and statement caches
    small = await _peak(dao, 5_000)
    large = await _peak(dao, 50_000)
    assert large < small * 1.5 + 256 * 1024, (small, large)
    assert await dao.count(mapping={}) == 500


@pytest.fixture
def own_server() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as server:
        yield server


@pytest_asyncio.fixture
async def factory(own_server: EmbeddedPostgres) -> AsyncIterator[PostgresDaoFactory]:
    config = PostgresConfig(
        postgres_dsn=own_server.dsn,  # type: ignore[arg-type]
        postgres_timeout=2.0,
        postgres_pool_max_size=2,
    )
    async with PostgresDaoFactory.construct(config=config) as built:
        yield built


async def test_a_server_killed_mid_call_gives_a_typed_error_and_reruns_settle_it(
    own_server: EmbeddedPostgres, factory: PostgresDaoFactory
) -> None:
    dao: Dao[Item] = await factory.get_dao(name="items", dto_model=Item, id_field="id")

    async def killing_stream() -> AsyncIterator[Item]:
        for item in _items(30):
            if item.id == "k000015":  # the first batch of 10 is written; kill in the second
                await asyncio.to_thread(own_server.kill)
            yield item

    with pytest.raises(DbUnavailableError) as info:
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

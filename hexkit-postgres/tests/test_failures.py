"""Failures on a real server this test controls: crash, hang, exhausted pool, races."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from pydantic import BaseModel

from hexkit.protocols.dao import (
    Dao,
    DaoError,
    DbTimeoutError,
    DbUnavailableError,
    ResourceAlreadyExistsError,
)
from hexkit.providers.postgres import PostgresConfig, PostgresDaoFactory
from hexkit.providers.postgres.testutils import EmbeddedPostgres, PostgresFixture

pytestmark = pytest.mark.asyncio

TIMEOUT = 2.0  # postgres_timeout, seconds


class Item(BaseModel):
    id: str
    version: int


@pytest.fixture
def own_server() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as server:
        yield server


@pytest_asyncio.fixture
async def factory(own_server: EmbeddedPostgres) -> AsyncIterator[PostgresDaoFactory]:
    config = PostgresConfig(
        postgres_dsn=own_server.dsn,  # type: ignore[arg-type]
        postgres_timeout=TIMEOUT,
        postgres_pool_max_size=4,
    )
    async with PostgresDaoFactory.construct(config=config) as built:
        yield built


async def _fails_in_time(call: object, expected: type[DaoError]) -> DaoError:
    started = time.monotonic()
    with pytest.raises(expected) as info:
        await call  # type: ignore[misc]
    assert time.monotonic() - started < TIMEOUT + 1
    return info.value


async def test_a_killed_server_fails_fast_and_the_factory_heals_after_a_restart(
    own_server: EmbeddedPostgres, factory: PostgresDaoFactory
) -> None:
    dao: Dao[Item] = await factory.get_dao(name="items", dto_model=Item, id_field="id")
    acknowledged = [f"before-{number}" for number in range(20)]
    for key in acknowledged:
        await dao.insert(Item(id=key, version=1))
    await asyncio.to_thread(own_server.kill)

    error = await _fails_in_time(dao.get_by_id("before-0"), DbUnavailableError)
    assert "check that the server runs" in str(error)
    await _fails_in_time(dao.insert(Item(id="during", version=1)), DbUnavailableError)
    await _fails_in_time(dao.find_all(mapping={}).to_list(), DbUnavailableError)

    await asyncio.to_thread(own_server.start)
    await dao.insert(Item(id="after", version=1))
    stored = {item.id for item in await dao.find_all(mapping={}).to_list()}
    assert stored == {*acknowledged, "after"}  # no acknowledged write lost


async def test_a_hung_server_times_out_within_the_deadline(
    own_server: EmbeddedPostgres, factory: PostgresDaoFactory
) -> None:
    dao: Dao[Item] = await factory.get_dao(name="items", dto_model=Item, id_field="id")
    await dao.insert(Item(id="a", version=1))
    own_server.pause()
    try:
        error = await _fails_in_time(dao.get_by_id("a"), DbTimeoutError)
        assert "raise postgres_timeout" in str(error)
        await _fails_in_time(dao.upsert(Item(id="a", version=2)), DbTimeoutError)
    finally:
        own_server.resume()
    assert (await dao.get_by_id("a")).version in (1, 2)


async def test_an_exhausted_pool_raises_a_clear_error_instead_of_hanging(
    postgres: PostgresFixture,
) -> None:
    async with postgres.open_factory(postgres_pool_max_size=1, postgres_timeout=TIMEOUT) as small:
        dao = await small.get_dao(name="items", dto_model=Item, id_field="id")
        holding = asyncio.Event()
        release = asyncio.Event()

        async def hold_the_only_connection() -> None:
            async with small.transaction():
                await dao.insert(Item(id="held", version=1))
                holding.set()
                await release.wait()

        holder = asyncio.create_task(hold_the_only_connection())
        await asyncio.wait_for(holding.wait(), timeout=10)
        try:
            error = await _fails_in_time(dao.get_by_id("held"), DbTimeoutError)
        finally:
            release.set()
            await holder
        assert "postgres_pool_max_size" in str(error)
        assert (await dao.get_by_id("held")).version == 1


async def test_a_hundred_racing_inserts_of_one_id_have_exactly_one_winner(
    postgres: PostgresFixture,
) -> None:
    async with postgres.open_factory(postgres_pool_max_size=20) as wide:
        dao = await wide.get_dao(name="items", dto_model=Item, id_field="id")
        results = await asyncio.gather(
            *(dao.insert(Item(id="contested", version=number)) for number in range(100)),
            return_exceptions=True,
        )
        # insert returns the DTO as stored; a loser's result is its exception.
        winners = [n for n, result in enumerate(results) if not isinstance(result, BaseException)]
        losers = [result for result in results if isinstance(result, BaseException)]
        assert len(winners) == 1
        assert all(isinstance(result, ResourceAlreadyExistsError) for result in losers)
        assert (await dao.get_by_id("contested")).version == winners[0]

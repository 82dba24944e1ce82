"""Failures against a server in a child process this test controls, and races."""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio
from pydantic import BaseModel

from hexkit.protocols.dao import (
    DbTimeoutError,
    DbUnavailableError,
    ResourceAlreadyExistsError,
)
from hexkit.providers.mongodb import MongoDbConfig, MongoDbDaoFactory
from hexkit.providers.mongodb.testutils import EmbeddedMongoDb, MongoDbFixture
from hexkit.testing import free_port

pytestmark = pytest.mark.asyncio

TIMEOUT = 2  # mongo_timeout, seconds


class Item(BaseModel):
    id: str
    version: int
    note: str = ""


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
        db_name="failures",
        mongo_timeout=TIMEOUT,
        mongo_driver=mongodb_driver,  # type: ignore[arg-type]
    )
    async with MongoDbDaoFactory.construct(config=config) as built:
        yield built


async def test_a_killed_server_fails_fast_and_a_restart_heals_the_factory(
    own_server: EmbeddedMongoDb, factory: MongoDbDaoFactory
) -> None:
    dao = await factory.get_dao(name="items", dto_model=Item, id_field="id")
    await dao.insert(Item(id="before", version=1))
    await asyncio.to_thread(own_server.kill)

    started = time.monotonic()
    with pytest.raises((DbUnavailableError, DbTimeoutError)):
        await dao.get_by_id("before")
    assert time.monotonic() - started < TIMEOUT + 1
    started = time.monotonic()
    with pytest.raises((DbUnavailableError, DbTimeoutError)):
        await dao.insert(Item(id="during", version=1))
    assert time.monotonic() - started < TIMEOUT + 1

    # Same port and data directory; SIGKILL may have cost the unsynced test data, so
    # only new writes are checked.
    await asyncio.to_thread(own_server.start)
    deadline = time.monotonic() + 30
    while True:  # the driver rediscovers the server on its own heartbeat
        try:
            await dao.upsert(Item(id="after", version=2))
            break
        except (DbUnavailableError, DbTimeoutError):
            if time.monotonic() > deadline:
                raise
    assert (await dao.get_by_id("after")).version == 2
    assert await dao.find_all(mapping={"id": "after"}).total_count() == 1


async def test_every_dao_call_against_a_hung_server_times_out_within_mongo_timeout(
    own_server: EmbeddedMongoDb, mongodb_driver: str
) -> None:
    """A server that stops answering (SIGSTOP) costs each call mongo_timeout, not more.

    A short heartbeat makes the driver's monitor notice the hang during the test, so
    both kinds of driver timeout are met: a socket read that times out, and server
    selection that times out because the monitor's checks of the server time out.
    """
    timeout = 1
    config = MongoDbConfig(
        mongo_dsn=f"{own_server.dsn}?heartbeatFrequencyMS=500",  # type: ignore[arg-type]
        db_name="hangs",
        mongo_timeout=timeout,
        mongo_driver=mongodb_driver,  # type: ignore[arg-type]
    )
    async with MongoDbDaoFactory.construct(config=config) as factory:
        dao = await factory.get_dao(name="items", dto_model=Item, id_field="id")
        await dao.insert(Item(id="before", version=1))
        calls: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("insert", lambda: dao.insert(Item(id="during", version=1))),
            ("get_by_id", lambda: dao.get_by_id("before")),
            ("find_one", lambda: dao.find_one(mapping={"version": 1})),
            ("find_all", lambda: dao.find_all(mapping={}).to_list()),
            ("update", lambda: dao.update(Item(id="before", version=2))),
            ("upsert", lambda: dao.upsert(Item(id="before", version=3))),
            ("delete", lambda: dao.delete("before")),
            ("total_count", lambda: dao.find_all(mapping={}).total_count()),
        ]

        async def times_out(name: str, call: Callable[[], Awaitable[Any]]) -> None:
            started = time.monotonic()
            with pytest.raises(DbTimeoutError, match="did not answer within") as info:
                await call()
            elapsed = time.monotonic() - started
            assert elapsed < timeout + 1, f"{name} took {elapsed:.1f} s"
            assert info.value.__cause__ is not None

        await asyncio.to_thread(own_server.pause)
        try:
            # Each round runs the calls at once (each timed on its own), so the test waits
            # about one mongo_timeout per round; the second round meets the monitor's verdict.
            for _ in range(2):
                await asyncio.gather(*(times_out(name, call) for name, call in calls))
        finally:
            await asyncio.to_thread(own_server.resume)

        deadline = time.monotonic() + 30
        while True:  # the same factory heals once the server answers again
            try:
                await dao.upsert(Item(id="after", version=4))
                break
            except DbTimeoutError:
                if time.monotonic() > deadline:
                    raise
        assert (await dao.get_by_id("after")).version == 4


async def test_an_unreachable_server_fails_within_the_timeout(mongodb_driver: str) -> None:
    config = MongoDbConfig(
        mongo_dsn=f"mongodb://127.0.0.1:{free_port()}/",  # type: ignore[arg-type]
        db_name="nowhere",
        mongo_timeout=1,
        mongo_driver=mongodb_driver,  # type: ignore[arg-type]
    )
    async with MongoDbDaoFactory.construct(config=config) as unreachable:
        started = time.monotonic()
        with pytest.raises(DbUnavailableError, match="check that it runs"):
            # get_dao reads the migration layout (DAO calls: the killed-server test above)
            await unreachable.get_dao(name="items", dto_model=Item, id_field="id")
        with pytest.raises(DbUnavailableError):
            async with unreachable.transaction():
                pass
        assert time.monotonic() - started < 3 * (1 + 1)
    # PyMongo's async monitor leaks its socket when close() cancels it in the middle
    # of a refused connect (the CancelledError skips its sock.close()); collect that
    # socket here so its ResourceWarning cannot surface in an unrelated test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


async def test_concurrent_inserts_of_one_id_let_exactly_one_succeed(
    mongodb: MongoDbFixture,
) -> None:
    dao = await mongodb.dao_factory.get_dao(name="race", dto_model=Item, id_field="id")
    outcomes = await asyncio.gather(
        *(dao.insert(Item(id="same", version=number)) for number in range(100)),
        return_exceptions=True,
    )
    # insert returns the DTO as stored; a loser's outcome is its exception.
    winners = [n for n, outcome in enumerate(outcomes) if not isinstance(outcome, BaseException)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(outcome, ResourceAlreadyExistsError) for outcome in losers)
    assert (await dao.get_by_id("same")).version == winners[0]
    assert await dao.find_all(mapping={}).total_count() == 1


async def test_concurrent_upserts_of_one_id_leave_one_written_version(
    mongodb: MongoDbFixture,
) -> None:
    dao = await mongodb.dao_factory.get_dao(name="upserts", dto_model=Item, id_field="id")
    written = [Item(id="same", version=number, note=f"writer {number}") for number in range(100)]
    outcomes = await asyncio.gather(*(dao.upsert(item) for item in written), return_exceptions=True)
    assert [outcome for outcome in outcomes if isinstance(outcome, BaseException)] == []
    assert outcomes == written  # upsert returns each DTO as stored
    assert await dao.find_all(mapping={}).total_count() == 1
    assert await dao.get_by_id("same") in written

"""Faults injected from outside: SecantusDB SIGKILLed or SIGSTOPped mid-transaction and mid-cursor.

Each failing call must raise a typed error of the DAO protocol within mongo_timeout + 1 s
(a correctness deadline, not a performance bound), the same factory must work once the
server is back, and every write acknowledged before the fault must be there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Iterator

import pytest
import pytest_asyncio
from pydantic import BaseModel

from hexkit.protocols.dao import Dao, DaoError, DbTimeoutError, FindResult
from hexkit.providers.mongodb import MongoDbConfig, MongoDbDaoFactory
from hexkit.providers.mongodb import _find as find_module
from hexkit.providers.mongodb.testutils import EmbeddedMongoDb

pytestmark = pytest.mark.asyncio

TIMEOUT = 1  # mongo_timeout, seconds
BATCH = 10  # documents per cursor round trip in these tests
HEALING = 30  # seconds the driver may take to rediscover a restarted server


class Item(BaseModel):
    id: str
    version: int


@pytest.fixture(params=["pymongo", "motor"])
def mongodb_driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server() -> Iterator[EmbeddedMongoDb]:
    with EmbeddedMongoDb() as own:
        yield own


@pytest_asyncio.fixture
async def factory(
    server: EmbeddedMongoDb, mongodb_driver: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[MongoDbDaoFactory]:
    monkeypatch.setattr(find_module, "BATCH_SIZE", BATCH)  # a cursor open after one batch
    config = MongoDbConfig(
        # A short heartbeat lets the driver notice the restart or the hang promptly.
        mongo_dsn=f"{server.dsn}?heartbeatFrequencyMS=500",  # type: ignore[arg-type]
        db_name="faults",
        mongo_timeout=TIMEOUT,
        mongo_driver=mongodb_driver,  # type: ignore[arg-type]
    )
    async with MongoDbDaoFactory.construct(config=config) as built:
        yield built


async def typed_error_in_time(
    call: Awaitable[object], *, fault_at: list[float] | None = None
) -> DaoError:
    """Await ``call``; it must raise a DaoError within the timeout + 1 s.

    The clock starts when the call starts, or at ``fault_at[0]`` when the call records
    there when it injected the fault itself (killing a server is not the call's time).
    """
    started = time.monotonic()
    with pytest.raises(DaoError) as info:
        await call
    if fault_at:
        started = fault_at[0]
    elapsed = time.monotonic() - started
    assert elapsed <= TIMEOUT + 1, f"{type(info.value).__name__} after {elapsed:.2f} s"
    return info.value


async def filled(factory: MongoDbDaoFactory, count: int) -> tuple[Dao[Item], set[str]]:
    dao: Dao[Item] = await factory.get_dao(name="items", dto_model=Item, id_field="id")
    keys = {f"before-{number:03}" for number in range(count)}
    for key in sorted(keys):
        await dao.insert(Item(id=key, version=1))
    return dao, keys


async def works_again(dao: Dao[Item], acknowledged: set[str]) -> None:
    """The factory serves calls again, and no acknowledged write was lost."""
    deadline = time.monotonic() + HEALING
    while True:  # the driver rediscovers the server on its own heartbeat
        try:
            await dao.upsert(Item(id="after", version=1))
            break
        except DaoError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)  # polling the driver's rediscovery, with a deadline
    assert (await dao.get_by_id(min(acknowledged))).version == 1
    stored = {item.id async for item in dao.find_all(mapping={})}
    assert acknowledged | {"after"} <= stored


async def test_sigkill_fails_single_calls_a_transaction_and_a_cursor_in_time(
    server: EmbeddedMongoDb, factory: MongoDbDaoFactory
) -> None:
    dao, acknowledged = await filled(factory, 3 * BATCH)
    result: FindResult[Item] = dao.find_all(mapping={})
    assert (await anext(result)).id == min(acknowledged)  # the cursor is open

    killed_at: list[float] = []

    async def killed_in_transaction() -> None:
        async with factory.transaction():
            await dao.upsert(Item(id="in-transaction", version=1))
            await asyncio.to_thread(server.kill)
            killed_at.append(time.monotonic())
            await dao.get_by_id(min(acknowledged))

    await typed_error_in_time(killed_in_transaction(), fault_at=killed_at)
    await typed_error_in_time(result.to_list())
    await typed_error_in_time(dao.get_by_id(min(acknowledged)))
    await typed_error_in_time(dao.insert(Item(id="during", version=1)))
    await asyncio.to_thread(server.start)
    await works_again(dao, acknowledged)
    assert "in-transaction" not in {item.id async for item in dao.find_all(mapping={})}


async def test_sigstop_times_out_single_calls_a_transaction_and_a_cursor_in_time(
    server: EmbeddedMongoDb, factory: MongoDbDaoFactory
) -> None:
    dao, acknowledged = await filled(factory, 3 * BATCH)
    result: FindResult[Item] = dao.find_all(mapping={})
    await anext(result)

    async def in_transaction() -> None:
        async with factory.transaction():
            await dao.upsert(Item(id="in-transaction", version=2))

    await asyncio.to_thread(server.pause)
    try:
        for call in (
            dao.get_by_id(min(acknowledged)),
            dao.upsert(Item(id="during", version=2)),
            result.to_list(),
            in_transaction(),
        ):
            error = await typed_error_in_time(call)
            assert isinstance(error, DbTimeoutError), repr(error)
    finally:
        await asyncio.to_thread(server.resume)
    await works_again(dao, acknowledged)

"""Faults injected from outside: a SIGKILLed or SIGSTOPped server mid-transaction and mid-cursor.

Each failing call must raise a typed error of the DAO protocol within the configured
timeout + 1 s (a correctness deadline, not a performance bound), the same factory must
work once the server is back, and every write acknowledged before the fault must be there.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Iterator

import pytest
import pytest_asyncio
from pydantic import BaseModel

from hexkit.protocols.dao import Dao, DaoError, DbTimeoutError, FindResult
from hexkit.providers.postgres import FIND_BATCH_SIZE, PostgresConfig, PostgresDaoFactory
from hexkit.providers.postgres.testutils import EmbeddedPostgres

pytestmark = pytest.mark.asyncio

TIMEOUT = 1.5  # postgres_timeout, seconds
POOL_SIZE = 4


class Item(BaseModel):
    id: str
    version: int


@pytest.fixture
def server() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as own:
        yield own


@pytest_asyncio.fixture
async def factory(server: EmbeddedPostgres) -> AsyncIterator[PostgresDaoFactory]:
    config = PostgresConfig(
        postgres_dsn=server.dsn,  # type: ignore[arg-type]
        postgres_timeout=TIMEOUT,
        postgres_pool_max_size=POOL_SIZE,
    )
    async with PostgresDaoFactory.construct(config=config) as built:
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
    assert "terminate" not in str(info.value)  # no double-terminate text of asyncpg
    return info.value


async def filled(factory: PostgresDaoFactory, count: int) -> tuple[Dao[Item], set[str]]:
    dao: Dao[Item] = await factory.get_dao(name="items", dto_model=Item, id_field="id")
    keys = {f"before-{number:04}" for number in range(count)}
    for key in sorted(keys):
        await dao.insert(Item(id=key, version=1))
    return dao, keys


async def works_again(dao: Dao[Item], acknowledged: set[str]) -> None:
    """Every pooled connection serves calls, and no acknowledged write was lost."""
    await asyncio.gather(*(dao.upsert(Item(id=f"after-{n}", version=1)) for n in range(8)))
    for _ in range(2 * POOL_SIZE):
        assert (await dao.get_by_id(min(acknowledged))).version == 1
    stored = {item.id async for item in dao.find_all(mapping={})}
    assert acknowledged | {f"after-{n}" for n in range(8)} <= stored


async def test_sigkill_inside_a_transaction_raises_a_typed_error(
    server: EmbeddedPostgres, factory: PostgresDaoFactory
) -> None:
    dao, acknowledged = await filled(factory, 5)

    killed_at: list[float] = []

    async def killed_in_transaction() -> None:
        async with factory.transaction():
            await dao.upsert(Item(id="in-transaction", version=1))
            await asyncio.to_thread(server.kill)
            killed_at.append(time.monotonic())
            await dao.get_by_id(min(acknowledged))

    await typed_error_in_time(killed_in_transaction(), fault_at=killed_at)
    await typed_error_in_time(dao.insert(Item(id="during", version=1)))
    await asyncio.to_thread(server.start)
    await works_again(dao, acknowledged)
    stored = {item.id for item in await dao.find_all(mapping={}).to_list()}
    assert "in-transaction" not in stored  # never committed


async def test_sigkill_during_a_find_all_cursor_leaves_no_broken_connection_in_the_pool(
    server: EmbeddedPostgres, factory: PostgresDaoFactory
) -> None:
    dao, acknowledged = await filled(factory, FIND_BATCH_SIZE + 20)
    result: FindResult[Item] = dao.find_all(mapping={})
    assert (await anext(result)).id == min(acknowledged)  # the cursor holds a connection
    await asyncio.to_thread(server.kill)

    async def drain() -> None:
        async for _ in result:
            pass

    await typed_error_in_time(drain())
    await typed_error_in_time(dao.get_by_id(min(acknowledged)))
    await asyncio.to_thread(server.start)
    await works_again(dao, acknowledged)


async def test_sigstop_times_out_with_what_happened_and_without_log_noise(
    server: EmbeddedPostgres,
    factory: PostgresDaoFactory,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    dao, acknowledged = await filled(factory, FIND_BATCH_SIZE + 20)
    result: FindResult[Item] = dao.find_all(mapping={})
    await anext(result)
    caplog.set_level(logging.WARNING)
    capfd.readouterr()
    server.pause()
    try:
        for call in (
            dao.get_by_id(min(acknowledged)),
            dao.upsert(Item(id="during", version=2)),
            result.to_list(),
            dao.find_all(mapping={}).to_list(),
        ):
            error = await typed_error_in_time(call)
            assert isinstance(error, DbTimeoutError), error
            assert f"did not answer within {TIMEOUT} s" in str(error)
            assert "No pooled" not in str(error)

        async def in_transaction() -> None:
            async with factory.transaction():
                await dao.get_by_id(min(acknowledged))

        error = await typed_error_in_time(in_transaction())
        assert isinstance(error, DbTimeoutError), error
    finally:
        server.resume()
    await works_again(dao, acknowledged)
    noise = [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info or record.exc_text
    ]
    assert not noise, [record.getMessage() for record in noise]
    assert "Traceback" not in caplog.text
    assert "Traceback" not in capfd.readouterr().err

"""Conformance tests: versioned writes (``get_dao(..., version_field=)``), races included."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel

from hexkit.protocols.dao import (
    Dao,
    DaoFactoryProtocol,
    DaoUsageError,
    ResourceChangedError,
    ResourceNotFoundError,
    TransactionError,
    VersionFieldError,
)
from hexkit.providers.memory import MemoryDaoFactory

from ._base import DaoKitBase, unique_name

__all__ = ["Counter", "CounterCreation", "DaoVersionTests"]

#: Set to N to run N rounds of the full race (50 tasks x 20 increments = 1,000 on one
#: counter); unset, one round of 50 tasks x 2 increments keeps a test run short (a full
#: round took about 20 s on embedded PostgreSQL on a busy 2-core machine, and minutes on
#: SecantusDB, whose same-document write conflicts back off on the server).
RACE_ROUNDS_VARIABLE = "HEXKIT_TEST_VERSION_RACE_ROUNDS"
_FULL_ROUNDS = int(os.environ.get(RACE_ROUNDS_VARIABLE, "0"))
_TASKS, _FACTORIES = 50, 5
_LOOPS = 20 if _FULL_ROUNDS else 2
_Test = TypeVar("_Test", bound=Callable[..., Any])


def _race_timeout(test: _Test) -> _Test:
    """Give full rounds, which may outlast the kit's per-test timeout, their own."""
    if not _FULL_ROUNDS:
        return test
    marked: _Test = pytest.mark.timeout(600.0 * _FULL_ROUNDS)(test)
    return marked


_BACKOFF_FLOOR = 0.001  # seconds: the shortest attempt time a back-off is scaled by


class CounterCreation(BaseModel):
    """A counter without its ID: the creation model of the surrogate-ID case."""

    value: int = 0
    version: int = 0
    label: str = ""


class Counter(CounterCreation):
    """A counter with a version field: what the race tests increment."""

    id: str


async def _increment(dao: Dao[Counter], id_: str) -> int:
    """Read, increment and write back until the write is not stale; return the retries.

    A stale writer backs off for a random, growing while in units of its own attempt's
    time (as a real client should): 50 writers of one counter then do not spend the server
    on writes bound to fail, and a slow server (SecantusDB backs off on same-document
    conflicts itself) gets longer pauses than a fast one.
    """
    retries = 0
    while True:
        started = time.perf_counter()
        counter = await dao.get_by_id(id_)
        await asyncio.sleep(0)  # let other tasks read the same version
        try:
            await dao.update(counter.model_copy(update={"value": counter.value + 1}))
        except ResourceChangedError:
            retries += 1
            attempt = max(time.perf_counter() - started, _BACKOFF_FLOOR)
            await asyncio.sleep(random.uniform(0, attempt * 2 ** min(retries, 5)))
            continue
        return retries


class DaoVersionTests(DaoKitBase):
    """Versioned writes: the version check and the write are one step on every provider."""

    def open_shared_factory(
        self, dao_factory: DaoFactoryProtocol
    ) -> AbstractAsyncContextManager[DaoFactoryProtocol]:
        """Open another factory over the same storage as ``dao_factory`` (for races).

        The default is ``type(dao_factory).construct(config=dao_factory.config)``, or
        ``dao_factory`` itself for the memory provider, whose factories share no storage;
        override it for another provider whose factories share none.
        """
        if isinstance(dao_factory, MemoryDaoFactory):
            return contextlib.nullcontext(dao_factory)
        construct = getattr(type(dao_factory), "construct", None)
        if construct is None:
            pytest.fail("override open_shared_factory() in the conformance test class.")
        opened: AbstractAsyncContextManager[DaoFactoryProtocol] = construct(
            config=getattr(dao_factory, "config", None)
        )
        return opened

    @asynccontextmanager
    async def _factories(self, dao_factory: DaoFactoryProtocol) -> AsyncIterator[list[Any]]:
        async with contextlib.AsyncExitStack() as stack:
            factories = [dao_factory]
            for _ in range(_FACTORIES - 1):
                factories.append(
                    await stack.enter_async_context(self.open_shared_factory(dao_factory))
                )
            yield factories

    @staticmethod
    async def counter_dao(
        dao_factory: DaoFactoryProtocol, name: str | None = None, *, versioned: bool = True
    ) -> Dao[Counter]:
        return await dao_factory.get_dao(
            name=name or unique_name("ver"),
            dto_model=Counter,
            id_field="id",
            version_field="version" if versioned else None,
        )

    # --- get_dao validation -----------------------------------------------------------

    @pytest.mark.parametrize(
        ("field", "reason"),
        [("missing", "no such"), ("label", "not int"), ("id", "ID field")],
    )
    async def test_get_dao_refuses_a_version_field_that_is_missing_or_not_an_int(
        self, dao_factory: DaoFactoryProtocol, field: str, reason: str
    ) -> None:
        with pytest.raises(VersionFieldError, match=reason) as caught:
            await dao_factory.get_dao(
                name=unique_name(), dto_model=Counter, id_field="id", version_field=field
            )
        assert isinstance(caught.value, DaoUsageError)
        assert caught.value.field == field
        assert field in str(caught.value)

    # --- single writes ------------------------------------------------------------------

    async def test_insert_stores_version_1_and_returns_the_stored_dto(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.counter_dao(dao_factory)
        returned = await dao.insert(Counter(id="a", version=7, value=3))
        assert returned == Counter(id="a", version=1, value=3)
        assert await dao.get_by_id("a") == returned
        result = await dao.insert_many([Counter(id="b", version=9), Counter(id="c")])
        assert result.written == 2
        assert {(await dao.get_by_id(id_)).version for id_ in "bc"} == {1}

    async def test_surrogate_insert_stores_version_1(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await dao_factory.get_dao(
            name=unique_name("ver"),
            dto_model=Counter,
            id_field="id",
            dto_creation_model=CounterCreation,
            version_field="version",
        )
        created = await dao.insert(CounterCreation(version=5))
        assert created.version == 1
        assert (await dao.get_by_id(created.id)).version == 1
        many = await dao.insert_many([CounterCreation(version=4)])
        assert [dto.version for dto in many.dtos] == [1]
        assert (await dao.get_by_id(many.dtos[0].id)).version == 1

    async def test_update_of_the_stored_version_bumps_it_and_returns_the_stored_dto(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.counter_dao(dao_factory)
        first = await dao.insert(Counter(id="a"))
        second = await dao.update(first.model_copy(update={"value": 1}))
        assert second == Counter(id="a", value=1, version=2)
        assert await dao.get_by_id("a") == second

    async def test_a_stale_update_raises_and_writes_nothing(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.counter_dao(dao_factory)
        first = await dao.insert(Counter(id="a"))
        await dao.update(first.model_copy(update={"value": 1}))
        with pytest.raises(ResourceChangedError) as caught:
            await dao.update(first.model_copy(update={"value": 99}))
        error = caught.value
        assert (error.id, error.expected, error.stored) == ("a", 1, 2)
        assert "retry" in str(error)
        assert "'a'" in str(error)
        assert await dao.get_by_id("a") == Counter(id="a", value=1, version=2)

    async def test_a_versioned_update_of_a_deleted_resource_reports_it_gone(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.counter_dao(dao_factory)
        with pytest.raises(ResourceChangedError) as caught:
            await dao.update(Counter(id="gone", version=1))
        assert (caught.value.expected, caught.value.stored) == (1, None)
        assert not await dao.exists("gone")

    async def test_upsert_at_version_0_creates_and_otherwise_updates(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.counter_dao(dao_factory)
        created = await dao.upsert(Counter(id="a", value=1))
        assert created == Counter(id="a", value=1, version=1)
        with pytest.raises(ResourceChangedError) as caught:
            await dao.upsert(Counter(id="a", value=2))  # version 0: "create", but it exists
        assert (caught.value.expected, caught.value.stored) == (0, 1)
        updated = await dao.upsert(created.model_copy(update={"value": 3}))
        assert updated == Counter(id="a", value=3, version=2)
        with pytest.raises(ResourceChangedError):
            await dao.upsert(created)  # stale
        with pytest.raises(ResourceChangedError) as gone:
            await dao.upsert(Counter(id="b", version=4))  # deleted since read: stays gone
        assert gone.value.stored is None
        assert not await dao.exists("b")
        assert await dao.get_by_id("a") == updated

    async def test_delete_with_a_version_deletes_only_that_version(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.counter_dao(dao_factory)
        first = await dao.insert(Counter(id="a"))
        await dao.update(first)
        with pytest.raises(ResourceChangedError) as caught:
            await dao.delete("a", version=1)
        assert (caught.value.expected, caught.value.stored) == (1, 2)
        assert await dao.exists("a")
        await dao.delete("a", version=2)
        assert not await dao.exists("a")
        with pytest.raises(ResourceChangedError) as gone:
            await dao.delete("a", version=2)
        assert gone.value.stored is None
        await dao.insert(Counter(id="b"))
        await dao.delete("b")  # without version: unconditional
        with pytest.raises(ResourceNotFoundError):
            await dao.delete("b")

    async def test_delete_with_a_version_on_an_unversioned_dao_is_refused(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.counter_dao(dao_factory, versioned=False)
        await dao.insert(Counter(id="a"))
        with pytest.raises(TypeError, match="version_field"):
            await dao.delete("a", version=0)
        assert await dao.exists("a")

    async def test_without_version_field_writes_keep_the_dtos_version_as_given(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.counter_dao(dao_factory, versioned=False)
        assert await dao.insert(Counter(id="a", version=7)) == Counter(id="a", version=7)
        assert await dao.update(Counter(id="a", version=3)) == Counter(id="a", version=3)
        assert await dao.upsert(Counter(id="b", version=5)) == Counter(id="b", version=5)
        assert (await dao.upsert_many([Counter(id="c", version=2)])).written == 1
        assert [c.version for c in await dao.find_all(mapping={}, sort=["id"]).to_list()] == [
            3,
            5,
            2,
        ]

    # --- races --------------------------------------------------------------------------

    @_race_timeout
    async def test_racing_increments_lose_nothing_with_versioned_writes(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        rounds = max(_FULL_ROUNDS, 1)
        name = unique_name("race")
        async with self._factories(dao_factory) as factories:
            daos = [await self.counter_dao(factory, name) for factory in factories]
            for round_ in range(rounds):
                id_ = f"counter-{round_}"
                await daos[0].insert(Counter(id=id_))

                async def worker(dao: Dao[Counter], id_: str = id_) -> int:
                    return sum([await _increment(dao, id_) for _ in range(_LOOPS)])

                retries = await asyncio.gather(
                    *(worker(daos[task % _FACTORIES]) for task in range(_TASKS))
                )
                final = await daos[0].get_by_id(id_)
                assert (final.value, final.version) == (_TASKS * _LOOPS, _TASKS * _LOOPS + 1), (
                    f"round {round_}: {sum(retries)} retries"
                )
                assert sum(retries) > 0  # the writers did race
                print(f"versioned race round {round_}: {sum(retries)} retries")  # -s shows it

    @_race_timeout
    async def test_the_same_race_without_version_field_loses_updates(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        name = unique_name("race")
        async with self._factories(dao_factory) as factories:
            daos = [await self.counter_dao(f, name, versioned=False) for f in factories]
            await daos[0].insert(Counter(id="c"))
            barrier = asyncio.Barrier(_TASKS)

            async def worker(dao: Dao[Counter]) -> None:
                for _ in range(_LOOPS):
                    counter = await dao.get_by_id("c")
                    await barrier.wait()  # every task has read before any writes
                    await dao.update(counter.model_copy(update={"value": counter.value + 1}))
                    await barrier.wait()  # every task has written before any reads

            await asyncio.gather(*(worker(daos[task % _FACTORIES]) for task in range(_TASKS)))
            # Each loop's 50 writes store the same value: all but one of them are lost.
            assert (await daos[0].get_by_id("c")).value == _LOOPS

    # --- transactions ---------------------------------------------------------------------

    async def test_a_conflicting_versioned_write_in_a_transaction_never_loses_an_update(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        if not self.supports_transactions:
            pytest.skip("the provider declares supports_transactions = False")
        dao = await self.counter_dao(dao_factory)
        await dao.insert(Counter(id="c"))
        read_done, other_done = asyncio.Event(), asyncio.Event()

        async def other_writer() -> None:  # started outside the transaction's context
            await read_done.wait()
            counter = await dao.get_by_id("c")
            await dao.update(counter.model_copy(update={"value": counter.value + 1}))
            other_done.set()

        other = asyncio.create_task(other_writer())
        attempts = 0
        while True:
            attempts += 1
            try:
                async with dao_factory.transaction():
                    counter = await dao.get_by_id("c")
                    read_done.set()
                    await asyncio.wait_for(other_done.wait(), timeout=10)
                    await dao.update(counter.model_copy(update={"value": counter.value + 1}))
            except (ResourceChangedError, TransactionError):
                continue
            break
        await other
        assert attempts == 2  # the first attempt was stale, at the write or at commit
        assert await dao.get_by_id("c") == Counter(id="c", value=2, version=3)

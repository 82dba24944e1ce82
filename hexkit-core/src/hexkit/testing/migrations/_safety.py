"""Migration conformance tests: crashes, concurrent runners, the lock, batches."""

from __future__ import annotations

import asyncio

import pytest

from hexkit.migrations import (
    MigrationEvent,
    MigrationLockLostError,
    MigrationLockTimeoutError,
    migrate,
    migration_status,
)
from hexkit.protocols.dao import DaoFactoryProtocol

from ._base import ItemV1, ItemV2, MigrationKitBase, SimulatedCrash, crash_at, migrations

__all__ = ["MigrationSafetyTests"]


class MigrationSafetyTests(MigrationKitBase):
    """Crash-then-rerun, two runners at once, lock expiry and timeout, bounded batches."""

    async def _crash_then_rerun(self, factory: DaoFactoryProtocol, stage: str, after: int) -> None:
        seeded = await self.seed(factory, 9)
        await migrate(factory, migrations(), target=1)
        with pytest.raises(SimulatedCrash):
            await migrate(
                factory,
                migrations(),
                target=2,
                batch_size=2,
                lock_ttl=self.crash_lock_ttl,
                on_event=crash_at(stage, after=after),
            )
        state = await migration_status(factory)
        if stage != "switched":
            assert state.version == 1
            assert len(await self.read_all(factory, ItemV2)) == len(seeded)  # still readable
        report = await migrate(factory, migrations(), target=2, batch_size=2)
        assert report.version == 2
        small = await self.read_all(factory, ItemV2, "small")
        large = await self.read_all(factory, ItemV2, "large")
        assert sorted(one.item_id for one in small + large) == [one.item_id for one in seeded]
        assert {one.touched for one in small + large} == {1}  # none migrated twice
        assert len([e for e in (await migration_status(factory)).history if e.version == 2]) == 1
        assert await self.staging_left(factory) == []

    async def test_a_crash_after_some_staged_documents_then_a_rerun_completes(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        await self._crash_then_rerun(dao_factory, "batch", after=2)

    async def test_a_crash_just_before_the_switch_then_a_rerun_completes(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        await self._crash_then_rerun(dao_factory, "before_switch", after=1)

    async def test_a_crash_just_after_the_switch_keeps_the_new_version(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        await self._crash_then_rerun(dao_factory, "switched", after=1)

    async def test_a_crash_right_after_taking_the_lock_then_a_rerun_completes(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        await self._crash_then_rerun(dao_factory, "locked", after=1)

    async def test_of_two_runners_one_migrates_and_the_other_waits(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        seeded = await self.seed(dao_factory, 6)
        first_batch = asyncio.Event()

        async def slow(event: MigrationEvent) -> None:
            if event.stage == "batch":
                first_batch.set()
                await asyncio.sleep(0.01)  # keep the lock a while, as a big migration would

        async def second() -> object:
            await first_batch.wait()  # start while the first runner holds the lock
            return await migrate(dao_factory, migrations(), target=1, batch_size=1)

        reports = await asyncio.gather(
            migrate(dao_factory, migrations(), target=1, batch_size=1, on_event=slow), second()
        )
        assert [len(report.steps) for report in reports] == [1, 0]  # type: ignore[attr-defined]
        assert reports[1].version == 1  # type: ignore[attr-defined]
        assert reports[1].waited_seconds > 0  # type: ignore[attr-defined]
        state = await migration_status(dao_factory)
        assert [entry.version for entry in state.history] == [1]
        assert len(await self.read_all(dao_factory, ItemV2)) == len(seeded)

    async def test_many_runners_starting_together_migrate_once(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        await self.seed(dao_factory, 4)
        reports = await asyncio.gather(
            *(migrate(dao_factory, migrations(), target=2, batch_size=1) for _ in range(4))
        )
        assert sorted(len(report.steps) for report in reports) == [0, 0, 0, 2]
        state = await migration_status(dao_factory)
        assert [entry.version for entry in state.history] == [1, 2]

    async def test_waiting_longer_than_lock_timeout_raises_naming_the_holder(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        await self.seed(dao_factory, 2)
        with pytest.raises(SimulatedCrash):
            await migrate(
                dao_factory, migrations(), target=1, lock_ttl=30, on_event=crash_at("locked")
            )
        holder = (await migration_status(dao_factory)).lock
        assert holder is not None
        with pytest.raises(MigrationLockTimeoutError) as caught:
            await migrate(dao_factory, migrations(), target=1, lock_timeout=0.2)
        assert caught.value.owner == holder.owner
        assert isinstance(caught.value, TimeoutError)
        assert (await migration_status(dao_factory)).version == 0

    async def test_a_runner_whose_lock_expired_does_not_switch(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        seeded = await self.seed(dao_factory, 3)

        async def stall(event: MigrationEvent) -> None:
            if event.stage == "before_switch":  # outlive the lock, as a stalled runner would
                await asyncio.sleep(self.crash_lock_ttl * 2)

        with pytest.raises(MigrationLockLostError) as caught:
            await migrate(
                dao_factory, migrations(), target=1, lock_ttl=self.crash_lock_ttl, on_event=stall
            )
        assert caught.value.version == 1
        assert (await migration_status(dao_factory)).version == 0
        assert len(await self.read_all(dao_factory, ItemV1)) == len(seeded)
        assert await self.staging_left(dao_factory) == []

    async def test_a_collection_larger_than_the_batch_size_migrates_in_batches(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        seeded = await self.seed(dao_factory, 25)
        counts: list[int] = []

        def record(event: MigrationEvent) -> None:
            if event.stage == "batch":
                counts.append(event.documents)

        await migrate(dao_factory, migrations(), target=1, batch_size=4, on_event=record)
        assert counts == [4, 8, 12, 16, 20, 24, 25]
        assert [one.item_id for one in await self.read_all(dao_factory, ItemV2)] == [
            one.item_id for one in seeded
        ]

"""Migration conformance tests: up, down, history, dry runs, validation, definitions."""

from __future__ import annotations

import pytest

from hexkit.migrations import (
    IrreversibleMigrationError,
    MigrationIdConflictError,
    MigrationValidationError,
    VersionMismatchError,
    change_id,
    migrate,
    migration_status,
)
from hexkit.protocols.dao import DaoFactoryProtocol

from ._base import ITEMS, ItemV1, ItemV2, MigrationKitBase, SmallItemV2, migrations

__all__ = ["MigrationStepTests"]


class MigrationStepTests(MigrationKitBase):
    """What a migration does to the data, the version and the history."""

    async def test_up_transforms_every_document_and_records_the_step(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        seeded = await self.seed(dao_factory, 5)
        report = await migrate(dao_factory, migrations(), target=1)
        assert (report.start_version, report.version) == (0, 1)
        assert report.steps[0].documents == {ITEMS: 5}
        migrated = await self.read_all(dao_factory, ItemV2)
        assert [
            (one.item_id, one.size_bytes, one.price, one.created, one.tags) for one in migrated
        ] == [(old.item_id, old.size, old.price, old.created, []) for old in seeded]
        state = await migration_status(dao_factory)
        assert state.version == 1
        assert state.lock is None
        [entry] = state.history
        assert (entry.version, entry.previous, entry.direction, entry.documents) == (1, 0, "up", 5)
        assert entry.seconds >= 0
        assert entry.finished_at.tzinfo is not None
        assert await self.staging_left(dao_factory) == []

    async def test_down_restores_the_previous_shape(self, dao_factory: DaoFactoryProtocol) -> None:
        seeded = await self.seed(dao_factory, 7)
        await migrate(dao_factory, migrations(), target=2)
        assert len(await self.read_all(dao_factory, ItemV2, "small")) == 5
        assert len(await self.read_all(dao_factory, ItemV2, "large")) == 2
        report = await migrate(dao_factory, migrations(), target=0)
        assert [step.version for step in report.steps] == [1, 0]
        restored = await self.read_all(dao_factory, ItemV1)
        assert [one.model_copy(update={"touched": 0}) for one in restored] == seeded
        assert {one.touched for one in restored} == {1}  # version 2's transform ran once
        state = await migration_status(dao_factory)
        assert state.version == 0
        assert [(e.version, e.direction) for e in state.history] == [
            (1, "up"), (2, "up"), (1, "down"), (0, "down"),
        ]  # fmt: skip
        assert await self.read_all(dao_factory, ItemV2, "small") == []

    async def test_migrating_to_the_stored_version_does_nothing(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        await self.seed(dao_factory, 2)
        await migrate(dao_factory, migrations(), target=1)
        report = await migrate(dao_factory, migrations(), target=1)
        assert report.steps == ()
        assert len((await migration_status(dao_factory)).history) == 1

    async def test_a_dry_run_counts_and_lists_failures_without_writing(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        seeded = await self.seed(dao_factory, 13)  # sizes 0..120: 110 and 120 exceed 100
        report = await migrate(
            dao_factory, migrations(model=SmallItemV2), target=1, dry_run=True, max_failures=1
        )
        [step] = report.steps
        assert report.dry_run
        assert step.documents == {ITEMS: 11}
        assert step.invalid == 2
        [failure] = step.failures
        assert (failure.collection, failure.field) == (ITEMS, "size_bytes")
        assert failure.id in {"item-0011", "item-0012"}
        assert (await migration_status(dao_factory)).version == 0
        assert await self.read_all(dao_factory, ItemV1) == seeded

    async def test_a_dry_run_of_several_steps_feeds_each_the_one_before(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        await self.seed(dao_factory, 7)
        report = await migrate(dao_factory, migrations(), target=2, dry_run=True)
        assert [step.documents for step in report.steps] == [
            {ITEMS: 7},
            {"small": 5, "large": 2},
        ]
        assert report.steps[1].removed == (ITEMS,)
        assert (await migration_status(dao_factory)).version == 0

    async def test_a_document_failing_validation_leaves_the_old_data_visible(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        seeded = await self.seed(dao_factory, 13)
        with pytest.raises(MigrationValidationError) as caught:
            await migrate(dao_factory, migrations(model=SmallItemV2), target=1, batch_size=5)
        error = caught.value
        assert (error.version, error.collection, error.field) == (1, ITEMS, "size_bytes")
        assert error.id in {"item-0011", "item-0012"}
        assert repr(error.id) in str(error)
        state = await migration_status(dao_factory)
        assert (state.version, state.history, state.lock) == (0, (), None)
        assert await self.read_all(dao_factory, ItemV1) == seeded
        assert await self.staging_left(dao_factory) == []

    async def test_two_documents_with_one_new_id_fail_the_step(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        seeded = await self.seed(dao_factory, 3)
        [first, *_] = migrations()
        clash = type(first)(
            version=1,
            up=[*first.up, change_id(ITEMS, lambda doc: "same")],
            models=first.models,
            id_fields=first.id_fields,
        )
        with pytest.raises(MigrationIdConflictError) as caught:
            await migrate(dao_factory, [clash], target=1)
        assert (caught.value.collection, caught.value.id) == (ITEMS, "same")
        assert await self.read_all(dao_factory, ItemV1) == seeded
        assert (await migration_status(dao_factory)).version == 0

    async def test_going_down_without_down_transforms_is_refused(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        await self.seed(dao_factory, 2)
        await migrate(dao_factory, migrations(reversible=False), target=1)
        with pytest.raises(IrreversibleMigrationError) as caught:
            await migrate(dao_factory, migrations(reversible=False), target=0)
        assert caught.value.version == 1
        assert (await migration_status(dao_factory)).version == 1

    async def test_check_only_refuses_another_version_and_writes_nothing(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        seeded = await self.seed(dao_factory, 2)
        with pytest.raises(VersionMismatchError) as caught:
            await migrate(dao_factory, migrations(), target=1, check_only=True)
        assert (caught.value.stored, caught.value.expected) == (0, 1)
        assert await self.read_all(dao_factory, ItemV1) == seeded
        await migrate(dao_factory, migrations(), target=1)
        report = await migrate(dao_factory, migrations(), target=1, check_only=True)
        assert report.version == 1

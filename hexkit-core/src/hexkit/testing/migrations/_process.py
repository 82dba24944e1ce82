"""Conformance tests: a real runner process SIGKILLed mid-migration, then a rerun.

The migration kit simulates crashes inside the test process; here a real process dies,
with its connections, its half-written staging data and its lock, at a point its event
hook reports (``hexkit.testing.migrations._child``). The rerun must lose and repeat nothing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from hexkit.migrations import migrate, migration_status
from hexkit.protocols.dao import DaoFactoryProtocol

from .._deadline import KitDeadline
from . import _child as child

__all__ = ["MigrationProcessTests", "run_until_killed"]

_COUNT = 200  # ten batches of the child's 20


async def run_until_killed(
    provider: str, environment: Mapping[str, str], stage: str, after: int
) -> list[str]:
    """Run the child runner to its ``after``-th ``stage`` event, SIGKILL it, return its events."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        child.__name__,
        provider,
        stage,
        str(after),
        env={**os.environ, **environment},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(60):
            while (line := (await process.stdout.readline()).decode().strip()) != "stalled":
                if not line:  # the child ended without stalling
                    error = (await process.stderr.read()).decode()
                    pytest.fail(f"the runner process ended early: {lines}\n{error}")
                lines.append(line)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await process.wait()
    assert process.returncode == -signal.SIGKILL
    return lines


class MigrationProcessTests(KitDeadline):
    """Subclass it as ``TestXyz`` with ``provider`` (the registry name) and two fixtures.

    ``dao_factory`` yields a fresh factory with migration support; ``runner_environment``
    returns the environment variables under which the provider's config model (built
    with no arguments in the child process) points at the same database or schema.
    """

    #: The ``dao`` provider's registry name, e.g. ``"mongodb"``.
    provider: ClassVar[str]
    kit_timeout: ClassVar[float] = 120.0

    @pytest.mark.parametrize(
        ("stage", "after", "version_after_kill"),
        [("batch", 4, 0), ("before_switch", 1, 0), ("switched", 1, 1)],
    )
    async def test_a_runner_killed_mid_migration_then_a_rerun_migrates_each_document_once(
        self,
        dao_factory: DaoFactoryProtocol,
        runner_environment: Mapping[str, str],
        stage: str,
        after: int,
        version_after_kill: int,
    ) -> None:
        factory: Any = dao_factory
        dao = await factory.get_dao(name=child.ITEMS, dto_model=child.ItemV0, id_field="item_id")
        seeded = [
            child.ItemV0(item_id=f"item-{number:04d}", size=number) for number in range(_COUNT)
        ]
        for item in seeded:
            await dao.insert(item)

        events = await run_until_killed(self.provider, runner_environment, stage, after)

        assert events[0] == "locked 0"
        state = await migration_status(factory)
        assert state.version == version_after_kill
        assert state.lock is not None  # the dead runner's lock stays until it expires
        store = factory.migration_store()
        if version_after_kill == 0:  # the old data is still current and complete
            old = await factory.get_dao(
                name=child.ITEMS, dto_model=child.ItemV0, id_field="item_id"
            )
            assert await old.find_all(mapping={}, sort=["item_id"]).to_list() == seeded
            assert len(await store.list_collections()) == 2  # the dead runner's staging

        report = await migrate(factory, child.MIGRATIONS, target=1, lock_timeout=30)

        assert report.version == 1
        new = await factory.get_dao(name=child.ITEMS, dto_model=child.ItemV1, id_field="item_id")
        migrated = await new.find_all(mapping={}, sort=["item_id"]).to_list()
        assert [(one.item_id, one.size_bytes) for one in migrated] == [
            (item.item_id, item.size) for item in seeded
        ]  # nothing lost
        assert {one.touched for one in migrated} == {1}  # nothing migrated twice
        state = await migration_status(factory)
        assert [(entry.version, entry.documents) for entry in state.history] == [(1, _COUNT)]
        assert (state.lock, state.pending_drop) == (None, ())
        assert set(await store.list_collections()) == {state.layout[child.ITEMS]}

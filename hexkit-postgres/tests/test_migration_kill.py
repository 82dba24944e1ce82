"""A runner process killed with SIGKILL mid-migration: the rerun loses and repeats nothing.

The kit simulates crashes inside the test process; here a real process dies, with its
connections, its half-written staging table and its lock, at a point its event hook
reports. The server stays up.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hexkit.migrations import migrate, migration_status
from hexkit.providers.postgres import PostgresDaoFactory
from hexkit.providers.postgres.testutils import PostgresFixture

pytestmark = pytest.mark.asyncio

CHILD = Path(__file__).with_name("migration_child.py")
COUNT = 200  # ten batches of the child's 20


def _child_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_child", CHILD)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


child = _child_module()


async def _run_child_until_stalled(postgres: PostgresFixture, stage: str, after: int) -> list[str]:
    """Start the child runner, read its events until it stalls, SIGKILL it; return the events."""
    env = {
        **os.environ,
        "HEXKIT_POSTGRES_POSTGRES_DSN": postgres.config.postgres_dsn.get_secret_value(),
        "HEXKIT_POSTGRES_POSTGRES_SCHEMA": postgres.schema,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CHILD),
        stage,
        str(after),
        env=env,
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


async def _seed(factory: PostgresDaoFactory) -> list[Any]:
    dao = await factory.get_dao(name=child.ITEMS, dto_model=child.ItemV0, id_field="item_id")
    items = [child.ItemV0(item_id=f"item-{number:04d}", size=number) for number in range(COUNT)]
    for item in items:
        await dao.insert(item)
    return items


@pytest.mark.parametrize(
    ("stage", "after", "version_after_kill"),
    [("batch", 4, 0), ("before_switch", 1, 0), ("switched", 1, 1)],
)
async def test_a_runner_killed_mid_migration_then_a_rerun_migrates_each_document_once(
    postgres: PostgresFixture, stage: str, after: int, version_after_kill: int
) -> None:
    factory = postgres.dao_factory
    seeded = await _seed(factory)

    events = await _run_child_until_stalled(postgres, stage, after)

    assert events[0] == "locked 0"
    state = await migration_status(factory)
    assert state.version == version_after_kill
    assert state.lock is not None  # the dead runner's lock stays until it expires
    store = factory.migration_store()
    if version_after_kill == 0:  # the old data is still current and complete
        old = await factory.get_dao(name=child.ITEMS, dto_model=child.ItemV0, id_field="item_id")
        assert await old.find_all(mapping={}, sort=["item_id"]).to_list() == seeded
        assert len(await store.list_collections()) == 2  # the dead runner's staging table

    report = await migrate(factory, child.MIGRATIONS, target=1, lock_timeout=30)

    assert report.version == 1
    dao = await factory.get_dao(name=child.ITEMS, dto_model=child.ItemV1, id_field="item_id")
    migrated = await dao.find_all(mapping={}, sort=["item_id"]).to_list()
    assert [(one.item_id, one.size_bytes) for one in migrated] == [
        (item.item_id, item.size) for item in seeded
    ]  # nothing lost
    assert {one.touched for one in migrated} == {1}  # nothing migrated twice
    state = await migration_status(factory)
    assert [(entry.version, entry.documents) for entry in state.history] == [(1, COUNT)]
    assert (state.lock, state.pending_drop) == (None, ())
    physical = set(await store.list_collections())
    assert physical == {state.layout[child.ITEMS]}  # staging and old data are gone

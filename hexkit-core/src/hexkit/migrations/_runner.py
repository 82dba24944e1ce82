"""The runner: ``await migrate(factory, migrations, target=N)`` at service start."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Literal

from hexkit.protocols.dao import ResourceAlreadyExistsError, ValidatedDto

from ._errors import (
    MigrationIdConflictError,
    MigrationLockLostError,
    MigrationLockTimeoutError,
    MigrationsNotSupportedError,
    MigrationValidationError,
    VersionMismatchError,
)
from ._migration import Migration, Step, check_migrations, plan_steps
from ._pipeline import StepReport, dry_run_step, transform_batch, validate
from ._store import HistoryEntry, MigrationState, MigrationStore, SupportsMigrations

__all__ = ["MigrationEvent", "MigrationReport", "migrate", "migration_status"]

#: Physical names of staging collections: ``<DAO name>~<version>~<run>``.
STAGING_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}~\d+~[0-9a-f]{8}")
_FIRST_POLL, _MAX_POLL = 0.02, 0.5


@dataclass(frozen=True)
class MigrationEvent:
    """A point in a run, handed to ``on_event``: for progress output, and for tests.

    ``stage`` is ``"locked"`` (this runner holds the lock), ``"batch"`` (a batch of
    ``collection`` was staged; ``documents`` counts the step's documents written so far,
    ``read`` those read of the ``total`` the step reads, counted when it began, so a
    progress bar can show a rate and an ETA), ``"before_switch"`` or ``"switched"`` (the
    step's data became current). ``total`` is ``None`` when nobody listens (the count
    costs a query per collection).
    """

    stage: Literal["locked", "batch", "before_switch", "switched"]
    version: int
    collection: str | None = None
    documents: int = 0
    read: int = 0
    total: int | None = None


EventHook = Callable[[MigrationEvent], Awaitable[None] | None]


@dataclass(frozen=True)
class MigrationReport:
    """What ``migrate`` did: the steps it ran, or would run in a dry run."""

    start_version: int
    version: int
    steps: tuple[StepReport, ...]
    dry_run: bool = False
    waited_seconds: float = 0.0


def store_of(factory: object) -> MigrationStore:
    """Return the factory's migration store, or raise ``MigrationsNotSupportedError``."""
    if not isinstance(factory, SupportsMigrations):
        raise MigrationsNotSupportedError(factory=factory)
    return factory.migration_store()


async def migration_status(factory: object) -> MigrationState:
    """Return the database's version, history, lock and layout."""
    return await store_of(factory).load_state()


async def migrate(
    factory: object,
    migrations: Sequence[Migration],
    *,
    target: int,
    batch_size: int = 1000,
    dry_run: bool = False,
    check_only: bool = False,
    lock_ttl: float = 60.0,
    lock_timeout: float = 300.0,
    max_failures: int = 10,
    on_event: EventHook | None = None,
) -> MigrationReport:
    """Bring the factory's database to version ``target``, up or down.

    One runner migrates while others calling at the same time wait for it (at most
    ``lock_timeout`` seconds, else ``MigrationLockTimeoutError``) and then find the
    target reached. Each step becomes visible at once; a failure or crash leaves the
    version before it readable, and the next run completes it. ``check_only`` writes
    nothing and raises ``VersionMismatchError`` unless the database is at ``target``;
    ``dry_run`` writes nothing and reports counts and the first ``max_failures``
    validation failures of every step.
    """
    check_migrations(migrations)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    store = store_of(factory)
    if dry_run:
        state = await store.load_state()
        steps = plan_steps(migrations, stored=state.version, target=target)
        reports = [
            await dry_run_step(
                store, state, steps, position, batch_size=batch_size, max_failures=max_failures
            )
            for position in range(len(steps))
        ]
        return MigrationReport(state.version, target, tuple(reports), dry_run=True)
    run = _Run(store, lock_ttl=lock_ttl, batch_size=batch_size, on_event=on_event)
    started = time.monotonic()
    locked = await run.wait_for_lock(
        migrations, target=target, wait=lock_timeout, check_only=check_only
    )
    waited = time.monotonic() - started
    if locked is None:  # nothing to do, and the lock was never taken
        current = await store.load_state()
        return MigrationReport(current.version, current.version, (), waited_seconds=waited)
    state = locked
    try:
        await run.emit(MigrationEvent("locked", state.version))
        state = await run.clean_up(state)
        steps = plan_steps(migrations, stored=state.version, target=target)
        reports = []
        for step in steps:
            report, state = await run.run_step(step, state)
            reports.append(report)
    except Exception:
        with suppress(Exception):  # the original error matters more than the release
            await store.release_lock(run.owner)
        raise
    await store.release_lock(run.owner)
    start = steps[0].previous if steps else state.version
    return MigrationReport(start, state.version, tuple(reports), waited_seconds=waited)


class _Run:
    """One runner's lock and steps."""

    def __init__(
        self, store: MigrationStore, *, lock_ttl: float, batch_size: int, on_event: Any
    ) -> None:
        if lock_ttl <= 0:
            raise ValueError(f"lock_ttl must be positive, got {lock_ttl!r}.")
        self.store = store
        self.owner = uuid.uuid4().hex
        self.lock_ttl = lock_ttl
        self.batch_size = batch_size
        self.on_event = on_event
        self.read = 0  # documents read by the current step, and how many it reads in all
        self.total: int | None = None

    async def emit(self, event: MigrationEvent) -> None:
        if self.on_event is not None:
            result = self.on_event(event)
            if inspect.isawaitable(result):
                await result

    async def wait_for_lock(
        self, migrations: Sequence[Migration], *, target: int, wait: float, check_only: bool
    ) -> MigrationState | None:
        """Return the state once this runner holds the lock, or ``None`` if no work is left."""
        deadline = time.monotonic() + wait
        poll = _FIRST_POLL
        while True:
            state = await self.store.load_state()
            busy = state.lock is not None and state.lock.expires_at > _now()
            if not busy and state.version == target and not state.pending_drop:
                return None
            if not busy and check_only:
                raise VersionMismatchError(stored=state.version, expected=target)
            if not busy:
                plan_steps(migrations, stored=state.version, target=target)  # raise early
                if await self.store.acquire_lock(self.owner, self.lock_ttl):
                    return await self.store.load_state()
            left = deadline - time.monotonic()
            if left <= 0:
                owner = state.lock.owner if state.lock else None
                raise MigrationLockTimeoutError(owner=owner, waited=wait, target=target)
            await asyncio.sleep(min(poll, left))
            poll = min(poll * 2, _MAX_POLL)

    async def clean_up(self, state: MigrationState) -> MigrationState:
        """Drop what crashed runs left: old data after a switch, unswitched staging."""
        if state.pending_drop:
            await self.store.clear_pending_drop(self.owner)
        current = set(state.layout.values())
        for name in await self.store.list_collections():
            if STAGING_NAME.fullmatch(name) and name not in current:
                await self.store.drop(name)
        return await self.store.load_state()

    async def run_step(
        self, step: Step, state: MigrationState
    ) -> tuple[StepReport, MigrationState]:
        """Stage, validate and switch one step; drop its staging on any failure."""
        started = time.monotonic()
        staging = {name: f"{name}~{step.version}~{self.owner[:8]}" for name in step.specs}
        counts = dict.fromkeys(step.specs, 0)
        self.read, self.total = 0, None
        if self.on_event is not None:  # only a listener pays for the counts
            self.total = sum([await self.store.count(state.physical(r)) for r in step.reads])
        try:
            for name in staging.values():
                await self.store.create_staging(name)
            for read in step.reads:
                async for batch in self.store.read_batches(
                    state.physical(read),
                    id_field=step.id_fields[read],
                    batch_size=self.batch_size,
                ):
                    await self._stage(step, read, batch, staging, counts)
            await self.emit(MigrationEvent("before_switch", step.version))
            layout = {**state.layout, **staging}
            for name in step.removed:
                layout.pop(name, None)
            replaced = {state.physical(name) for name in (*step.specs, *step.removed)}
            entry = HistoryEntry(
                version=step.version,
                previous=step.previous,
                direction=step.direction,
                finished_at=_now(),
                seconds=round(time.monotonic() - started, 6),
                documents=sum(counts.values()),
            )
            switched = await self.store.switch(
                self.owner,
                version=step.version,
                layout=layout,
                entry=entry,
                pending_drop=sorted(replaced - set(staging.values())),
            )
            if not switched:
                raise MigrationLockLostError(version=step.version, before=step.previous)
        except Exception:
            for name in staging.values():
                with suppress(Exception):
                    await self.store.drop(name)
            raise
        await self.emit(
            MigrationEvent(
                "switched",
                step.version,
                documents=sum(counts.values()),
                read=self.read,
                total=self.total,
            )
        )
        await self.store.clear_pending_drop(self.owner)
        report = StepReport(
            version=step.version,
            previous=step.previous,
            direction=step.direction,
            documents=counts,
            removed=step.removed,
            seconds=entry.seconds,
        )
        return report, await self.store.load_state()

    async def _stage(
        self,
        step: Step,
        read: str,
        batch: list[dict[str, Any]],
        staging: dict[str, str],
        counts: dict[str, int],
    ) -> None:
        grouped: dict[str, list[ValidatedDto[Any]]] = {}
        for name, document, _ in transform_batch(step, read, batch):
            result = validate(step, name, document)
            if result.checked is None:
                raise MigrationValidationError(
                    version=step.version,
                    before=step.previous,
                    collection=name,
                    id_=result.id,
                    field=result.field,
                    reason=result.reason,
                )
            grouped.setdefault(name, []).append(result.checked)
        for name, documents in grouped.items():
            try:
                await self.store.write_batch(
                    staging[name], id_field=step.id_fields[name], documents=documents
                )
            except ResourceAlreadyExistsError as error:
                raise MigrationIdConflictError(
                    version=step.version, before=step.previous, collection=name, id_=error.id
                ) from None
            counts[name] += len(documents)
        if not await self.store.renew_lock(self.owner, self.lock_ttl):
            raise MigrationLockLostError(version=step.version, before=step.previous)
        self.read += len(batch)
        await self.emit(
            MigrationEvent("batch", step.version, read, sum(counts.values()), self.read, self.total)
        )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)

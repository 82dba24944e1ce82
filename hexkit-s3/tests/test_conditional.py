"""Conditional writes: a writer that raced past the existence check cannot overwrite.

The races hold every writer at a barrier after the protocol's existence check, so all of
them reach the server and only its conditional write decides. Each test asserts what the
session's server guarantees (``S3Server.atomic_conditional_writes``): exactly one winner
where it honours ``If-None-Match: *`` atomically, and moto's documented gaps elsewhere.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hexkit.protocols.objstorage import ObjectAlreadyExistsError
from hexkit.providers.s3 import S3ObjectStorage
from hexkit.providers.s3.testutils import S3Fixture

from ._helpers import after_call, drain, on_call

pytestmark = pytest.mark.asyncio

WRITERS = 20


def _barrier_before(storage: S3ObjectStorage, operation: str) -> None:
    """Hold each ``operation`` request until all writers are about to send theirs."""
    barrier = threading.Barrier(WRITERS)
    on_call(storage, operation, lambda **_: barrier.wait(timeout=30))


async def _race(write: Callable[[int], Awaitable[None]]) -> tuple[list[int], list[BaseException]]:
    """Run ``write(i)`` for every writer at once; return the winners and the losers' errors."""
    results = await asyncio.gather(*(write(i) for i in range(WRITERS)), return_exceptions=True)
    winners = [i for i, result in enumerate(results) if result is None]
    losers = [result for result in results if isinstance(result, BaseException)]
    return winners, losers


async def test_the_slower_of_two_racing_writers_gets_already_exists(s3: S3Fixture) -> None:
    await s3.populate_buckets(["race"])
    loop = asyncio.get_running_loop()
    late_writer_checked = asyncio.Event()
    first_write_done = threading.Event()

    def hold_until_the_first_write(**_: Any) -> None:
        # Runs in a pool thread, after the late writer found no object (as the race needs).
        loop.call_soon_threadsafe(late_writer_checked.set)
        assert first_write_done.wait(timeout=30)

    async with s3.open_storage() as late:
        on_call(late, "PutObject", hold_until_the_first_write)
        late_write = asyncio.create_task(late.put_object("race", "obj", b"late"))
        await asyncio.wait_for(late_writer_checked.wait(), timeout=30)
        after_call(s3.storage, "PutObject", lambda **_: first_write_done.set())
        await s3.storage.put_object("race", "obj", b"first")
        with pytest.raises(ObjectAlreadyExistsError) as info:
            await late_write
    assert (info.value.bucket_id, info.value.object_id) == ("race", "obj")
    assert await drain(s3.storage.get_object("race", "obj")) == b"first"


@pytest.mark.parametrize("conditional", [True, False])
async def test_the_condition_header_follows_the_setting(s3: S3Fixture, conditional: bool) -> None:
    await s3.populate_buckets(["headers"])
    sent: list[bytes | None] = []
    async with s3.open_storage(s3_conditional_writes=conditional) as storage:
        storage._client.meta.events.register(
            "before-send.s3.PutObject",
            lambda request, **_: sent.append(request.headers.get("If-None-Match")),
        )
        await storage.put_object("headers", "h", b"data")
    assert sent == ([b"*"] if conditional else [None])


async def test_of_twenty_racing_puts_exactly_one_wins(s3: S3Fixture) -> None:
    assert "PutObject" in s3.server.atomic_conditional_writes  # on every backend
    await s3.populate_buckets(["race"])
    async with s3.open_storage(s3_max_concurrency=WRITERS) as storage:
        _barrier_before(storage, "PutObject")
        winners, losers = await _race(
            lambda i: storage.put_object("race", "obj", f"writer {i}".encode())
        )
    assert len(winners) == 1
    assert all(isinstance(error, ObjectAlreadyExistsError) for error in losers), losers
    assert await drain(s3.storage.get_object("race", "obj")) == f"writer {winners[0]}".encode()


async def test_of_twenty_racing_multipart_puts_exactly_one_completes(s3: S3Fixture) -> None:
    """One provider serialises its conditional completions of a key: one winner anywhere."""
    await s3.populate_buckets(["race"])
    # From a threshold of one byte on, every put_object is a multipart upload.
    async with s3.open_storage(s3_max_concurrency=WRITERS, s3_multipart_threshold=1) as storage:
        _barrier_before(storage, "CreateMultipartUpload")
        winners, losers = await _race(
            lambda i: storage.put_object("race", "obj", f"writer {i}".encode())
        )
    assert len(winners) == 1
    assert all(isinstance(error, ObjectAlreadyExistsError) for error in losers), losers
    content = await drain(s3.storage.get_object("race", "obj"))
    assert content == f"writer {winners[0]}".encode()
    # Every loser aborted its upload.
    assert await s3.storage.list_multipart_uploads("race") == []


async def test_racing_multipart_puts_of_two_providers(s3: S3Fixture) -> None:
    """Across processes only the server decides (here: two provider instances)."""
    await s3.populate_buckets(["race"])
    half = WRITERS // 2
    checked = threading.Barrier(WRITERS)  # every writer passed the existence check
    paired = threading.Barrier(2)  # each provider's next completion goes with the other's
    settings = {"s3_max_concurrency": half, "s3_multipart_threshold": 1}
    async with s3.open_storage(**settings) as one, s3.open_storage(**settings) as two:
        for storage in (one, two):
            on_call(storage, "CreateMultipartUpload", lambda **_: checked.wait(timeout=30))
            on_call(storage, "CompleteMultipartUpload", lambda **_: paired.wait(timeout=30))
        winners, losers = await _race(
            lambda i: (one if i < half else two).put_object("race", "obj", f"w{i}".encode())
        )
    assert all(isinstance(error, ObjectAlreadyExistsError) for error in losers), losers
    assert await drain(s3.storage.get_object("race", "obj")) in {f"w{i}".encode() for i in winners}
    assert await s3.storage.list_multipart_uploads("race") == []
    if "CompleteMultipartUpload" in s3.server.atomic_conditional_writes:
        assert len(winners) == 1
    else:
        # SeaweedFS (4.47-4.48) and moto check the condition outside their object lock:
        # each provider lets one completion through, and the two can both win.
        assert 1 <= len(winners) <= 2


async def test_of_twenty_racing_copies_exactly_one_wins(s3: S3Fixture) -> None:
    await s3.populate_file("race", "source", b"copied")
    async with s3.open_storage(s3_max_concurrency=WRITERS) as storage:
        _barrier_before(storage, "CopyObject")
        winners, losers = await _race(lambda _: storage.copy_object("race", "source", "race", "c"))
    assert all(isinstance(error, ObjectAlreadyExistsError) for error in losers), losers
    assert await drain(s3.storage.get_object("race", "c")) == b"copied"
    if "CopyObject" in s3.server.atomic_conditional_writes:
        assert len(winners) == 1
    else:
        # moto ignores If-None-Match on CopyObject: every writer that passed the
        # existence check overwrites (README, server table). Fails the day moto checks.
        assert len(winners) == WRITERS


@pytest.mark.parametrize("conditional", [True, False])
async def test_copies_send_the_condition_on_both_paths(s3: S3Fixture, conditional: bool) -> None:
    await s3.populate_file("headers", "source", b"x" * (5 * 1024 * 1024 + 1))
    sent: dict[str, bytes | None] = {}

    def record(request: Any, event_name: str, **_: Any) -> None:
        sent[event_name.rsplit(".", 1)[-1]] = request.headers.get("If-None-Match")

    async with s3.open_storage(
        s3_conditional_writes=conditional, s3_copy_threshold=5 * 1024 * 1024
    ) as storage:
        for operation in ("CopyObject", "CompleteMultipartUpload"):
            storage._client.meta.events.register(f"before-send.s3.{operation}", record)
        await storage.copy_object("headers", "source", "headers", "multipart")
        async with s3.open_storage(s3_conditional_writes=conditional) as single:
            single._client.meta.events.register("before-send.s3.CopyObject", record)
            await single.copy_object("headers", "source", "headers", "single")
    expected = b"*" if conditional else None
    assert sent == {"CompleteMultipartUpload": expected, "CopyObject": expected}

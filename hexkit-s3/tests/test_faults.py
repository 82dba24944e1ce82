"""Faults of a real server: SeaweedFS killed (SIGKILL) or hung (SIGSTOP) mid-transfer.

The tests need a process to signal: on the ``seaweedfs`` backend they use the session's
server (and leave it running), on any other backend they start a SeaweedFS of their own
through the testutils, so they run, and can fail, everywhere.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
import pytest_asyncio

from hexkit.protocols.objstorage import StorageTimeoutError, StorageUnavailableError
from hexkit.providers.s3 import S3ObjectStorage
from hexkit.providers.s3.testutils import S3Fixture, S3Server, SeaweedServer, start_server

from ._helpers import MIB, drain, payload

pytestmark = pytest.mark.asyncio

TIMEOUT = 2.0
SLACK = 1.0  # the promise: the error arrives by s3_timeout + 1 s
T = TypeVar("T")
# Larger than what loopback can hold in flight (Linux grows a receive buffer up to
# tcp_rmem's 32 MiB maximum, plus the sender's 4 MiB), so a download cut after its first
# chunk cannot already sit complete in the client's socket.
BIG = 48 * MIB

FAULT_SETTINGS: dict[str, Any] = {
    "s3_timeout": TIMEOUT,
    "s3_connect_timeout": TIMEOUT,
    "s3_read_timeout": TIMEOUT,
    "s3_max_attempts": 2,
    "s3_multipart_threshold": 5 * MIB,
    "s3_multipart_chunk_size": 5 * MIB,
    "s3_multipart_concurrency": 2,
    "s3_download_chunk_size": 64 * 1024,
}


@pytest.fixture(scope="module")
def seaweed(s3_server: S3Server) -> Iterator[S3Server]:
    """A SeaweedFS the tests may signal: the session's, or one of their own."""
    if s3_server.process is not None:
        yield s3_server
        return
    with start_server("seaweedfs") as server:
        yield server


def _process(server: S3Server) -> SeaweedServer:
    if server.process is None:  # start_server("seaweedfs") always has one
        raise AssertionError(f"{server!r} has no process handle to signal")
    return server.process


@pytest_asyncio.fixture
async def faulty(seaweed: S3Server) -> AsyncIterator[S3Fixture]:
    """A storage with short timeouts on the signalled server, which is healthy again after."""
    process = _process(seaweed)
    try:
        async with S3Fixture.open(seaweed, **FAULT_SETTINGS) as fixture:
            await fixture.reset()
            yield fixture
    finally:
        process.resume()
        if process.process is None or process.process.poll() is not None:
            await asyncio.to_thread(process.restart)
    async with S3Fixture.open(seaweed) as fixture:
        await _eventually(fixture.reset)


async def _eventually(call: Callable[[], Awaitable[T]], within: float = 20.0) -> T:
    """Retry ``call`` until it succeeds: a restarted or resumed server settles first."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await call()
        except (StorageUnavailableError, StorageTimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _failure_after(
    fault_at: list[float], call: Awaitable[Any], expected: type[Exception]
) -> float:
    """Await ``call``, expect ``expected``, return seconds since the fault was injected."""
    with pytest.raises(expected):
        await call
    assert fault_at, "the fault was never injected"
    return time.monotonic() - fault_at[0]


async def _acknowledged(storage: S3ObjectStorage) -> dict[str, bytes]:
    """Store objects (one multipart) and return what the server acknowledged."""
    objects = {f"acked-{i}": payload(1000 + i, seed=i) for i in range(5)}
    objects["acked-big"] = payload(6 * MIB, seed=99)
    for object_id, data in objects.items():
        await storage.put_object("faults", object_id, data)
    return objects


async def _all_intact(storage: S3ObjectStorage, objects: dict[str, bytes]) -> None:
    for object_id, data in objects.items():
        assert await drain(storage.get_object("faults", object_id)) == data, object_id


async def test_a_kill_mid_upload_fails_in_time_and_loses_nothing(faulty: S3Fixture) -> None:
    process, storage = _process(faulty.server), faulty.storage
    await faulty.populate_buckets(["faults"])
    acked = await _acknowledged(storage)
    killed_at: list[float] = []

    async def stream() -> AsyncIterator[bytes]:
        for number in range(8):
            if number == 2:  # part 1 is on its way
                await asyncio.to_thread(process.kill)
                killed_at.append(time.monotonic())
            yield payload(5 * MIB, seed=number)

    elapsed = await _failure_after(
        killed_at, storage.put_object("faults", "cut", stream()), StorageUnavailableError
    )
    print(f"SIGKILL mid-upload -> StorageUnavailableError after {elapsed:.2f} s")
    assert elapsed < TIMEOUT + SLACK

    await asyncio.to_thread(process.restart)
    await storage._runner.drain()  # the abort that could not reach the dead server
    # The same provider works again, and nothing acknowledged was lost.
    await _eventually(lambda: storage.put_object("faults", "after", b"restarted"))
    await _all_intact(storage, {**acked, "after": b"restarted"})
    assert not await storage.does_object_exist("faults", "cut")
    # The cut upload may be left open (its abort met a dead server): clean it up by age.
    orphans = await storage.list_multipart_uploads("faults")
    print(f"uploads left open by the kill: {len(orphans)}")
    assert len(orphans) <= 1
    cleaned = await storage.abort_stale_multipart_uploads("faults", older_than=timedelta(0))
    assert cleaned == len(orphans)
    assert await storage.list_multipart_uploads("faults") == []


async def test_a_kill_mid_download_fails_in_time(faulty: S3Fixture) -> None:
    process, storage = _process(faulty.server), faulty.storage
    data = payload(BIG, seed=7)
    await faulty.populate_file("faults", "big", data)
    killed_at: list[float] = []

    async def read_then_kill() -> None:
        async for _ in storage.get_object("faults", "big"):
            if not killed_at:
                await asyncio.to_thread(process.kill)
                killed_at.append(time.monotonic())

    elapsed = await _failure_after(killed_at, read_then_kill(), StorageUnavailableError)
    print(f"SIGKILL mid-download -> StorageUnavailableError after {elapsed:.2f} s")
    assert elapsed < TIMEOUT + SLACK

    await asyncio.to_thread(process.restart)
    assert await _eventually(lambda: drain(storage.get_object("faults", "big"))) == data


async def test_a_hung_server_times_out_in_time(faulty: S3Fixture) -> None:
    process, storage = _process(faulty.server), faulty.storage
    data = payload(BIG, seed=3)
    await faulty.populate_file("faults", "big", data)
    paused_at: list[float] = []

    def pause() -> None:
        process.pause()
        paused_at.append(time.monotonic())

    pause()
    elapsed = await _failure_after(
        paused_at, storage.does_object_exist("faults", "big"), StorageTimeoutError
    )
    print(f"SIGSTOP, HEAD -> StorageTimeoutError after {elapsed:.2f} s")
    assert elapsed < TIMEOUT + SLACK
    process.resume()
    paused_at.clear()

    async def read_then_pause() -> None:
        async for _ in storage.get_object("faults", "big"):
            if not paused_at:
                pause()

    elapsed = await _failure_after(paused_at, read_then_pause(), StorageTimeoutError)
    print(f"SIGSTOP mid-download -> StorageTimeoutError after {elapsed:.2f} s")
    assert elapsed < TIMEOUT + SLACK
    process.resume()
    paused_at.clear()

    async def stream() -> AsyncIterator[bytes]:
        for number in range(8):
            if number == 2:
                pause()
            yield payload(5 * MIB, seed=number)

    elapsed = await _failure_after(
        paused_at, storage.put_object("faults", "hung", stream()), StorageTimeoutError
    )
    print(f"SIGSTOP mid-upload -> StorageTimeoutError after {elapsed:.2f} s")
    assert elapsed < TIMEOUT + SLACK
    process.resume()

    # The same provider works once the server runs again; its abort reaches it or the
    # stale-upload clean-up does, and no upload is left behind.
    await storage._runner.drain()
    assert await _eventually(lambda: drain(storage.get_object("faults", "big"))) == data
    await storage.abort_stale_multipart_uploads("faults", older_than=timedelta(0))
    assert await storage.list_multipart_uploads("faults") == []
    assert not await storage.does_object_exist("faults", "hung")

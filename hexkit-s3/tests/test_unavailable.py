"""An unreachable or silent endpoint gives a clear error within the configured time."""

# ruff: noqa: S105 - the credentials here are made up, to check they never leak

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from hexkit.protocols.objstorage import StorageTimeoutError, StorageUnavailableError
from hexkit.providers.s3 import S3Config, S3ObjectStorage
from hexkit.testing import free_port

SECRET = "do-not-print-this-secret"
pytestmark = pytest.mark.asyncio


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    return free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (kernel backlog) but never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield server.getsockname()[1]


def _config(port: int, **overrides: object) -> S3Config:
    return S3Config(
        s3_endpoint_url=f"http://127.0.0.1:{port}",
        s3_access_key_id="key",
        s3_secret_access_key=SECRET,
        **overrides,  # type: ignore[arg-type]
    )


@pytest_asyncio.fixture
async def down(closed_port: int) -> AsyncIterator[S3ObjectStorage]:
    config = _config(closed_port, s3_connect_timeout=1.0, s3_max_attempts=2)
    async with S3ObjectStorage.construct(config=config) as storage:
        yield storage


async def test_connection_refused_raises_storage_unavailable(down: S3ObjectStorage) -> None:
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError) as info:
        await down.does_bucket_exist("some-bucket")
    assert time.monotonic() - started < 5
    assert isinstance(info.value, ConnectionError)
    assert "s3_endpoint_url" in str(info.value)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value.__cause__)


async def test_streams_and_listings_fail_the_same_way(down: S3ObjectStorage) -> None:
    with pytest.raises(StorageUnavailableError):
        async for _ in down.get_object("some-bucket", "x"):
            pass
    with pytest.raises(StorageUnavailableError):
        await down.put_object("some-bucket", "x", b"data")


async def test_a_silent_endpoint_times_out_within_the_configured_time(silent_port: int) -> None:
    config = _config(silent_port, s3_read_timeout=0.5, s3_connect_timeout=0.5, s3_max_attempts=2)
    async with S3ObjectStorage.construct(config=config) as storage:
        started = time.monotonic()
        with pytest.raises(StorageTimeoutError) as info:
            await storage.does_bucket_exist("some-bucket")
        elapsed = time.monotonic() - started
    # Two attempts of 0.5 s each, plus botocore's backoff between them (at most ~1 s).
    assert elapsed < 3.0
    assert isinstance(info.value, TimeoutError)
    assert "s3_read_timeout" in str(info.value)
    assert SECRET not in str(info.value)


async def test_the_event_loop_stays_responsive_while_requests_wait(silent_port: int) -> None:
    config = _config(silent_port, s3_read_timeout=1.0, s3_max_attempts=1)
    async with S3ObjectStorage.construct(config=config) as storage:
        request = asyncio.create_task(storage.does_bucket_exist("some-bucket"))
        ticks = 0
        while not request.done():
            await asyncio.sleep(0.01)
            ticks += 1
        with pytest.raises(StorageTimeoutError):
            await request
    # A blocked loop would have ticked once or twice in the whole second.
    assert ticks > 20

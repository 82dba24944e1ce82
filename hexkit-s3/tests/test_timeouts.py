"""s3_timeout: a deadline per request, kept against a server that accepts and never answers.

botocore's own limits apply per attempt and per socket operation, so a silent server held
a call for far longer than read_timeout x attempts. The provider's deadline covers the
wait for a pool thread, every attempt and the backoff between them; timed-out threads
finish on their own, and the pool never grows past s3_max_concurrency.
"""

# ruff: noqa: S106 - the credentials here are made up

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from hexkit.protocols.objstorage import StorageTimeoutError
from hexkit.providers.s3 import S3Config, S3ObjectStorage

pytestmark = pytest.mark.asyncio

TIMEOUT = 1.0
SLACK = 1.0  # the promise: StorageTimeoutError by s3_timeout + 1 s


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A loopback HTTP endpoint that accepts every connection and never answers."""
    server = socket.create_server(("127.0.0.1", 0), backlog=128)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)  # never read, never answered, never closed

    thread = threading.Thread(target=accept, name="silent-s3", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        server.close()


def _config(endpoint: str, **overrides: Any) -> S3Config:
    values: dict[str, Any] = {
        "s3_endpoint_url": endpoint,
        "s3_access_key_id": "key",
        "s3_secret_access_key": "secret",
        # botocore's limits alone would allow far more than the deadline.
        "s3_connect_timeout": 3.0,
        "s3_read_timeout": 3.0,
        "s3_max_attempts": 2,
        "s3_timeout": TIMEOUT,
        **overrides,
    }
    return S3Config(**values)


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.monotonic()
    with pytest.raises(StorageTimeoutError) as info:
        await call()
    assert "s3_timeout" in str(info.value)
    return time.monotonic() - started


async def _drain(storage: S3ObjectStorage, bucket_id: str, object_id: str) -> None:
    async for _ in storage.get_object(bucket_id, object_id):
        pass


async def _list(storage: S3ObjectStorage) -> None:
    async for _ in storage.list_object_ids("bucket"):
        pass


async def test_every_kind_of_call_times_out_by_the_deadline(silent_endpoint: str) -> None:
    async with S3ObjectStorage.construct(config=_config(silent_endpoint)) as storage:
        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "head": lambda: storage.does_bucket_exist("bucket"),
            "put": lambda: storage._put_object("bucket", "x", b"data", content_type=None),
            "get": lambda: _drain(storage, "bucket", "x"),
            "list": lambda: _list(storage),
            "create": lambda: storage.create_bucket("bucket"),
        }
        for name, call in calls.items():
            elapsed = await _timed(call)
            assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + SLACK, (name, elapsed)


async def test_timed_out_calls_never_grow_the_pool_and_it_stays_usable(
    silent_endpoint: str,
) -> None:
    config = _config(silent_endpoint, s3_max_concurrency=4)
    async with S3ObjectStorage.construct(config=config) as storage:
        executor = storage._runner.executor
        most = 0

        async def watch() -> None:
            nonlocal most
            while True:
                most = max(most, len(executor._threads))
                await asyncio.sleep(0.01)

        watcher = asyncio.create_task(watch())
        started = time.monotonic()
        results = await asyncio.gather(
            *(storage.does_bucket_exist("bucket") for _ in range(24)), return_exceptions=True
        )
        elapsed = time.monotonic() - started
        watcher.cancel()
        assert all(isinstance(result, StorageTimeoutError) for result in results), [
            repr(result) for result in results if not isinstance(result, StorageTimeoutError)
        ]
        # Queued calls count their wait for a thread: all 24 end by the one deadline.
        assert elapsed < TIMEOUT + SLACK
        assert most <= 4
        # The stuck threads come back on their own (socket timeouts are capped at the
        # deadline, and no retry is sent after it): the pool runs work again.
        deadline = time.monotonic() + 5 * TIMEOUT
        while True:
            try:
                assert await storage._runner.run(lambda: "alive") == "alive"
                break
            except StorageTimeoutError:
                assert time.monotonic() < deadline, "the pool never recovered"
        assert len(executor._threads) <= 4


async def test_without_s3_timeout_botocores_limits_apply() -> None:
    config = S3Config(s3_access_key_id="key", s3_secret_access_key="secret")
    assert config.s3_timeout is None


@pytest.mark.parametrize("value", [0, -1.0])
async def test_s3_timeout_must_be_positive(value: float) -> None:
    with pytest.raises(ValidationError, match="s3_timeout"):
        S3Config(s3_access_key_id="key", s3_secret_access_key="secret", s3_timeout=value)


async def test_s3_timeout_caps_the_socket_timeouts(silent_endpoint: str) -> None:
    async with S3ObjectStorage.construct(config=_config(silent_endpoint)) as storage:
        client_config = storage._client.meta.config
        assert client_config.connect_timeout == TIMEOUT
        assert client_config.read_timeout == TIMEOUT

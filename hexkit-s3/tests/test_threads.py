"""Blocking calls run in the provider's pool, in the caller's context; presigning on the loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import pytest

from hexkit.providers.s3 import S3ObjectStorage
from hexkit.providers.s3.testutils import S3Fixture

pytestmark = pytest.mark.asyncio

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


async def test_requests_run_in_the_providers_pool_and_never_exceed_it(s3: S3Fixture) -> None:
    await s3.populate_file("threads", "x", b"x")
    names: set[str] = set()
    lock = threading.Lock()
    active = {"now": 0, "most": 0}

    def enter(**_: Any) -> None:
        with lock:
            names.add(threading.current_thread().name)
            active["now"] += 1
            active["most"] = max(active["most"], active["now"])

    def leave(**_: Any) -> None:
        with lock:
            active["now"] -= 1

    async with s3.open_storage(s3_max_concurrency=4) as storage:
        storage._client.meta.events.register("before-send.s3.HeadObject", enter)
        storage._client.meta.events.register("after-call.s3.HeadObject", leave)
        results = await asyncio.gather(
            *(storage.does_object_exist("threads", "x") for _ in range(64))
        )
    assert all(results)
    assert names
    assert all(name.startswith("hexkit-s3") for name in names)
    assert active["most"] <= 4


async def test_presigning_happens_on_the_event_loop_thread(s3: S3Fixture) -> None:
    await s3.populate_file("threads", "x", b"x")
    signing_threads: list[str] = []
    s3.storage._client.meta.events.register(
        "before-sign.s3.GetObject",
        lambda **_: signing_threads.append(threading.current_thread().name),
    )
    await s3.storage._get_object_download_url("threads", "x", expires_after=60)
    assert signing_threads == [threading.current_thread().name]


async def test_the_pool_is_shut_down_on_exit(s3: S3Fixture) -> None:
    storage: S3ObjectStorage
    async with s3.open_storage() as storage:
        executor = storage._runner.executor
        assert executor._max_workers == storage.config.s3_max_concurrency
        await storage.does_bucket_exist("threads")
    with pytest.raises(RuntimeError, match="shutdown"):
        executor.submit(print)


async def test_a_context_variable_set_by_the_caller_is_seen_in_the_worker_thread(
    s3: S3Fixture,
) -> None:
    await s3.populate_file("context", "x", b"x")
    seen: list[tuple[str, str | None]] = []
    s3.storage._client.meta.events.register(
        "before-send.s3.HeadObject",
        lambda **_: seen.append((threading.current_thread().name, request_id.get())),
    )
    # run_in_executor alone would not carry it: traces started in the thread need it.
    request_id.set("request-1")
    assert await s3.storage.does_object_exist("context", "x")
    [(thread, value)] = seen
    assert thread.startswith("hexkit-s3")
    assert value == "request-1"

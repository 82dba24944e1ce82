"""Conditional writes: a writer that raced past the existence check cannot overwrite."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from hexkit.protocols.objstorage import ObjectAlreadyExistsError
from hexkit.providers.s3.testutils import S3Fixture

from ._helpers import after_call, drain, on_call

pytestmark = pytest.mark.asyncio


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

"""put_object streams: one PUT below the threshold, concurrent parts above, never orphans."""

from __future__ import annotations

import asyncio
import hashlib
import mmap
import random
import threading
from collections.abc import AsyncIterator
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ConnectionClosedError

from hexkit.protocols.objstorage import StorageUnavailableError
from hexkit.providers.s3 import S3ObjectStorage, _parts
from hexkit.providers.s3.testutils import S3Fixture

from ._helpers import MIB, after_call, chunks, drain, on_call, payload

pytestmark = pytest.mark.asyncio

SMALL_PARTS = {"s3_multipart_threshold": 1, "s3_multipart_chunk_size": 5 * MIB}


def _multipart_etag(parts: list[bytes]) -> str:
    digests = b"".join(hashlib.md5(part, usedforsecurity=False).digest() for part in parts)
    return f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(parts)}"


async def test_small_objects_take_one_put(s3: S3Fixture) -> None:
    await s3.populate_buckets(["small"])
    calls: list[str] = []
    after_call(s3.storage, "PutObject", lambda **_: calls.append("put"))
    after_call(s3.storage, "UploadPart", lambda **_: calls.append("part"))
    data = payload(3 * MIB, seed=1)
    await s3.storage.put_object("small", "one", chunks(data, 64 * 1024))
    assert calls == ["put"]
    assert (
        await s3.storage.get_object_etag("small", "one")
        == hashlib.md5(data, usedforsecurity=False).hexdigest()
    )


async def test_large_streams_become_multipart_uploads_in_order(s3: S3Fixture) -> None:
    await s3.populate_buckets(["large"])
    data = payload(12 * MIB + 17, seed=2)
    async with s3.open_storage(**SMALL_PARTS) as storage:
        await storage.put_object("large", "big", chunks(data, 300_000), content_type="x/y")
    parts = [data[: 5 * MIB], data[5 * MIB : 10 * MIB], data[10 * MIB :]]
    metadata = await s3.storage.get_object_metadata("large", "big")
    assert (metadata.size, metadata.etag) == (len(data), _multipart_etag(parts))
    assert metadata.content_type == "x/y"
    assert await drain(s3.storage.get_object("large", "big")) == data
    assert await s3.storage.list_multipart_uploads("large") == []


async def test_bytes_above_the_threshold_are_uploaded_in_parts_too(s3: S3Fixture) -> None:
    await s3.populate_buckets(["bytes"])
    data = payload(6 * MIB, seed=3)
    async with s3.open_storage(**SMALL_PARTS) as storage:
        await storage.put_object("bytes", "b", data)
    assert (await s3.storage.get_object_etag("bytes", "b")).endswith("-2")
    assert await drain(s3.storage.get_object("bytes", "b")) == data


async def test_parts_run_concurrently_but_memory_stays_bounded(s3: S3Fixture) -> None:
    await s3.populate_buckets(["bounded"])
    concurrency, chunk = 2, 5 * MIB
    lock = threading.Lock()
    state = {"pulled": 0, "acknowledged": 0, "ahead": 0, "running": 0, "most_running": 0}

    def started(params: dict[str, Any], **_: Any) -> None:
        with lock:
            state["running"] += 1
            state["most_running"] = max(state["most_running"], state["running"])

    def finished(**_: Any) -> None:
        with lock:
            state["running"] -= 1
            state["acknowledged"] += chunk

    async def source() -> AsyncIterator[bytes]:
        for index in range(8 * 5):  # 8 parts of 5 MiB in 1 MiB chunks
            with lock:
                state["pulled"] += MIB
                state["ahead"] = max(state["ahead"], state["pulled"] - state["acknowledged"])
            yield payload(MIB, seed=index)

    async with s3.open_storage(**SMALL_PARTS, s3_multipart_concurrency=concurrency) as storage:
        on_call(storage, "UploadPart", started)
        after_call(storage, "UploadPart", finished)
        await storage.put_object("bounded", "stream", source())
    assert state["most_running"] == concurrency
    # Only the parts in flight are held (the one being filled takes a slot of its own).
    assert state["ahead"] <= concurrency * chunk
    assert await s3.storage.get_object_size("bounded", "stream") == 40 * MIB


async def test_a_failing_part_aborts_the_upload(s3: S3Fixture) -> None:
    await s3.populate_buckets(["failing"])

    def break_part_two(params: dict[str, Any], **_: Any) -> None:
        if params["PartNumber"] == 2:
            raise ConnectionClosedError(endpoint_url="http://injected-failure")

    async with s3.open_storage(**SMALL_PARTS) as storage:
        on_call(storage, "UploadPart", break_part_two)
        with pytest.raises(StorageUnavailableError):
            await storage.put_object("failing", "f", chunks(payload(16 * MIB), MIB))
    assert await s3.storage.list_multipart_uploads("failing") == []
    assert not await s3.storage.does_object_exist("failing", "f")


async def test_a_failing_source_aborts_the_upload(s3: S3Fixture) -> None:
    await s3.populate_buckets(["source"])

    async def broken() -> AsyncIterator[bytes]:
        for index in range(12):
            yield payload(MIB, seed=index)
        raise OSError("the disk went away")

    async with s3.open_storage(**SMALL_PARTS) as storage:
        with pytest.raises(OSError, match="the disk went away"):
            await storage.put_object("source", "f", broken())
    assert await s3.storage.list_multipart_uploads("source") == []
    assert not await s3.storage.does_object_exist("source", "f")


async def test_cancelling_the_upload_aborts_it(s3: S3Fixture) -> None:
    await s3.populate_buckets(["cancel"])
    part_started = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def endless() -> AsyncIterator[bytes]:
        index = 0
        while True:
            index += 1
            yield payload(MIB, seed=index)

    async with s3.open_storage(**SMALL_PARTS) as storage:
        on_call(storage, "UploadPart", lambda **_: loop.call_soon_threadsafe(part_started.set))
        upload = asyncio.create_task(storage.put_object("cancel", "f", endless()))
        await asyncio.wait_for(part_started.wait(), timeout=30)
        assert await s3.storage.list_multipart_uploads("cancel", "f")
        upload.cancel()
        with pytest.raises(asyncio.CancelledError):
            await upload
    assert await s3.storage.list_multipart_uploads("cancel") == []
    assert not await s3.storage.does_object_exist("cancel", "f")


async def test_streams_must_yield_bytes(s3: S3Fixture) -> None:
    await s3.populate_buckets(["types"])

    async def texts() -> AsyncIterator[Any]:
        yield "not bytes"

    with pytest.raises(TypeError, match="must yield bytes"):
        await s3.storage.put_object("types", "t", texts())


async def test_get_object_yields_chunks_of_the_configured_size(s3: S3Fixture) -> None:
    data = payload(1000, seed=9)
    await s3.populate_file("chunks", "c", data)
    storage: S3ObjectStorage
    async with s3.open_storage(s3_download_chunk_size=300) as storage:
        parts = [chunk async for chunk in storage.get_object("chunks", "c")]
    assert [len(part) for part in parts] == [300, 300, 300, 100]
    assert b"".join(parts) == data


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _part_number(request: Any) -> int:
    return int(parse_qs(urlsplit(request.url).query)["partNumber"][0])


async def _reused_buffer(data: bytes, seed: int) -> AsyncIterator[Any]:
    """Yield ``data`` in chunks of random sizes, all in one buffer overwritten each time."""
    sizes = random.Random(seed)
    block = bytearray(3 * MIB)
    start = 0
    while start < len(data):
        size = min(sizes.randint(1, 3 * MIB), len(data) - start)
        block[:size] = data[start : start + size]
        start += size
        yield memoryview(block)[:size]
        block[:] = bytes(len(block))  # the caller reuses its buffer: nothing may alias it


async def test_parts_of_varied_chunks_and_a_short_last_part_arrive_intact(
    s3: S3Fixture,
) -> None:
    await s3.populate_buckets(["varied"])
    data = payload(4 * 5 * MIB + 12_345, seed=11)
    expected = [data[start : start + 5 * MIB] for start in range(0, len(data), 5 * MIB)]
    async with s3.open_storage(**SMALL_PARTS, s3_multipart_concurrency=2) as storage:
        await storage.put_object("varied", "mutable", _reused_buffer(data, seed=12))
    # A threshold above the part size holds several of the caller's chunks at once.
    async with s3.open_storage(
        **SMALL_PARTS | {"s3_multipart_threshold": 12 * MIB}, s3_multipart_concurrency=2
    ) as storage:
        await storage.put_object("varied", "ahead", _reused_buffer(data, seed=14))
        sizes = random.Random(13)
        pieces = []
        start = 0
        while start < len(data):
            size = sizes.randint(1, 7 * MIB)
            pieces.append(data[start : start + size])
            start += size

        async def immutable() -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece

        await storage.put_object("varied", "immutable", immutable())
    for object_id in ("mutable", "ahead", "immutable"):
        metadata = await s3.storage.get_object_metadata("varied", object_id)
        assert (metadata.size, metadata.etag) == (len(data), _multipart_etag(expected))
        assert _sha256(await drain(s3.storage.get_object("varied", object_id))) == _sha256(data)


async def test_a_retried_part_resends_its_own_bytes_while_later_parts_reuse_buffers(
    s3: S3Fixture,
) -> None:
    """Part 1 fails after its body was read, and is retried only once part 3 was built.

    With two parts in flight there are two part buffers; part 3 can only be built into the
    one part 2 gave back. Had part 1's buffer been reused, its retry would send other bytes.
    """
    await s3.populate_buckets(["retried"])
    data = payload(4 * 5 * MIB + 999, seed=21)
    expected = [data[start : start + 5 * MIB] for start in range(0, len(data), 5 * MIB)]
    third_part_sent = threading.Event()
    attempts: dict[int, int] = {}
    lock = threading.Lock()

    def flaky_first_part(request: Any, **_: Any) -> None:
        number = _part_number(request)
        with lock:
            attempts[number] = attempts.get(number, 0) + 1
            first_try = attempts[number] == 1
        if number == 3:
            third_part_sent.set()
        if number == 1 and first_try:
            request.body.read()  # the body went out, then the connection broke
            assert third_part_sent.wait(timeout=60), "part 3 was never sent"
            raise ConnectionClosedError(endpoint_url="http://injected-failure")

    async with s3.open_storage(**SMALL_PARTS, s3_multipart_concurrency=2) as storage:
        storage._client.meta.events.register("before-send.s3.UploadPart", flaky_first_part)
        await storage.put_object("retried", "r", chunks(data, 700_000))
    assert attempts == {1: 2, 2: 1, 3: 1, 4: 1, 5: 1}
    metadata = await s3.storage.get_object_metadata("retried", "r")
    assert (metadata.size, metadata.etag) == (len(data), _multipart_etag(expected))
    assert _sha256(await drain(s3.storage.get_object("retried", "r"))) == _sha256(data)


class _CountedMap(mmap.mmap):
    made: ClassVar[list[_CountedMap]] = []

    def __new__(cls, *args: Any, **kwargs: Any) -> _CountedMap:
        made = super().__new__(cls, *args, **kwargs)
        cls.made.append(made)
        return made


@pytest.mark.parametrize("fail", [False, True], ids=["finished", "failed"])
async def test_part_buffers_are_reused_bounded_and_closed(
    s3: S3Fixture, monkeypatch: pytest.MonkeyPatch, fail: bool
) -> None:
    await s3.populate_buckets(["pool"])
    monkeypatch.setattr(_CountedMap, "made", [])
    monkeypatch.setattr(_parts.mmap, "mmap", _CountedMap)

    def break_part_five(params: dict[str, Any], **_: Any) -> None:
        if fail and params["PartNumber"] == 5:
            raise ConnectionClosedError(endpoint_url="http://injected-failure")

    async with s3.open_storage(**SMALL_PARTS, s3_multipart_concurrency=2) as storage:
        on_call(storage, "UploadPart", break_part_five)
        upload = storage.put_object("pool", "p", chunks(payload(8 * 5 * MIB), MIB))
        if fail:
            with pytest.raises(StorageUnavailableError):
                await upload
        else:
            await upload
    assert 1 <= len(_CountedMap.made) <= 2  # eight parts, two buffers
    assert all(part.closed for part in _CountedMap.made)

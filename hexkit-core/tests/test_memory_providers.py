"""Behaviour of the memory providers beyond the conformance kit."""

from __future__ import annotations

import asyncio
import time

import pytest

from hexkit.protocols.dao import TransactionError
from hexkit.protocols.objstorage import TransferRejectedError
from hexkit.providers.memory import (
    MemoryDaoFactory,
    MemoryObjectStorage,
    MemoryObjectStorageConfig,
    MemoryTransfer,
)
from hexkit.testing import Everything, make_everything

pytestmark = pytest.mark.asyncio


async def test_factories_share_no_state() -> None:
    first, second = MemoryDaoFactory(), MemoryDaoFactory()
    dao_a = await first.get_dao(name="things", dto_model=Everything, id_field="id")
    dao_b = await second.get_dao(name="things", dto_model=Everything, id_field="id")
    await dao_a.insert(make_everything("x"))
    assert await dao_b.find_all(mapping={}).total_count() == 0


async def test_a_concurrent_outside_write_makes_the_transaction_fail_whole() -> None:
    factory = MemoryDaoFactory()
    dao = await factory.get_dao(name="things", dto_model=Everything, id_field="id")
    await dao.insert(make_everything("shared", 1))
    inside = asyncio.Event()
    outside_done = asyncio.Event()

    async def outside_writer() -> None:
        await inside.wait()
        await dao.update(make_everything("shared", 2))
        outside_done.set()

    writer = asyncio.create_task(outside_writer())
    with pytest.raises(TransactionError, match="changed outside"):  # noqa: PT012 - block under test
        async with factory.transaction():
            await dao.insert(make_everything("new", 5))
            await dao.update(make_everything("shared", 3))
            inside.set()
            await outside_done.wait()
    await writer
    assert (await dao.get_by_id("shared")).number == 2
    assert await dao.find_all(mapping={"id": "new"}).total_count() == 0


async def test_urls_stop_working_when_the_storage_is_closed() -> None:
    async with MemoryObjectStorage.construct(config=MemoryObjectStorageConfig()) as storage:
        await storage.create_bucket("bucket-a")
        await storage.put_object("bucket-a", "x", b"data")
        url = await storage.get_object_download_url("bucket-a", "x")
        assert url.startswith("memory://")
        assert await MemoryTransfer().download(url) == b"data"
    with pytest.raises(TransferRejectedError) as info:
        await MemoryTransfer().download(url)
    assert info.value.status == 404


async def test_tampered_urls_are_refused() -> None:
    storage = MemoryObjectStorage()
    await storage.create_bucket("bucket-a")
    await storage.put_object("bucket-a", "x", b"data")
    url = await storage.get_object_download_url("bucket-a", "x")
    with pytest.raises(TransferRejectedError, match="signature"):
        await MemoryTransfer().download(url.replace("key=x", "key=y"))


async def test_min_part_size_is_configurable() -> None:
    storage = MemoryObjectStorage(MemoryObjectStorageConfig(min_part_size=4))
    await storage.create_bucket("bucket-a")
    upload_id = await storage.init_multipart_upload("bucket-a", "x")
    transfer = MemoryTransfer()
    for number, part in enumerate([b"abcd", b"efgh", b"i"], start=1):
        url = await storage.get_part_upload_url(upload_id, "bucket-a", "x", number)
        await transfer.upload_part(url, part)
    await storage.complete_multipart_upload(upload_id, "bucket-a", "x", 3, 4)
    chunks = [chunk async for chunk in storage.get_object("bucket-a", "x")]
    assert b"".join(chunks) == b"abcdefghi"


async def test_presigned_posts_expire_after_15_minutes_unless_told_otherwise() -> None:
    storage = MemoryObjectStorage()
    await storage.create_bucket("inbox")
    before = time.time()
    default = await storage.get_object_upload_url("inbox", "a")
    chosen = await storage.get_object_upload_url("inbox", "b", expires_after=3 * 3600)
    assert before + 900 - 1 <= int(default.fields["expires"]) <= time.time() + 900
    assert before + 3 * 3600 - 1 <= int(chosen.fields["expires"]) <= time.time() + 3 * 3600


async def test_a_presigned_post_can_be_replayed_until_it_expires() -> None:
    # The documented replay window: the POST is a bearer credential, not a one-time token.
    storage = MemoryObjectStorage()
    await storage.create_bucket("inbox")
    post = await storage.get_object_upload_url("inbox", "a")
    await MemoryTransfer().upload_post(post, b"first")
    await MemoryTransfer().upload_post(post, b"second")
    assert b"".join([chunk async for chunk in storage.get_object("inbox", "a")]) == b"second"

"""Conformance tests: storing, reading, copying and deleting objects in-process."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from hexkit.protocols.objstorage import (
    BucketNotFoundError,
    ObjectAlreadyExistsError,
    ObjectNotFoundError,
    ObjectStorageProtocol,
)

from ._base import MIB, ObjectStorageKitBase, drain, payload

__all__ = ["ObjectTests"]


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


class ObjectTests(ObjectStorageKitBase):
    """put/get streaming, metadata, existence, copy and delete."""

    async def test_put_bytes_then_read_content_and_metadata(
        self, storage: ObjectStorageProtocol
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        data = payload(1000, seed=1)
        before = datetime.now(UTC) - timedelta(minutes=5)
        await storage.put_object(bucket_id, "docs/a.txt", data, content_type="text/plain")
        assert await drain(storage.get_object(bucket_id, "docs/a.txt")) == data
        metadata = await storage.get_object_metadata(bucket_id, "docs/a.txt")
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        assert metadata.size == 1000
        assert metadata.etag == md5
        assert metadata.content_type == "text/plain"
        assert metadata.last_modified.tzinfo is not None
        assert metadata.last_modified > before
        assert await storage.get_object_size(bucket_id, "docs/a.txt") == 1000
        assert await storage.get_object_etag(bucket_id, "docs/a.txt") == md5

    async def test_put_an_async_stream_and_get_it_back_in_chunks(
        self, storage: ObjectStorageProtocol
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        data = payload(3 * MIB + 123, seed=2)
        await storage.put_object(bucket_id, "stream", _chunks(data, 256 * 1024))
        chunks = [chunk async for chunk in storage.get_object(bucket_id, "stream")]
        assert b"".join(chunks) == data
        assert all(chunks)
        assert await storage.get_object_size(bucket_id, "stream") == len(data)

    async def test_empty_objects_are_fine(self, storage: ObjectStorageProtocol) -> None:
        bucket_id = await self.new_bucket(storage)
        await storage.put_object(bucket_id, "empty", b"")
        assert await drain(storage.get_object(bucket_id, "empty")) == b""
        assert await storage.get_object_size(bucket_id, "empty") == 0

    async def test_putting_onto_an_existing_object_fails(
        self, storage: ObjectStorageProtocol
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        await storage.put_object(bucket_id, "taken", b"first")
        with pytest.raises(ObjectAlreadyExistsError) as info:
            await storage.put_object(bucket_id, "taken", b"second")
        assert (info.value.bucket_id, info.value.object_id) == (bucket_id, "taken")
        assert await drain(storage.get_object(bucket_id, "taken")) == b"first"

    async def test_operations_on_a_missing_bucket_fail(
        self, storage: ObjectStorageProtocol
    ) -> None:
        bucket_id = self.unused_bucket()
        with pytest.raises(BucketNotFoundError):
            await storage.put_object(bucket_id, "x", b"data")
        with pytest.raises(BucketNotFoundError):
            await storage.does_object_exist(bucket_id, "x")
        with pytest.raises(BucketNotFoundError):
            await storage.get_object_metadata(bucket_id, "x")

    async def test_operations_on_a_missing_object_fail(
        self, storage: ObjectStorageProtocol
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        assert not await storage.does_object_exist(bucket_id, "ghost")
        with pytest.raises(ObjectNotFoundError) as info:
            await storage.get_object_size(bucket_id, "ghost")
        assert isinstance(info.value, LookupError)
        assert info.value.object_id == "ghost"
        with pytest.raises(ObjectNotFoundError):
            await drain(storage.get_object(bucket_id, "ghost"))
        with pytest.raises(ObjectNotFoundError):
            await storage.delete_object(bucket_id, "ghost")

    async def test_does_object_exist_checks_the_md5_when_given(
        self, storage: ObjectStorageProtocol
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        data = payload(50, seed=3)
        await storage.put_object(bucket_id, "sum", data)
        good = hashlib.md5(data, usedforsecurity=False).hexdigest()
        bad = hashlib.md5(b"other", usedforsecurity=False).hexdigest()
        assert await storage.does_object_exist(bucket_id, "sum", good)
        assert not await storage.does_object_exist(bucket_id, "sum", bad)

    async def test_delete_object(self, storage: ObjectStorageProtocol) -> None:
        bucket_id = await self.new_bucket(storage)
        await storage.put_object(bucket_id, "gone", b"x")
        await storage.put_object(bucket_id, "stays", b"y")
        await storage.delete_object(bucket_id, "gone")
        assert not await storage.does_object_exist(bucket_id, "gone")
        assert await storage.does_object_exist(bucket_id, "stays")

    async def test_copy_object_between_buckets(self, storage: ObjectStorageProtocol) -> None:
        source = await self.new_bucket(storage)
        dest = await self.new_bucket(storage)
        data = payload(2048, seed=4)
        await storage.put_object(source, "orig", data)
        await storage.copy_object(source, "orig", dest, "copy/1")
        assert await drain(storage.get_object(dest, "copy/1")) == data
        assert await drain(storage.get_object(source, "orig")) == data

    async def test_copy_object_rules(self, storage: ObjectStorageProtocol) -> None:
        source = await self.new_bucket(storage)
        dest = await self.new_bucket(storage)
        await storage.put_object(source, "orig", b"abc")
        await storage.put_object(dest, "taken", b"old")
        with pytest.raises(ObjectAlreadyExistsError):
            await storage.copy_object(source, "orig", dest, "taken")
        assert await drain(storage.get_object(dest, "taken")) == b"old"
        with pytest.raises(ObjectNotFoundError):
            await storage.copy_object(source, "missing", dest, "new")
        with pytest.raises(BucketNotFoundError):
            await storage.copy_object(source, "orig", self.unused_bucket(), "new")

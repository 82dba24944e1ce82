"""Conformance tests: buckets, listing and ID validation."""

from __future__ import annotations

import pytest

from hexkit.protocols.objstorage import (
    BucketAlreadyExistsError,
    BucketIdValidationError,
    BucketNotEmptyError,
    BucketNotFoundError,
    ObjectIdValidationError,
    ObjectStorageProtocol,
)

from ._base import ObjectStorageKitBase, payload

__all__ = ["BucketTests"]

INVALID_BUCKET_IDS = [
    "ab",
    "a" * 64,
    "UpperCase",
    "under_score",
    "-leading",
    "trailing-",
    "double..dot",
    "192.168.5.4",
    "space s",
    # prefixes and suffixes S3 reserves
    "xn--kit-bucket",
    "sthree-kit",
    "amzn-s3-demo-kit",
    "kit-s3alias",
    "kit--ol-s3",
    "kit.mrap",
    "kit--x-s3",
    "kit--table-s3",
]
INVALID_OBJECT_IDS = [
    "",
    "x" * 1025,
    "/leading",
    "a//b",
    "a/./b",
    "a/../b",
    "trailing/",
    "sp ace",
    "ü",
]


class BucketTests(ObjectStorageKitBase):
    """Bucket lifecycle, object listing and the ID rules."""

    async def test_create_check_and_delete_a_bucket(self, storage: ObjectStorageProtocol) -> None:
        bucket_id = self.unused_bucket()
        assert not await storage.does_bucket_exist(bucket_id)
        await storage.create_bucket(bucket_id)
        assert await storage.does_bucket_exist(bucket_id)
        await storage.delete_bucket(bucket_id)
        assert not await storage.does_bucket_exist(bucket_id)

    async def test_creating_an_existing_bucket_fails(self, storage: ObjectStorageProtocol) -> None:
        bucket_id = await self.new_bucket(storage)
        with pytest.raises(BucketAlreadyExistsError) as info:
            await storage.create_bucket(bucket_id)
        assert info.value.bucket_id == bucket_id

    async def test_deleting_a_missing_bucket_fails(self, storage: ObjectStorageProtocol) -> None:
        bucket_id = self.unused_bucket()
        with pytest.raises(BucketNotFoundError) as info:
            await storage.delete_bucket(bucket_id)
        assert isinstance(info.value, LookupError)
        assert info.value.bucket_id == bucket_id

    async def test_deleting_a_non_empty_bucket_needs_delete_content(
        self, storage: ObjectStorageProtocol
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        await storage.put_object(bucket_id, "dir/file", payload(10))
        with pytest.raises(BucketNotEmptyError):
            await storage.delete_bucket(bucket_id)
        assert await storage.does_object_exist(bucket_id, "dir/file")
        await storage.delete_bucket(bucket_id, delete_content=True)
        assert not await storage.does_bucket_exist(bucket_id)

    async def test_list_object_ids_with_and_without_prefix(
        self, storage: ObjectStorageProtocol
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        for object_id in ["b/2", "a/1", "a/2", "c"]:
            await storage.put_object(bucket_id, object_id, payload(3))
        listed = [object_id async for object_id in storage.list_object_ids(bucket_id)]
        assert sorted(listed) == ["a/1", "a/2", "b/2", "c"]
        prefixed = [item async for item in storage.list_object_ids(bucket_id, prefix="a/")]
        assert sorted(prefixed) == ["a/1", "a/2"]

    async def test_listing_a_missing_bucket_fails(self, storage: ObjectStorageProtocol) -> None:
        with pytest.raises(BucketNotFoundError):
            async for _ in storage.list_object_ids(self.unused_bucket()):
                pass

    @pytest.mark.parametrize("bucket_id", INVALID_BUCKET_IDS)
    async def test_invalid_bucket_ids_are_rejected(
        self, storage: ObjectStorageProtocol, bucket_id: str
    ) -> None:
        with pytest.raises(BucketIdValidationError) as info:
            await storage.create_bucket(bucket_id)
        assert isinstance(info.value, ValueError)
        assert repr(bucket_id) in str(info.value)
        with pytest.raises(BucketIdValidationError):
            await storage.does_object_exist(bucket_id, "fine")

    @pytest.mark.parametrize("object_id", INVALID_OBJECT_IDS)
    async def test_invalid_object_ids_are_rejected(
        self, storage: ObjectStorageProtocol, object_id: str
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        with pytest.raises(ObjectIdValidationError) as info:
            await storage.put_object(bucket_id, object_id, b"x")
        assert isinstance(info.value, ValueError)
        with pytest.raises(ObjectIdValidationError):
            await storage.get_object_download_url(bucket_id, object_id)

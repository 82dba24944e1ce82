"""Conformance tests: presigned single uploads and downloads, followed by ``transfer``."""

from __future__ import annotations

import pytest

from hexkit.protocols.objstorage import (
    BucketNotFoundError,
    ObjectAlreadyExistsError,
    ObjectNotFoundError,
    ObjectStorageProtocol,
    PresignedTransfer,
    TransferRejectedError,
)

from ._base import ObjectStorageKitBase, drain, payload

__all__ = ["PresignedUrlTests"]


class PresignedUrlTests(ObjectStorageKitBase):
    """Presigned POST uploads and GET downloads."""

    async def test_upload_through_a_presigned_post(
        self, storage: ObjectStorageProtocol, transfer: PresignedTransfer
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        data = payload(4096, seed=5)
        post = await storage.get_object_upload_url(bucket_id, "in/box", expires_after=60)
        await transfer.upload_post(post, data)
        assert await drain(storage.get_object(bucket_id, "in/box")) == data

    async def test_presigned_post_enforces_max_upload_size(
        self, storage: ObjectStorageProtocol, transfer: PresignedTransfer
    ) -> None:
        if not self.enforces_max_upload_size:
            pytest.skip("the provider declares enforces_max_upload_size = False")
        bucket_id = await self.new_bucket(storage)
        post = await storage.get_object_upload_url(bucket_id, "limited", max_upload_size=100)
        with pytest.raises(TransferRejectedError):
            await transfer.upload_post(post, payload(101))
        assert not await storage.does_object_exist(bucket_id, "limited")
        await transfer.upload_post(post, payload(100))
        assert await storage.get_object_size(bucket_id, "limited") == 100

    async def test_upload_url_rules(self, storage: ObjectStorageProtocol) -> None:
        bucket_id = await self.new_bucket(storage)
        await storage.put_object(bucket_id, "exists", b"x")
        with pytest.raises(ObjectAlreadyExistsError):
            await storage.get_object_upload_url(bucket_id, "exists")
        with pytest.raises(BucketNotFoundError):
            await storage.get_object_upload_url(self.unused_bucket(), "x")
        for bad in (0, 604_801, -5):
            with pytest.raises(ValueError, match=str(bad)):
                await storage.get_object_upload_url(bucket_id, "x", expires_after=bad)
        with pytest.raises(ValueError, match="max_upload_size"):
            await storage.get_object_upload_url(bucket_id, "x", max_upload_size=0)

    async def test_download_through_a_presigned_url(
        self, storage: ObjectStorageProtocol, transfer: PresignedTransfer
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        data = payload(10_000, seed=6)
        await storage.put_object(bucket_id, "out", data)
        url = await storage.get_object_download_url(bucket_id, "out", expires_after=60)
        assert isinstance(url, str)
        assert await transfer.download(url) == data

    async def test_download_url_rules(self, storage: ObjectStorageProtocol) -> None:
        bucket_id = await self.new_bucket(storage)
        with pytest.raises(ObjectNotFoundError):
            await storage.get_object_download_url(bucket_id, "missing")
        await storage.put_object(bucket_id, "there", b"x")
        for bad in (0, 604_801):
            with pytest.raises(ValueError, match="expires_after"):
                await storage.get_object_download_url(bucket_id, "there", expires_after=bad)
        assert await storage.get_object_download_url(bucket_id, "there", expires_after=604_800)

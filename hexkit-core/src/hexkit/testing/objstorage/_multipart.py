"""Conformance tests: multipart uploads through part URLs."""

from __future__ import annotations

import hashlib

import pytest

from hexkit.protocols.objstorage import (
    MultiPartUploadAlreadyExistsError,
    MultiPartUploadConfirmError,
    MultiPartUploadNotFoundError,
    ObjectAlreadyExistsError,
    ObjectStorageProtocol,
    PresignedTransfer,
    TransferRejectedError,
)

from ._base import ObjectStorageKitBase, content_md5, drain, payload

__all__ = ["MultipartTests"]


class MultipartTests(ObjectStorageKitBase):
    """The multipart lifecycle and every reason to refuse completing it."""

    async def _upload_parts(
        self,
        storage: ObjectStorageProtocol,
        transfer: PresignedTransfer,
        bucket_id: str,
        object_id: str,
        parts: list[bytes],
    ) -> str:
        upload_id = await storage.init_multipart_upload(bucket_id, object_id)
        for number, part in enumerate(parts, start=1):
            url = await storage.get_part_upload_url(upload_id, bucket_id, object_id, number)
            await transfer.upload_part(url, part)
        return upload_id

    async def test_full_multipart_upload(
        self, storage: ObjectStorageProtocol, transfer: PresignedTransfer
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        size = self.min_part_size
        parts = [payload(size, seed=10), payload(size, seed=11), payload(size // 3, seed=12)]
        upload_id = await self._upload_parts(storage, transfer, bucket_id, "big/file", parts)
        assert await storage.list_multipart_uploads(bucket_id) == [upload_id]
        await storage.complete_multipart_upload(
            upload_id,
            bucket_id,
            "big/file",
            anticipated_part_quantity=3,
            anticipated_part_size=size,
        )
        assert await drain(storage.get_object(bucket_id, "big/file")) == b"".join(parts)
        digests = b"".join(hashlib.md5(part, usedforsecurity=False).digest() for part in parts)
        expected_etag = f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-3"
        assert await storage.get_object_etag(bucket_id, "big/file") == expected_etag
        assert await storage.list_multipart_uploads(bucket_id) == []

    async def test_one_active_upload_per_object(self, storage: ObjectStorageProtocol) -> None:
        bucket_id = await self.new_bucket(storage)
        upload_id = await storage.init_multipart_upload(bucket_id, "one")
        with pytest.raises(MultiPartUploadAlreadyExistsError) as info:
            await storage.init_multipart_upload(bucket_id, "one")
        assert info.value.object_id == "one"
        other = await storage.init_multipart_upload(bucket_id, "one-more")
        assert await storage.list_multipart_uploads(bucket_id, "one") == [upload_id]
        assert sorted(await storage.list_multipart_uploads(bucket_id)) == sorted([upload_id, other])

    async def test_no_multipart_upload_onto_an_existing_object(
        self, storage: ObjectStorageProtocol
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        await storage.put_object(bucket_id, "done", b"x")
        with pytest.raises(ObjectAlreadyExistsError):
            await storage.init_multipart_upload(bucket_id, "done")

    async def test_abort_removes_the_upload(
        self, storage: ObjectStorageProtocol, transfer: PresignedTransfer
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        upload_id = await self._upload_parts(storage, transfer, bucket_id, "x", [b"part"])
        await storage.abort_multipart_upload(upload_id, bucket_id, "x")
        assert await storage.list_multipart_uploads(bucket_id) == []
        assert not await storage.does_object_exist(bucket_id, "x")
        with pytest.raises(MultiPartUploadNotFoundError):
            await storage.abort_multipart_upload(upload_id, bucket_id, "x")
        with pytest.raises(MultiPartUploadNotFoundError):
            await storage.complete_multipart_upload(upload_id, bucket_id, "x")

    async def test_unknown_uploads_are_not_found(self, storage: ObjectStorageProtocol) -> None:
        bucket_id = await self.new_bucket(storage)
        with pytest.raises(MultiPartUploadNotFoundError) as info:
            await storage.get_part_upload_url("no-such-upload", bucket_id, "x", 1)
        assert isinstance(info.value, LookupError)
        assert info.value.upload_id == "no-such-upload"
        upload_id = await storage.init_multipart_upload(bucket_id, "x")
        with pytest.raises(MultiPartUploadNotFoundError):
            await storage.get_part_upload_url(upload_id, bucket_id, "other-object", 1)

    async def test_completing_without_parts_fails(self, storage: ObjectStorageProtocol) -> None:
        bucket_id = await self.new_bucket(storage)
        upload_id = await storage.init_multipart_upload(bucket_id, "empty")
        with pytest.raises(MultiPartUploadConfirmError):
            await storage.complete_multipart_upload(upload_id, bucket_id, "empty")
        assert await storage.list_multipart_uploads(bucket_id, "empty") == [upload_id]

    @pytest.mark.parametrize(
        ("sizes", "quantity", "part_size"),
        [
            ([100, 100, 50], 2, None),
            ([100, 100, 50], 4, None),
            ([100, 90, 50], None, 100),
            ([100, 100, 101], None, 100),
        ],
        ids=["fewer-parts", "more-parts", "middle-part-size", "last-part-too-large"],
    )
    async def test_completing_with_unexpected_parts_fails(
        self,
        storage: ObjectStorageProtocol,
        transfer: PresignedTransfer,
        sizes: list[int],
        quantity: int | None,
        part_size: int | None,
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        parts = [payload(size, seed=size) for size in sizes]
        upload_id = await self._upload_parts(storage, transfer, bucket_id, "odd", parts)
        with pytest.raises(MultiPartUploadConfirmError) as info:
            await storage.complete_multipart_upload(
                upload_id,
                bucket_id,
                "odd",
                anticipated_part_quantity=quantity,
                anticipated_part_size=part_size,
            )
        assert info.value.upload_id == upload_id
        assert not await storage.does_object_exist(bucket_id, "odd")

    async def test_parts_below_the_minimum_size_are_refused(
        self, storage: ObjectStorageProtocol, transfer: PresignedTransfer
    ) -> None:
        bucket_id = await self.new_bucket(storage)
        parts = [payload(self.min_part_size - 1), payload(10)]
        upload_id = await self._upload_parts(storage, transfer, bucket_id, "small", parts)
        with pytest.raises(MultiPartUploadConfirmError):
            await storage.complete_multipart_upload(upload_id, bucket_id, "small")
        assert not await storage.does_object_exist(bucket_id, "small")

    async def test_part_url_argument_rules(self, storage: ObjectStorageProtocol) -> None:
        bucket_id = await self.new_bucket(storage)
        upload_id = await storage.init_multipart_upload(bucket_id, "rules")
        for number in (0, 10_001):
            with pytest.raises(ValueError, match="part_number"):
                await storage.get_part_upload_url(upload_id, bucket_id, "rules", number)
        with pytest.raises(ValueError, match="expires_after"):
            await storage.get_part_upload_url(upload_id, bucket_id, "rules", 1, expires_after=0)
        with pytest.raises(ValueError, match="part_md5"):
            await storage.get_part_upload_url(upload_id, bucket_id, "rules", 1, part_md5="nope")
        assert await storage.get_part_upload_url(upload_id, bucket_id, "rules", 10_000)

    async def test_part_md5_is_enforced(
        self, storage: ObjectStorageProtocol, transfer: PresignedTransfer
    ) -> None:
        if not self.enforces_part_md5:
            pytest.skip("the provider declares enforces_part_md5 = False")
        bucket_id = await self.new_bucket(storage)
        part = payload(1000, seed=20)
        upload_id = await storage.init_multipart_upload(bucket_id, "checked")
        url = await storage.get_part_upload_url(
            upload_id, bucket_id, "checked", 1, part_md5=content_md5(part)
        )
        tampered = payload(1000, seed=21)
        with pytest.raises(TransferRejectedError):
            await transfer.upload_part(url, tampered, content_md5=content_md5(tampered))
        await transfer.upload_part(url, part, content_md5=content_md5(part))
        await storage.complete_multipart_upload(upload_id, bucket_id, "checked")
        assert await drain(storage.get_object(bucket_id, "checked")) == part

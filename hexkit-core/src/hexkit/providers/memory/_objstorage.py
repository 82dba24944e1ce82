"""The memory object storage provider: buckets in dicts, presigned URLs as ``memory://``."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from pydantic_settings import BaseSettings

from hexkit.protocols.objstorage import (
    BucketNotEmptyError,
    BucketNotFoundError,
    Data,
    MultiPartUploadConfirmError,
    MultiPartUploadNotFoundError,
    ObjectMetadata,
    ObjectNotFoundError,
    ObjectStorageProtocol,
    PresignedPostURL,
    UploadedPart,
)

from ._config import MemoryObjectStorageConfig
from ._urls import UrlSigner

__all__ = ["MemoryObjectStorage"]


@dataclass
class _Object:
    data: bytes
    etag: str
    content_type: str | None
    last_modified: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class _Upload:
    bucket_id: str
    object_id: str
    parts: dict[int, bytes] = field(default_factory=dict)


class MemoryObjectStorage(ObjectStorageProtocol):
    """Object storage in dicts; serve its URLs with :class:`MemoryTransfer`."""

    config_model: ClassVar[type[BaseSettings]] = MemoryObjectStorageConfig

    def __init__(self, config: MemoryObjectStorageConfig | None = None) -> None:
        self._config = config or MemoryObjectStorageConfig()
        self._buckets: dict[str, dict[str, _Object]] = {}
        self._uploads: dict[str, _Upload] = {}
        self.signer = UrlSigner(self)
        self.token = self.signer.token

    @property
    def config(self) -> MemoryObjectStorageConfig:
        """The settings this storage was built with."""
        return self._config

    @classmethod
    @asynccontextmanager
    async def construct(
        cls, *, config: MemoryObjectStorageConfig
    ) -> AsyncIterator[MemoryObjectStorage]:
        """Yield a fresh, empty storage; its URLs stop working on exit."""
        storage = cls(config)
        try:
            yield storage
        finally:
            storage._mark_closed()
            storage.signer.close()

    def _bucket(self, bucket_id: str) -> dict[str, _Object]:
        bucket = self._buckets.get(bucket_id)
        if bucket is None:
            raise BucketNotFoundError(bucket_id)
        return bucket

    def _object(self, bucket_id: str, object_id: str) -> _Object:
        stored = self._bucket(bucket_id).get(object_id)
        if stored is None:
            raise ObjectNotFoundError(bucket_id, object_id)
        return stored

    def _upload(self, upload_id: str, bucket_id: str, object_id: str) -> _Upload:
        upload = self._uploads.get(upload_id)
        if upload is None or (upload.bucket_id, upload.object_id) != (bucket_id, object_id):
            raise MultiPartUploadNotFoundError(upload_id, bucket_id, object_id)
        return upload

    def store(self, bucket_id: str, object_id: str, data: bytes, content_type: str | None) -> None:
        """Store a single-part object (used by the storage and its URL handlers)."""
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        self._bucket(bucket_id)[object_id] = _Object(data, etag, content_type)

    def store_part(
        self, upload_id: str, bucket_id: str, object_id: str, number: int, data: bytes
    ) -> None:
        """Store one part of an active upload (used by the URL handlers)."""
        self._upload(upload_id, bucket_id, object_id).parts[number] = data

    def read(self, bucket_id: str, object_id: str) -> bytes:
        """Return an object's whole content (used by the URL handlers)."""
        return self._object(bucket_id, object_id).data

    # --- buckets -------------------------------------------------------------------

    async def _does_bucket_exist(self, bucket_id: str) -> bool:
        return bucket_id in self._buckets

    async def _create_bucket(self, bucket_id: str) -> None:
        self._buckets[bucket_id] = {}

    async def _delete_bucket(self, bucket_id: str, *, delete_content: bool) -> None:
        if self._buckets[bucket_id] and not delete_content:
            raise BucketNotEmptyError(bucket_id)
        del self._buckets[bucket_id]
        for upload_id, upload in list(self._uploads.items()):
            if upload.bucket_id == bucket_id:
                del self._uploads[upload_id]

    async def _list_object_ids(self, bucket_id: str, *, prefix: str | None) -> AsyncIterator[str]:
        for object_id in sorted(self._bucket(bucket_id)):
            if prefix is None or object_id.startswith(prefix):
                yield object_id

    # --- objects -------------------------------------------------------------------

    async def _does_object_exist(
        self, bucket_id: str, object_id: str, object_md5sum: str | None
    ) -> bool:
        stored = self._bucket(bucket_id).get(object_id)
        if stored is None:
            return False
        return object_md5sum is None or stored.etag == object_md5sum

    async def _get_object_metadata(self, bucket_id: str, object_id: str) -> ObjectMetadata:
        stored = self._object(bucket_id, object_id)
        return ObjectMetadata(
            size=len(stored.data),
            etag=stored.etag,
            last_modified=stored.last_modified,
            content_type=stored.content_type,
        )

    async def _get_object_upload_url(
        self, bucket_id: str, object_id: str, *, expires_after: int, max_upload_size: int | None
    ) -> PresignedPostURL:
        self._bucket(bucket_id)
        return self.signer.post(bucket_id, object_id, expires_after, max_upload_size)

    async def _get_object_download_url(
        self, bucket_id: str, object_id: str, *, expires_after: int
    ) -> str:
        return self.signer.url("get", bucket_id, object_id, expires_after)

    async def _copy_object(
        self,
        source_bucket_id: str,
        source_object_id: str,
        dest_bucket_id: str,
        dest_object_id: str,
        *,
        abort_failed: bool,
    ) -> None:
        source = self._object(source_bucket_id, source_object_id)
        self._bucket(dest_bucket_id)[dest_object_id] = _Object(
            source.data, source.etag, source.content_type
        )

    async def _delete_object(self, bucket_id: str, object_id: str) -> None:
        self._object(bucket_id, object_id)
        del self._buckets[bucket_id][object_id]

    async def _put_object(
        self, bucket_id: str, object_id: str, data: Data, *, content_type: str | None
    ) -> None:
        if isinstance(data, bytes | bytearray | memoryview):
            content = bytes(data)
        else:
            content = b"".join([bytes(chunk) async for chunk in data])
        self.store(bucket_id, object_id, content, content_type)

    async def _get_object(self, bucket_id: str, object_id: str) -> AsyncIterator[bytes]:
        data = self._object(bucket_id, object_id).data
        size = self._config.chunk_size
        for start in range(0, len(data), size):
            yield data[start : start + size]

    # --- multipart uploads ---------------------------------------------------------

    async def _init_multipart_upload(self, bucket_id: str, object_id: str) -> str:
        upload_id = uuid.uuid4().hex
        self._uploads[upload_id] = _Upload(bucket_id, object_id)
        return upload_id

    async def _get_part_upload_url(
        self,
        upload_id: str,
        bucket_id: str,
        object_id: str,
        *,
        part_number: int,
        expires_after: int,
        part_md5: str | None,
    ) -> str:
        extra = {"upload": upload_id, "part": str(part_number)}
        if part_md5 is not None:
            extra["md5"] = part_md5
        return self.signer.url("part", bucket_id, object_id, expires_after, extra)

    async def _list_multipart_uploads(self, bucket_id: str, object_id: str | None) -> list[str]:
        self._bucket(bucket_id)
        return [
            upload_id
            for upload_id, upload in self._uploads.items()
            if upload.bucket_id == bucket_id and object_id in (None, upload.object_id)
        ]

    async def _abort_multipart_upload(self, upload_id: str, bucket_id: str, object_id: str) -> None:
        self._upload(upload_id, bucket_id, object_id)
        del self._uploads[upload_id]

    async def _list_upload_parts(
        self, upload_id: str, bucket_id: str, object_id: str
    ) -> list[UploadedPart]:
        upload = self._upload(upload_id, bucket_id, object_id)
        return [
            UploadedPart(number, len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
            for number, data in sorted(upload.parts.items())
        ]

    async def _complete_multipart_upload(
        self, upload_id: str, bucket_id: str, object_id: str, parts: list[UploadedPart]
    ) -> None:
        upload = self._upload(upload_id, bucket_id, object_id)
        for part in parts[:-1]:
            if part.size < self._config.min_part_size:
                raise MultiPartUploadConfirmError(
                    upload_id,
                    bucket_id,
                    object_id,
                    f"part {part.part_number} has {part.size} bytes, less than the minimum"
                    f" part size of {self._config.min_part_size}",
                )
        digests = b"".join(bytes.fromhex(part.etag) for part in parts)
        etag = f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(parts)}"
        data = b"".join(upload.parts[part.part_number] for part in parts)
        self._bucket(bucket_id)[object_id] = _Object(data, etag, None)
        del self._uploads[upload_id]

"""Registration of finished uploads: copy, verify, record, publish, clean up."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from hexkit.protocols.dao import Dao, ResourceAlreadyExistsError, ResourceNotFoundError
from hexkit.protocols.objstorage import ObjectStorageProtocol

from .errors import ChecksumMismatchError, FileConflictError, FileNotRegisteredError
from .models import FileMetadata
from .ports import FilePublisherPort

__all__ = ["FileRegistry", "RegistryConfig"]


@dataclass(frozen=True)
class RegistryConfig:
    """Where registered files live."""

    permanent_bucket: str


class FileRegistry:
    """Moves an upload from the inbox into permanent storage without ever losing it.

    Every step is idempotent and the inbox object is deleted last, so a registration
    that fails anywhere can simply be retried.
    """

    def __init__(
        self,
        *,
        config: RegistryConfig,
        files: Dao[FileMetadata],
        storage: ObjectStorageProtocol,
        publisher: FilePublisherPort,
    ) -> None:
        self._config = config
        self._files = files
        self._storage = storage
        self._publisher = publisher

    async def get(self, file_id: str) -> FileMetadata:
        """Return a registered file's metadata."""
        try:
            return await self._files.get_by_id(file_id)
        except ResourceNotFoundError:
            raise FileNotRegisteredError(file_id) from None

    async def register(
        self, *, file_id: str, bucket_id: str, object_id: str, size: int, md5: str
    ) -> FileMetadata:
        """Take the inbox object ``bucket_id/object_id`` into permanent storage."""
        try:
            metadata = await self._files.get_by_id(file_id)
        except ResourceNotFoundError:
            metadata = await self._store(file_id, bucket_id, object_id, size, md5)
        if (metadata.size, metadata.md5) != (size, md5):
            raise FileConflictError(
                file_id, f"File {file_id!r} is registered already with other content."
            )
        await self._publisher.publish(metadata)
        if await self._storage.does_object_exist(bucket_id, object_id):
            await self._storage.delete_object(bucket_id, object_id)
        return metadata

    async def _store(
        self, file_id: str, bucket_id: str, object_id: str, size: int, md5: str
    ) -> FileMetadata:
        permanent = self._config.permanent_bucket
        if not await self._storage.does_object_exist(permanent, file_id):
            await self._storage.copy_object(bucket_id, object_id, permanent, file_id)
        try:
            await self._verify(file_id, size, md5)
        except ChecksumMismatchError:
            await self._storage.delete_object(permanent, file_id)
            raise
        metadata = FileMetadata(
            file_id=file_id,
            bucket_id=permanent,
            object_id=file_id,
            size=size,
            md5=md5,
            created=datetime.now(UTC),
        )
        try:
            await self._files.insert(metadata)
        except ResourceAlreadyExistsError:
            metadata = await self._files.get_by_id(file_id)
        return metadata

    async def _verify(self, file_id: str, size: int, md5: str) -> None:
        permanent = self._config.permanent_bucket
        actual_size = await self._storage.get_object_size(permanent, file_id)
        if actual_size != size:
            raise ChecksumMismatchError(file_id, "the size", size, actual_size)
        digest = hashlib.md5(usedforsecurity=False)
        async for chunk in self._storage.get_object(permanent, file_id):
            digest.update(chunk)
        if digest.hexdigest() != md5:
            raise ChecksumMismatchError(file_id, "the MD5 checksum", md5, digest.hexdigest())

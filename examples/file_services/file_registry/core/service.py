"""The file registry: registers uploads, stages files for download, deletes them.

Every step is idempotent and owes its hand-offs through the outbox in the same unit of work
as its state change; a step that finds its work done owes them again (recipients are
idempotent), so a step that fails anywhere is simply repeated by the sender's relay.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from hexkit.protocols.dao import Dao, ResourceAlreadyExistsError, ResourceNotFoundError
from hexkit.protocols.objstorage import (
    ObjectAlreadyExistsError,
    ObjectNotFoundError,
    ObjectStorageProtocol,
)

from ...common.outbox import InvalidMessageError, UnitOfWork, UnknownTopicError, parse_payload
from .errors import FileNotRegisteredError
from .models import FILE_ID_PATTERN, FileMetadata

__all__ = ["DOWNLOADS", "UPLOADS", "FileRegistry", "RegistryConfig"]

UPLOADS = "upload_controller"
DOWNLOADS = "download_controller"


_ID = Field(pattern=FILE_ID_PATTERN)
_OBJECT = Field(min_length=1, max_length=1024)


class UploadCompleted(BaseModel):
    """The payload of ``file_upload_completed``."""

    file_id: str = _ID
    attempt_id: str = _ID
    bucket_id: str = _OBJECT
    object_id: str = _OBJECT
    size: int = Field(gt=0, lt=2**63)
    md5: str = Field(pattern=r"^[0-9a-f]{32}$")


class StageFile(BaseModel):
    """The payload of ``stage_file``."""

    file_id: str = _ID
    stage_id: str = _ID
    bucket_id: str = _OBJECT
    object_id: str = _OBJECT


@dataclass(frozen=True)
class RegistryConfig:
    """Where registered files live, and the only buckets files are taken from and staged to."""

    permanent_bucket: str
    inbox_bucket: str
    outbox_bucket: str


class FileRegistry:
    """Moves uploads from the inbox into permanent storage and copies them out for download."""

    def __init__(
        self,
        *,
        config: RegistryConfig,
        files: Dao[FileMetadata],
        storage: ObjectStorageProtocol,
        uow: UnitOfWork,
    ) -> None:
        self._config = config
        self._files = files
        self._storage = storage
        self._uow = uow

    async def get(self, file_id: str) -> FileMetadata:
        """Return a registered file's metadata."""
        try:
            return await self._files.get_by_id(file_id)
        except ResourceNotFoundError:
            raise FileNotRegisteredError(file_id) from None

    async def consume(self, topic: str, payload: dict[str, Any]) -> None:
        """Apply one message from another service; a repeated message changes nothing."""
        if topic == "file_upload_completed":
            completed = parse_payload(UploadCompleted, topic, payload)
            self._check_bucket(topic, completed.bucket_id, self._config.inbox_bucket)
            await self.register(**completed.model_dump())
        elif topic == "stage_file":
            staging = parse_payload(StageFile, topic, payload)
            self._check_bucket(topic, staging.bucket_id, self._config.outbox_bucket)
            await self.stage(**staging.model_dump())
        else:
            raise UnknownTopicError("file registry", topic)

    @staticmethod
    def _check_bucket(topic: str, bucket_id: str, expected: str) -> None:
        """Refuse a message naming a bucket other than the one its topic may use."""
        if bucket_id != expected:
            raise InvalidMessageError(topic, f"bucket {bucket_id!r} is not {expected!r}")

    async def register(
        self, *, file_id: str, attempt_id: str, bucket_id: str, object_id: str, size: int, md5: str
    ) -> None:
        """Take the inbox object into permanent storage if size and MD5 match; tell both sides."""
        try:
            metadata = await self._files.get_by_id(file_id)
        except ResourceNotFoundError:
            problem = await self._store(file_id, bucket_id, object_id, size, md5)
            if problem is not None:
                await self._reject(file_id, attempt_id, problem)
                return
            metadata = FileMetadata(
                file_id=file_id,
                bucket_id=self._config.permanent_bucket,
                object_id=file_id,
                size=size,
                md5=md5,
                created=datetime.now(UTC),
            )
            try:
                async with self._uow():
                    await self._files.insert(metadata)
                    await self._announce(metadata, attempt_id)
                return
            except ResourceAlreadyExistsError:
                metadata = await self._files.get_by_id(file_id)  # registered concurrently
        if (metadata.size, metadata.md5) != (size, md5):
            await self._reject(file_id, attempt_id, "it is registered already with other content")
            return
        async with self._uow():  # a repeat: owe the hand-offs again, recipients are idempotent
            await self._announce(metadata, attempt_id)

    async def _announce(self, metadata: FileMetadata, attempt_id: str) -> None:
        await self._uow.owe(
            UPLOADS, "file_accepted", file_id=metadata.file_id, attempt_id=attempt_id
        )
        await self._uow.owe(DOWNLOADS, "file_registered", **metadata.model_dump(mode="json"))

    async def _reject(self, file_id: str, attempt_id: str, reason: str) -> None:
        async with self._uow():
            await self._uow.owe(
                UPLOADS, "file_rejected", file_id=file_id, attempt_id=attempt_id, reason=reason
            )

    async def _store(
        self, file_id: str, bucket_id: str, object_id: str, size: int, md5: str
    ) -> str | None:
        """Copy the inbox object to ``permanent/file_id`` and verify it; return what is wrong."""
        permanent = self._config.permanent_bucket
        if await self._storage.does_object_exist(permanent, file_id):
            if await self._problem(file_id, size, md5) is None:
                return None  # copied by an earlier try that stopped before recording it
            await self._storage.delete_object(permanent, file_id)
        try:
            await self._storage.copy_object(bucket_id, object_id, permanent, file_id)
        except ObjectNotFoundError:
            return f"the inbox object {bucket_id}/{object_id} does not exist"
        except ObjectAlreadyExistsError:
            pass  # a concurrent try copied it; verify that copy
        problem = await self._problem(file_id, size, md5)
        if problem is not None:
            with suppress(ObjectNotFoundError):
                await self._storage.delete_object(permanent, file_id)
        return problem

    async def _problem(self, file_id: str, size: int, md5: str) -> str | None:
        permanent = self._config.permanent_bucket
        actual_size = await self._storage.get_object_size(permanent, file_id)
        if actual_size != size:
            return f"the size is {actual_size} bytes, the client announced {size}"
        digest = hashlib.md5(usedforsecurity=False)
        async for chunk in self._storage.get_object(permanent, file_id):
            digest.update(chunk)
        if digest.hexdigest() != md5:
            return f"the MD5 checksum is {digest.hexdigest()}, the client announced {md5}"
        return None

    async def stage(self, *, file_id: str, stage_id: str, bucket_id: str, object_id: str) -> None:
        """Copy a registered file to ``bucket_id/object_id`` and tell the download controller."""
        try:
            metadata = await self._files.get_by_id(file_id)
        except ResourceNotFoundError:
            return  # deleted meanwhile; the download controller was told so
        if not await self._storage.does_object_exist(bucket_id, object_id):
            try:
                await self._storage.copy_object(
                    metadata.bucket_id, metadata.object_id, bucket_id, object_id
                )
            except ObjectAlreadyExistsError:
                pass  # a concurrent repeat copied it
            except ObjectNotFoundError:
                return  # deleted since the read; the download controller is told so
        async with self._uow():
            await self._uow.owe(DOWNLOADS, "file_staged", file_id=file_id, stage_id=stage_id)

    async def delete(self, file_id: str) -> None:
        """Delete a file's record and permanent object, and tell the download controller."""
        async with self._uow():
            with suppress(ResourceNotFoundError):
                await self._files.delete(file_id)
            await self._uow.owe(DOWNLOADS, "file_deleted", file_id=file_id)
        with suppress(ObjectNotFoundError):  # after the record: a repeat still finds it
            await self._storage.delete_object(self._config.permanent_bucket, file_id)

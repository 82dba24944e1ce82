"""The upload controller's use cases, written against hexkit's protocols only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hexkit.protocols.dao import Dao, ResourceNotFoundError
from hexkit.protocols.objstorage import (
    MultiPartUploadAlreadyExistsError,
    MultiPartUploadConfirmError,
    ObjectAlreadyExistsError,
    ObjectStorageProtocol,
)

from .errors import InvalidUploadError, UploadConflictError, UploadNotFoundError
from .models import FileUpload, UploadStatus
from .ports import RegistrationPort

__all__ = ["UploadConfig", "UploadService"]

MIB = 1024 * 1024
MAX_PARTS = 10_000


@dataclass(frozen=True)
class UploadConfig:
    """Where uploads land and how they are cut."""

    inbox_bucket: str
    default_part_size: int = 8 * MIB
    min_part_size: int = 5 * MIB
    max_part_size: int = 5 * 1024 * MIB
    url_expiry_seconds: int = 3600


class UploadService:
    """Opens multipart uploads in the inbox, hands out part URLs, completes and registers."""

    def __init__(
        self,
        *,
        config: UploadConfig,
        uploads: Dao[FileUpload],
        storage: ObjectStorageProtocol,
        registry: RegistrationPort,
    ) -> None:
        self._config = config
        self._uploads = uploads
        self._storage = storage
        self._registry = registry

    async def _get(self, file_id: str) -> FileUpload:
        try:
            return await self._uploads.get_by_id(file_id)
        except ResourceNotFoundError:
            raise UploadNotFoundError(file_id) from None

    async def get_upload(self, file_id: str) -> FileUpload:
        """Return the upload of a file."""
        return await self._get(file_id)

    async def create_upload(self, file_id: str, size: int, part_size: int | None) -> FileUpload:
        """Open a multipart upload for a file of ``size`` bytes."""
        part_size = part_size or self._config.default_part_size
        if not self._config.min_part_size <= part_size <= self._config.max_part_size:
            raise InvalidUploadError(
                file_id,
                f"part_size {part_size} is outside {self._config.min_part_size}"
                f"..{self._config.max_part_size} bytes",
            )
        if -(-size // part_size) > MAX_PARTS:
            raise InvalidUploadError(
                file_id, f"{size} bytes need more than {MAX_PARTS} parts of {part_size} bytes"
            )
        try:
            existing = await self._uploads.get_by_id(file_id)
        except ResourceNotFoundError:
            existing = None
        if existing is not None and existing.status is not UploadStatus.ABORTED:
            raise UploadConflictError(
                file_id, f"File {file_id!r} already has an upload in state {existing.status}."
            )
        bucket = self._config.inbox_bucket
        try:
            upload_id = await self._storage.init_multipart_upload(bucket, file_id)
        except (MultiPartUploadAlreadyExistsError, ObjectAlreadyExistsError):
            raise UploadConflictError(
                file_id, f"The inbox already holds an upload of file {file_id!r}."
            ) from None
        upload = FileUpload(
            file_id=file_id,
            size=size,
            part_size=part_size,
            upload_id=upload_id,
            status=UploadStatus.PENDING,
            created=datetime.now(UTC),
        )
        try:
            await self._uploads.upsert(upload)
        except BaseException:
            await self._storage.abort_multipart_upload(upload_id, bucket, file_id)
            raise
        return upload

    async def part_upload_url(self, file_id: str, part_number: int) -> str:
        """Return the presigned URL for one part of a pending upload."""
        upload = await self._get(file_id)
        self._require(upload, UploadStatus.PENDING)
        if not 1 <= part_number <= upload.part_count:
            raise InvalidUploadError(
                file_id, f"part_number {part_number} is outside 1..{upload.part_count}"
            )
        return await self._storage.get_part_upload_url(
            upload.upload_id,
            self._config.inbox_bucket,
            file_id,
            part_number,
            expires_after=self._config.url_expiry_seconds,
        )

    async def complete(self, file_id: str, part_count: int, md5: str) -> FileUpload:
        """Assemble the parts, then hand the file to the registry (safe to retry)."""
        upload = await self._get(file_id)
        if upload.status is UploadStatus.PENDING:
            if part_count != upload.part_count:
                raise InvalidUploadError(
                    file_id, f"{part_count} parts announced, {upload.part_count} expected"
                )
            try:
                await self._storage.complete_multipart_upload(
                    upload.upload_id,
                    self._config.inbox_bucket,
                    file_id,
                    anticipated_part_quantity=upload.part_count,
                    anticipated_part_size=upload.part_size,
                )
            except MultiPartUploadConfirmError as error:
                raise InvalidUploadError(file_id, str(error)) from error
            upload = upload.model_copy(update={"status": UploadStatus.UPLOADED, "md5": md5})
            await self._uploads.update(upload)
        self._require(upload, UploadStatus.UPLOADED)
        await self._registry.register(
            file_id=file_id,
            bucket_id=self._config.inbox_bucket,
            object_id=file_id,
            size=upload.size,
            md5=upload.md5 or md5,
        )
        upload = upload.model_copy(update={"status": UploadStatus.REGISTERED})
        await self._uploads.update(upload)
        return upload

    async def abort(self, file_id: str) -> FileUpload:
        """Drop a pending or unregistered upload and whatever it left in the inbox."""
        upload = await self._get(file_id)
        bucket = self._config.inbox_bucket
        if upload.status is UploadStatus.PENDING:
            await self._storage.abort_multipart_upload(upload.upload_id, bucket, file_id)
        elif upload.status is UploadStatus.UPLOADED:
            if await self._storage.does_object_exist(bucket, file_id):
                await self._storage.delete_object(bucket, file_id)
        else:
            self._require(upload, UploadStatus.PENDING, UploadStatus.UPLOADED)
        upload = upload.model_copy(update={"status": UploadStatus.ABORTED})
        await self._uploads.update(upload)
        return upload

    @staticmethod
    def _require(upload: FileUpload, *allowed: UploadStatus) -> None:
        if upload.status not in allowed:
            wanted = " or ".join(status.value for status in allowed)
            raise UploadConflictError(
                upload.file_id,
                f"The upload of {upload.file_id!r} is {upload.status.value}, not {wanted}.",
            )

"""The upload controller's use cases, written against hexkit's protocols only."""

from __future__ import annotations

import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from hexkit.protocols.dao import (
    Dao,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    UniqueConstraintViolationError,
)
from hexkit.protocols.objstorage import (
    MultiPartUploadConfirmError,
    MultiPartUploadNotFoundError,
    ObjectNotFoundError,
    ObjectStorageProtocol,
)

from ...common.outbox import UnitOfWork, UnknownTopicError, parse_payload
from .errors import InvalidUploadError, UploadConflictError, UploadNotFoundError
from .models import FILE_ID_PATTERN, AttemptStatus, FileUpload, UploadAttempt, closed_slot

__all__ = ["MAX_FILE_SIZE", "MAX_PARTS", "REGISTRY", "UploadConfig", "UploadService"]

MIB = 1024 * 1024
MAX_PARTS = 10_000
MAX_FILE_SIZE = MAX_PARTS * 5 * 1024 * MIB  # S3's limit: 10,000 parts of at most 5 GiB
REGISTRY = "file_registry"


class FileVerdict(BaseModel):
    """The payload of ``file_accepted`` and ``file_rejected``."""

    file_id: str = Field(pattern=FILE_ID_PATTERN)
    attempt_id: str = Field(pattern=FILE_ID_PATTERN)
    reason: str | None = Field(default=None, max_length=2000)


@dataclass(frozen=True)
class UploadConfig:
    """Where uploads land and how they are cut."""

    inbox_bucket: str
    default_part_size: int = 8 * MIB
    min_part_size: int = 5 * MIB
    max_part_size: int = 5 * 1024 * MIB
    url_expiry_seconds: int = 3600


def _now() -> datetime:
    return datetime.now(UTC)


class UploadService:
    """Keeps file metadata and upload attempts; hands finished uploads to the registry."""

    def __init__(
        self,
        *,
        config: UploadConfig,
        files: Dao[FileUpload],
        attempts: Dao[UploadAttempt],
        storage: ObjectStorageProtocol,
        uow: UnitOfWork,
    ) -> None:
        self._config = config
        self._files = files
        self._attempts = attempts
        self._storage = storage
        self._uow = uow

    # --- files -----------------------------------------------------------------------

    async def announce_file(self, file_id: str, size: int) -> FileUpload:
        """Record a file's metadata (repeating the same announcement is fine)."""
        file = FileUpload(file_id=file_id, size=size, created=_now())
        try:
            await self._files.insert(file)
        except ResourceAlreadyExistsError:
            file = await self._files.get_by_id(file_id)
            if file.size != size:
                raise UploadConflictError(
                    file_id, f"File {file_id!r} was announced with {file.size} bytes, not {size}."
                ) from None
        return file

    async def get_file(self, file_id: str) -> tuple[FileUpload, list[UploadAttempt]]:
        """Return a file's metadata and its attempts, oldest first."""
        try:
            file = await self._files.get_by_id(file_id)
        except ResourceNotFoundError:
            raise UploadNotFoundError("file", file_id) from None
        attempts = self._attempts.find_all(mapping={"file_id": file_id}, sort=["created"])
        return file, await attempts.to_list()

    # --- attempts --------------------------------------------------------------------

    async def get_attempt(self, attempt_id: str) -> UploadAttempt:
        """Return an upload attempt."""
        try:
            return await self._attempts.get_by_id(attempt_id)
        except ResourceNotFoundError:
            raise UploadNotFoundError("upload attempt", attempt_id) from None

    async def start_attempt(self, file_id: str, part_size: int | None) -> UploadAttempt:
        """Open an attempt and its multipart upload, unless another attempt holds the file."""
        file, _ = await self.get_file(file_id)
        part_size = part_size or self._config.default_part_size
        if not self._config.min_part_size <= part_size <= self._config.max_part_size:
            raise InvalidUploadError(
                file_id,
                f"part_size {part_size} is outside {self._config.min_part_size}"
                f"..{self._config.max_part_size} bytes",
            )
        if -(-file.size // part_size) > MAX_PARTS:
            raise InvalidUploadError(
                file_id, f"{file.size} bytes need more than {MAX_PARTS} parts of {part_size} bytes"
            )
        now = _now()
        attempt = UploadAttempt(
            attempt_id=uuid.uuid4().hex,
            file_id=file_id,
            slot=file_id,
            status=AttemptStatus.PENDING,
            size=file.size,
            part_size=part_size,
            created=now,
            changed=now,
        )
        try:
            await self._attempts.insert(attempt)  # the unique index on ``slot`` is the lock
        except UniqueConstraintViolationError:
            holder = await self._attempts.find_one(mapping={"slot": file_id})
            raise UploadConflictError(
                file_id,
                f"File {file_id!r} has attempt {holder.attempt_id!r} in state"
                f" {holder.status.value}; cancel it or wait for its outcome.",
            ) from None
        try:
            upload_id = await self._storage.init_multipart_upload(
                self._config.inbox_bucket, attempt.object_id
            )
        except BaseException:
            await self._close(attempt, AttemptStatus.FAILED, "the inbox refused the upload")
            raise
        attempt = attempt.model_copy(update={"upload_id": upload_id})
        await self._attempts.update(attempt)
        return attempt

    async def part_upload_url(self, attempt_id: str, part_number: int) -> str:
        """Return the presigned URL for one part of a pending attempt."""
        attempt = await self.get_attempt(attempt_id)
        upload_id = self._open_upload(attempt)
        if not 1 <= part_number <= attempt.part_count:
            raise InvalidUploadError(
                attempt_id, f"part_number {part_number} is outside 1..{attempt.part_count}"
            )
        return await self._storage.get_part_upload_url(
            upload_id,
            self._config.inbox_bucket,
            attempt.object_id,
            part_number,
            expires_after=self._config.url_expiry_seconds,
        )

    async def complete(self, attempt_id: str, part_count: int, md5: str) -> UploadAttempt:
        """Assemble the parts and owe the registry the file (safe to repeat)."""
        attempt = await self.get_attempt(attempt_id)
        if attempt.status is AttemptStatus.PENDING:
            upload_id = self._open_upload(attempt)
            if part_count != attempt.part_count:
                raise InvalidUploadError(
                    attempt_id, f"{part_count} parts announced, {attempt.part_count} expected"
                )
            try:
                await self._storage.complete_multipart_upload(
                    upload_id,
                    self._config.inbox_bucket,
                    attempt.object_id,
                    anticipated_part_quantity=attempt.part_count,
                    anticipated_part_size=attempt.part_size,
                )
            except MultiPartUploadNotFoundError:
                # A concurrent complete finished the upload, or a cancel aborted it.
                current = await self.get_attempt(attempt_id)
                if current.status in (AttemptStatus.PENDING, AttemptStatus.UPLOADED):
                    raise UploadConflictError(
                        attempt_id,
                        f"Attempt {attempt_id!r} is being completed by another request;"
                        " ask for its state.",
                    ) from None
                raise self._conflict(current, AttemptStatus.PENDING) from None
            except MultiPartUploadConfirmError as error:
                await self._lost_race(attempt)
                with suppress(LookupError):  # drop the parts, if the storage kept them
                    await self._storage.abort_multipart_upload(
                        upload_id, self._config.inbox_bucket, attempt.object_id
                    )
                await self._close(attempt, AttemptStatus.FAILED, str(error))
                raise InvalidUploadError(
                    attempt_id, f"{error} The attempt failed; start a new one."
                ) from error
            attempt = attempt.model_copy(
                update={"status": AttemptStatus.UPLOADED, "md5": md5, "changed": _now()}
            )
        elif attempt.status is not AttemptStatus.UPLOADED:
            raise self._conflict(attempt, AttemptStatus.PENDING, AttemptStatus.UPLOADED)
        async with self._uow():  # a repeat owes the registration again; the registry is idempotent
            await self._attempts.update(attempt)
            await self._uow.owe(
                REGISTRY,
                "file_upload_completed",
                file_id=attempt.file_id,
                attempt_id=attempt.attempt_id,
                bucket_id=self._config.inbox_bucket,
                object_id=attempt.object_id,
                size=attempt.size,
                md5=attempt.md5 or md5,
            )
        return attempt

    async def cancel(self, attempt_id: str) -> UploadAttempt:
        """Cancel a pending attempt and drop its parts; the file is free for a new attempt."""
        attempt = await self.get_attempt(attempt_id)
        if attempt.status is AttemptStatus.CANCELLED:
            return attempt
        upload_id = self._open_upload(attempt)
        with suppress(LookupError):  # aborted already by an earlier try
            await self._storage.abort_multipart_upload(
                upload_id, self._config.inbox_bucket, attempt.object_id
            )
        return await self._close(attempt, AttemptStatus.CANCELLED, None)

    # --- messages from the registry (idempotent) ---------------------------------------

    async def consume(self, topic: str, payload: dict[str, Any]) -> None:
        """Apply the registry's verdict on an uploaded attempt; a repeat changes nothing."""
        if topic not in ("file_accepted", "file_rejected"):
            raise UnknownTopicError("upload controller", topic)
        verdict = parse_payload(FileVerdict, topic, payload)
        if topic == "file_accepted":
            status, reason = AttemptStatus.ACCEPTED, None
        else:
            status, reason = AttemptStatus.REJECTED, verdict.reason or "rejected"
        try:
            attempt = await self._attempts.get_by_id(verdict.attempt_id)
        except ResourceNotFoundError:
            return  # not ours (an attempt is never deleted)
        if attempt.status is not AttemptStatus.UPLOADED:
            return  # decided already
        with suppress(ObjectNotFoundError):  # the registry copied it, or refused it
            await self._storage.delete_object(self._config.inbox_bucket, attempt.object_id)
        await self._close(attempt, status, reason)

    # --- helpers ---------------------------------------------------------------------

    async def _lost_race(self, attempt: UploadAttempt) -> None:
        """Raise a 409 if a concurrent request assembled or closed the upload meanwhile.

        The parts may look incomplete to one complete only because another one is
        assembling them; such a loser must not abort the upload or fail the attempt. A
        loser that checks before the winner's object exists can still do so: closing that
        gap needs a conditional state change, which this service does not have yet.
        """
        current = await self.get_attempt(attempt.attempt_id)
        assembled = await self._storage.does_object_exist(
            self._config.inbox_bucket, attempt.object_id
        )
        if current.status is not AttemptStatus.PENDING or assembled:
            raise UploadConflictError(
                attempt.attempt_id,
                f"Attempt {attempt.attempt_id!r} was completed or closed by another request;"
                " ask for its state.",
            )

    async def _close(
        self, attempt: UploadAttempt, status: AttemptStatus, reason: str | None
    ) -> UploadAttempt:
        slot = (
            attempt.file_id if status is AttemptStatus.ACCEPTED else closed_slot(attempt.attempt_id)
        )
        closed = attempt.model_copy(
            update={"status": status, "slot": slot, "reason": reason, "changed": _now()}
        )
        await self._attempts.update(closed)
        return closed

    def _open_upload(self, attempt: UploadAttempt) -> str:
        if attempt.status is not AttemptStatus.PENDING:
            raise self._conflict(attempt, AttemptStatus.PENDING)
        if attempt.upload_id is None:
            raise UploadConflictError(
                attempt.attempt_id,
                f"Attempt {attempt.attempt_id!r} is still opening its upload; retry shortly.",
            )
        return attempt.upload_id

    @staticmethod
    def _conflict(attempt: UploadAttempt, *allowed: AttemptStatus) -> UploadConflictError:
        wanted = " or ".join(status.value for status in allowed)
        return UploadConflictError(
            attempt.attempt_id,
            f"Attempt {attempt.attempt_id!r} of file {attempt.file_id!r} is"
            f" {attempt.status.value}, not {wanted}.",
        )

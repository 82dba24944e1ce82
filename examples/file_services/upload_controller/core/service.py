"""The upload controller's use cases, written against hexkit's protocols only."""

from __future__ import annotations

import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from hexkit.protocols.dao import (
    Dao,
    ResourceAlreadyExistsError,
    ResourceChangedError,
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
    # A ``completing`` attempt this much older was left by a request that died: take it over.
    completing_timeout: timedelta = timedelta(minutes=10)


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
            attempt = await self._attempts.insert(attempt)  # the unique ``slot`` is the lock
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
        return await self._transition(attempt, upload_id=upload_id)

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
        """Assemble the parts and owe the registry the file (safe to repeat).

        The conditional write ``pending`` -> ``completing`` picks the one request that
        assembles the parts; a complete or cancel that read the same ``pending`` version
        finds another one stored and is refused (409, with the current state) before it
        touches the multipart upload, so it can never abort or disturb the winner's.
        """
        attempt = await self.get_attempt(attempt_id)
        if attempt.status is AttemptStatus.UPLOADED:
            await self._owe_registration(attempt)  # a repeat; the registry is idempotent
            return attempt
        if attempt.status is AttemptStatus.COMPLETING and not self._stalled(attempt):
            raise self._conflict(attempt, AttemptStatus.PENDING, AttemptStatus.UPLOADED)
        if attempt.status is not AttemptStatus.COMPLETING:
            self._open_upload(attempt)
        if part_count != attempt.part_count:
            raise InvalidUploadError(
                attempt_id, f"{part_count} parts announced, {attempt.part_count} expected"
            )
        # The single winner: of all requests that read this version, one writes it.
        claimed = await self._transition(attempt, status=AttemptStatus.COMPLETING, md5=md5)
        try:
            problem = await self._assemble(claimed)
        except BaseException:
            # Storage down or request cancelled: give the attempt back, so a retry can win it.
            with suppress(Exception):
                await self._transition(claimed, status=AttemptStatus.PENDING)
            raise
        if problem is not None:
            await self._fail(claimed, problem)
            raise InvalidUploadError(attempt_id, f"{problem} The attempt failed; start a new one.")
        uploaded = claimed.model_copy(update={"status": AttemptStatus.UPLOADED, "changed": _now()})
        async with self._uow():
            uploaded = await self._attempts.update(uploaded)  # only the winner writes here
            await self._owe_registration(uploaded, in_unit=True)
        return uploaded

    async def _assemble(self, attempt: UploadAttempt) -> str | None:
        """Complete the upload of an attempt this request holds; return why it failed, if so."""
        if attempt.upload_id is None:
            return "the attempt has no upload"
        try:
            await self._storage.complete_multipart_upload(
                attempt.upload_id,
                self._config.inbox_bucket,
                attempt.object_id,
                anticipated_part_quantity=attempt.part_count,
                anticipated_part_size=attempt.part_size,
            )
        except MultiPartUploadConfirmError as error:
            return str(error)
        except MultiPartUploadNotFoundError:
            # Only the holder of ``completing`` touches the upload: an earlier holder that
            # stalled after assembling it left the object; otherwise the upload is lost.
            assembled = await self._storage.does_object_exist(
                self._config.inbox_bucket, attempt.object_id
            )
            return None if assembled else "The inbox no longer has the upload."
        return None

    async def _fail(self, attempt: UploadAttempt, reason: str) -> None:
        """Drop the parts of an attempt that could not be assembled and close it as failed."""
        if attempt.upload_id is not None:
            with suppress(LookupError):  # the storage may have dropped them already
                await self._storage.abort_multipart_upload(
                    attempt.upload_id, self._config.inbox_bucket, attempt.object_id
                )
        await self._close(attempt, AttemptStatus.FAILED, reason)

    async def _owe_registration(self, attempt: UploadAttempt, *, in_unit: bool = False) -> None:
        """Owe the registry ``file_upload_completed`` (in the caller's unit of work, or one)."""
        if not in_unit:
            async with self._uow():
                await self._owe_registration(attempt, in_unit=True)
            return
        await self._uow.owe(
            REGISTRY,
            "file_upload_completed",
            file_id=attempt.file_id,
            attempt_id=attempt.attempt_id,
            bucket_id=self._config.inbox_bucket,
            object_id=attempt.object_id,
            size=attempt.size,
            md5=attempt.md5,
        )

    def _stalled(self, attempt: UploadAttempt) -> bool:
        """Tell whether a ``completing`` attempt was left by a request that died meanwhile."""
        return _now() - attempt.changed > self._config.completing_timeout

    async def cancel(self, attempt_id: str) -> UploadAttempt:
        """Cancel a pending attempt and drop its parts; the file is free for a new attempt.

        The conditional write ``pending`` -> ``cancelled`` comes first: a cancel that loses
        to a complete is refused (409, with the current state) and leaves the upload alone.
        """
        attempt = await self.get_attempt(attempt_id)
        if attempt.status is not AttemptStatus.CANCELLED:
            self._open_upload(attempt)
            attempt = await self._close(attempt, AttemptStatus.CANCELLED, None)
        if attempt.upload_id is not None:
            with suppress(LookupError):  # aborted already by an earlier try
                await self._storage.abort_multipart_upload(
                    attempt.upload_id, self._config.inbox_bucket, attempt.object_id
                )
        return attempt

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
        with suppress(UploadConflictError):  # a repeated delivery decided it meanwhile
            await self._close(attempt, status, reason)

    # --- helpers ---------------------------------------------------------------------

    async def _close(
        self, attempt: UploadAttempt, status: AttemptStatus, reason: str | None
    ) -> UploadAttempt:
        slot = (
            attempt.file_id if status is AttemptStatus.ACCEPTED else closed_slot(attempt.attempt_id)
        )
        return await self._transition(attempt, status=status, slot=slot, reason=reason)

    async def _transition(self, attempt: UploadAttempt, **changes: Any) -> UploadAttempt:
        """Write ``changes`` if the attempt is still the version read, else 409 with its state.

        The version check is part of the write (a versioned DAO), never a read before it.
        """
        try:
            return await self._attempts.update(
                attempt.model_copy(update={**changes, "changed": _now()})
            )
        except ResourceChangedError:
            current = await self.get_attempt(attempt.attempt_id)
            raise UploadConflictError(
                attempt.attempt_id,
                f"Attempt {attempt.attempt_id!r} was changed by another request meanwhile;"
                f" it is {current.status.value} now.",
                current_status=current.status.value,
            ) from None

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
            current_status=attempt.status.value,
        )

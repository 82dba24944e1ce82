"""What the upload controller records: a file's metadata, then attempts to upload it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

__all__ = [
    "FILE_ID_PATTERN",
    "HOLDING",
    "AttemptStatus",
    "FileUpload",
    "UploadAttempt",
    "closed_slot",
]

FILE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class AttemptStatus(StrEnum):
    """The life of an upload attempt."""

    PENDING = "pending"  # multipart upload open in the inbox, parts may be uploaded
    COMPLETING = "completing"  # one complete won the attempt and is assembling the parts
    UPLOADED = "uploaded"  # parts assembled; the registry is asked to take the file
    ACCEPTED = "accepted"  # the registry holds the file; the inbox copy is gone
    REJECTED = "rejected"  # the registry refused it (size or checksum); inbox copy gone
    CANCELLED = "cancelled"  # the client gave up on it
    FAILED = "failed"  # the parts could not be assembled


# Attempts in these states hold their file: no other attempt may start.
HOLDING = frozenset(
    {
        AttemptStatus.PENDING,
        AttemptStatus.COMPLETING,
        AttemptStatus.UPLOADED,
        AttemptStatus.ACCEPTED,
    }
)


def closed_slot(attempt_id: str) -> str:
    """Return the ``slot`` of an attempt that no longer holds its file (no file ID has ``:``)."""
    return f"closed:{attempt_id}"


class FileUpload(BaseModel):
    """A file announced for upload: its metadata comes before any attempt."""

    file_id: str = Field(pattern=FILE_ID_PATTERN)
    size: int = Field(gt=0)
    created: datetime


class UploadAttempt(BaseModel):
    """One attempt to upload a file.

    ``slot`` is the file ID while the attempt holds the file (see ``HOLDING``) and
    ``closed_slot(attempt_id)`` after; a unique index on it lets at most one attempt per
    file hold it, on every provider, without a transaction. ``version`` makes every state
    change a conditional write (the DAO is versioned): of two requests that read the same
    state, only the first to write it wins.
    """

    attempt_id: str
    file_id: str
    slot: str
    status: AttemptStatus
    size: int
    part_size: int
    upload_id: str | None = None  # the inbox multipart upload, once opened
    md5: str | None = None
    reason: str | None = None  # why it was rejected or failed
    created: datetime
    changed: datetime
    version: int = 0

    @property
    def object_id(self) -> str:
        """The attempt's object in the inbox bucket."""
        return self.attempt_id

    @property
    def part_count(self) -> int:
        """How many parts the client uploads (the last may be smaller)."""
        return -(-self.size // self.part_size)

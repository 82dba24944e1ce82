"""What the upload controller records about an upload."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

__all__ = ["FileUpload", "UploadStatus"]


class UploadStatus(StrEnum):
    """The life of an upload."""

    PENDING = "pending"  # multipart upload open, parts may be uploaded
    UPLOADED = "uploaded"  # parts assembled in the inbox, registration not confirmed yet
    REGISTERED = "registered"  # the file registry holds the file; the inbox copy is gone
    ABORTED = "aborted"


class FileUpload(BaseModel):
    """One upload of one file, keyed by the file ID."""

    file_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    size: int = Field(gt=0)
    part_size: int = Field(gt=0)
    upload_id: str
    status: UploadStatus
    created: datetime
    md5: str | None = None

    @property
    def part_count(self) -> int:
        """How many parts the client uploads (the last may be smaller)."""
        return -(-self.size // self.part_size)

"""What the file registry records about a stored file."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["FILE_ID_PATTERN", "FileMetadata"]

FILE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class FileMetadata(BaseModel):
    """A file in permanent storage."""

    file_id: str = Field(pattern=FILE_ID_PATTERN)
    bucket_id: str
    object_id: str
    size: int
    md5: str = Field(pattern=r"^[0-9a-f]{32}$")
    created: datetime

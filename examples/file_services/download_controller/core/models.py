"""What the download controller serves."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

__all__ = ["DownloadableFile", "DrsAccess"]


class DownloadableFile(BaseModel):
    """A file the registry published, as the download controller keeps it."""

    file_id: str
    bucket_id: str
    object_id: str
    size: int
    md5: str
    created: datetime


class DrsAccess(BaseModel):
    """A file together with a fresh download URL."""

    file: DownloadableFile
    url: str
    expires_after: int

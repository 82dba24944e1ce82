"""Values that object storage methods return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["ObjectMetadata", "PresignedPostURL", "UploadedPart"]


@dataclass(frozen=True)
class PresignedPostURL:
    """A URL and the form fields a client posts, with the file, to upload an object."""

    url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class ObjectMetadata:
    """Facts about a stored object; ``etag`` is given without surrounding quotes."""

    size: int
    etag: str
    last_modified: datetime
    content_type: str | None


@dataclass(frozen=True)
class UploadedPart:
    """One uploaded part of a multipart upload."""

    part_number: int
    size: int
    etag: str

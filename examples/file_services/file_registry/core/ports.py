"""What the file registry needs from the outside, besides the hexkit protocols."""

from __future__ import annotations

from typing import Protocol

from .models import FileMetadata

__all__ = ["FilePublisherPort", "PublishFailedError"]


class PublishFailedError(RuntimeError):
    """The download side could not be told about a file; retry the registration."""


class FilePublisherPort(Protocol):
    """Tells the download side that a file is available; must be idempotent."""

    async def publish(self, metadata: FileMetadata) -> None:
        """Announce the file; raise ``PublishFailedError`` so the registration is retried."""
        ...

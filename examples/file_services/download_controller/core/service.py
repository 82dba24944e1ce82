"""Keeps published files and hands out download URLs for them."""

from __future__ import annotations

from dataclasses import dataclass

from hexkit.protocols.dao import Dao, ResourceNotFoundError
from hexkit.protocols.objstorage import ObjectStorageProtocol

from .models import DownloadableFile, DrsAccess

__all__ = ["DownloadConfig", "DownloadService", "UnknownObjectError"]


class UnknownObjectError(LookupError):
    """No published file has this ID."""

    def __init__(self, object_id: str) -> None:
        self.object_id = object_id
        super().__init__(f"No object with ID {object_id!r}; check the ID or wait for registration.")


@dataclass(frozen=True)
class DownloadConfig:
    """How long download URLs live."""

    url_expiry_seconds: int = 3600


class DownloadService:
    """Records published files and serves them with presigned download URLs."""

    def __init__(
        self,
        *,
        config: DownloadConfig,
        files: Dao[DownloadableFile],
        storage: ObjectStorageProtocol,
    ) -> None:
        self._config = config
        self._files = files
        self._storage = storage

    async def publish(self, file: DownloadableFile) -> None:
        """Make a file downloadable (idempotent)."""
        await self._files.upsert(file)

    async def access(self, object_id: str) -> DrsAccess:
        """Return the file and a fresh download URL."""
        try:
            file = await self._files.get_by_id(object_id)
        except ResourceNotFoundError:
            raise UnknownObjectError(object_id) from None
        url = await self._storage.get_object_download_url(
            file.bucket_id, file.object_id, expires_after=self._config.url_expiry_seconds
        )
        return DrsAccess(file=file, url=url, expires_after=self._config.url_expiry_seconds)

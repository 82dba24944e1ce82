"""Publishes registered files to the download controller over HTTP."""

from __future__ import annotations

import httpx

from ..core.models import FileMetadata
from ..core.ports import PublishFailedError

__all__ = ["HttpFilePublisher"]


class HttpFilePublisher:
    """The publisher port as a call to the download controller's ``PUT /files/{id}``."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def publish(self, metadata: FileMetadata) -> None:
        """Announce the file; raise ``PublishFailedError`` on any failure."""
        try:
            response = await self._client.put(
                f"/files/{metadata.file_id}", json=metadata.model_dump(mode="json")
            )
        except httpx.HTTPError as error:
            raise PublishFailedError(
                f"The download controller is unreachable ({error!r}); retry the registration."
            ) from error
        if not response.is_success:
            raise PublishFailedError(
                f"The download controller answered {response.status_code}; retry the registration."
            )

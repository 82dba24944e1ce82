"""Hands finished uploads to the file registry over HTTP."""

from __future__ import annotations

import httpx

from ..core.ports import RegistrationFailedError

__all__ = ["HttpRegistrationClient"]


class HttpRegistrationClient:
    """The registration port as a call to the file registry's ``POST /files``."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def register(
        self, *, file_id: str, bucket_id: str, object_id: str, size: int, md5: str
    ) -> None:
        """Register the file; refusals the client must fix are not retryable."""
        body = {
            "file_id": file_id,
            "bucket_id": bucket_id,
            "object_id": object_id,
            "size": size,
            "md5": md5,
        }
        try:
            response = await self._client.post("/files", json=body)
        except httpx.HTTPError as error:
            raise RegistrationFailedError(
                file_id, f"the file registry is unreachable ({error!r})", retryable=True
            ) from error
        if response.is_success:
            return
        detail = response.json().get("detail", response.text) if response.content else ""
        retryable = response.status_code >= 500
        raise RegistrationFailedError(
            file_id,
            f"the file registry answered {response.status_code}: {detail}",
            retryable=retryable,
        )

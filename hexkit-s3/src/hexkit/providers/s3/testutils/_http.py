"""A real-HTTP client for presigned URLs, as a browser or a command-line tool uses them."""

from __future__ import annotations

import httpx

from hexkit.protocols.objstorage import PresignedPostURL, TransferRejectedError

__all__ = ["HttpTransfer"]

_DETAIL_LIMIT = 500


def _check(response: httpx.Response) -> None:
    if not response.is_success:
        raise TransferRejectedError(response.status_code, response.text[:_DETAIL_LIMIT])


class HttpTransfer:
    """Performs presigned uploads and downloads over HTTP (a ``PresignedTransfer``).

    Each call uses its own short-lived ``httpx.AsyncClient``, so the transfer holds no
    connections between tests and needs no closing. Non-2xx answers raise
    ``TransferRejectedError(status, detail)`` with the start of the storage's answer.
    """

    def __init__(self, *, timeout: float = 60.0) -> None:
        self._timeout = timeout

    async def upload_post(self, post: PresignedPostURL, data: bytes) -> None:
        """Upload ``data`` as a multipart form POST; the presigned fields come first."""
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            response = await client.post(
                post.url, data=dict(post.fields), files={"file": ("file", data)}
            )
        _check(response)

    async def upload_part(self, url: str, data: bytes, *, content_md5: str | None = None) -> None:
        """PUT one part, with a ``Content-MD5`` header when given."""
        headers = {} if content_md5 is None else {"Content-MD5": content_md5}
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            response = await client.put(url, content=data, headers=headers)
        _check(response)

    async def download(self, url: str) -> bytes:
        """GET the object behind a download URL."""
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            response = await client.get(url)
        _check(response)
        return response.content

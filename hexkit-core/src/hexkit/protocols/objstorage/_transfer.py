"""The client side of presigned URLs, as tests and tools perform it."""

from __future__ import annotations

from typing import Protocol

from .._text import clip
from ._models import PresignedPostURL

__all__ = ["PresignedTransfer", "TransferRejectedError"]


class TransferRejectedError(Exception):
    """The storage refused a presigned request (expired, too large, wrong checksum...)."""

    def __init__(self, status: int, detail: str) -> None:
        self.status = status
        self.detail = detail
        super().__init__(f"The storage refused the request with status {status}: {clip(detail)}")


class PresignedTransfer(Protocol):
    """Performs what a client does with presigned URLs; raises ``TransferRejectedError``."""

    async def upload_post(self, post: PresignedPostURL, data: bytes) -> None:
        """Upload ``data`` as a form POST with the presigned fields."""
        ...

    async def upload_part(self, url: str, data: bytes, *, content_md5: str | None = None) -> None:
        """PUT one part to a part upload URL, sending ``Content-MD5`` when given."""
        ...

    async def download(self, url: str) -> bytes:
        """GET the content behind a download URL."""
        ...

"""Signed ``memory://`` URLs and the client that follows them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

from hexkit.protocols.objstorage import ObjectStorageError, PresignedPostURL, TransferRejectedError

if TYPE_CHECKING:
    from ._objstorage import MemoryObjectStorage

__all__ = ["MemoryTransfer", "UrlSigner"]

SCHEME = "memory"


class UrlSigner:
    """Signs and checks the URLs of one memory storage."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._key = secrets.token_bytes(32)

    def _signature(self, values: dict[str, str]) -> str:
        message = urlencode(sorted(values.items())).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def url(
        self,
        op: str,
        bucket_id: str,
        object_id: str,
        expires_after: int,
        extra: dict[str, str] | None = None,
    ) -> str:
        """Return a signed URL for ``op`` on one object."""
        values = {
            "op": op,
            "bucket": bucket_id,
            "key": object_id,
            "expires": str(int(time.time()) + expires_after),
            **(extra or {}),
        }
        query = urlencode({**values, "signature": self._signature(values)})
        return f"{SCHEME}://{self.token}/{bucket_id}/{object_id}?{query}"

    def post(
        self, bucket_id: str, object_id: str, expires_after: int, max_size: int | None
    ) -> PresignedPostURL:
        """Return a signed form upload for one object."""
        fields = {
            "bucket": bucket_id,
            "key": object_id,
            "expires": str(int(time.time()) + expires_after),
        }
        if max_size is not None:
            fields["max-size"] = str(max_size)
        fields["signature"] = self._signature(fields)
        return PresignedPostURL(url=f"{SCHEME}://{self.token}/{bucket_id}", fields=fields)

    def verify(self, values: dict[str, str]) -> dict[str, str]:
        """Return the signed values, or raise ``TransferRejectedError`` (403)."""
        unsigned = {key: value for key, value in values.items() if key != "signature"}
        expected = self._signature(unsigned)
        if not hmac.compare_digest(expected, values.get("signature", "")):
            raise TransferRejectedError(403, "the signature does not match")
        if int(unsigned.get("expires", "0")) < time.time():
            raise TransferRejectedError(403, "the URL has expired")
        return unsigned


def _storage(url: str) -> tuple[MemoryObjectStorage, dict[str, str]]:
    from ._objstorage import storage_for_token  # noqa: PLC0415 - avoids an import cycle

    parts = urlsplit(url)
    if parts.scheme != SCHEME:
        raise ValueError(f"Not a {SCHEME}:// URL: {url!r}.")
    storage = storage_for_token(parts.netloc)
    if storage is None:
        raise TransferRejectedError(404, "the storage that issued this URL is gone")
    return storage, dict(parse_qsl(parts.query))


class MemoryTransfer:
    """Follows ``memory://`` presigned URLs the way an HTTP client follows S3's."""

    async def upload_post(self, post: PresignedPostURL, data: bytes) -> None:
        """Upload ``data`` with a presigned form upload."""
        storage, _ = _storage(post.url)
        fields = storage.signer.verify(dict(post.fields))
        max_size = fields.get("max-size")
        if max_size is not None and len(data) > int(max_size):
            raise TransferRejectedError(400, f"{len(data)} bytes exceed the limit of {max_size}")
        self._run(lambda: storage.store(fields["bucket"], fields["key"], bytes(data), None))

    async def upload_part(self, url: str, data: bytes, *, content_md5: str | None = None) -> None:
        """PUT one part of a multipart upload."""
        storage, query = _storage(url)
        fields = storage.signer.verify(query)
        if fields.get("op") != "part":
            raise TransferRejectedError(403, "this URL is not a part upload URL")
        actual = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        if content_md5 is not None and content_md5 != actual:
            raise TransferRejectedError(400, "the Content-MD5 does not match the data")
        signed_md5 = fields.get("md5")
        if signed_md5 is not None and signed_md5 != content_md5:
            raise TransferRejectedError(403, "the URL requires a matching Content-MD5")
        self._run(
            lambda: storage.store_part(
                fields["upload"], fields["bucket"], fields["key"], int(fields["part"]), bytes(data)
            )
        )

    async def download(self, url: str) -> bytes:
        """GET an object through a download URL."""
        storage, query = _storage(url)
        fields = storage.signer.verify(query)
        if fields.get("op") != "get":
            raise TransferRejectedError(403, "this URL is not a download URL")
        result: list[bytes] = []
        self._run(lambda: result.append(storage.read(fields["bucket"], fields["key"])))
        return result[0]

    @staticmethod
    def _run(action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except LookupError as error:
            raise TransferRejectedError(404, str(error)) from error
        except ObjectStorageError as error:
            raise TransferRejectedError(400, str(error)) from error

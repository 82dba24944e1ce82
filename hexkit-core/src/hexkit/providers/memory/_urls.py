"""Signed ``memory://`` URLs and the client that follows them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import weakref
from collections.abc import Callable
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from hexkit.protocols.objstorage import ObjectStorageError, PresignedPostURL, TransferRejectedError

__all__ = ["MemoryTransfer", "UrlSigner", "UrlTarget"]

SCHEME = "memory"


class UrlTarget(Protocol):
    """What a URL acts on: the storage that issued it, as its signer knows it."""

    def store(
        self, bucket_id: str, object_id: str, data: bytes, content_type: str | None
    ) -> None: ...

    def store_part(
        self, upload_id: str, bucket_id: str, object_id: str, number: int, data: bytes
    ) -> None: ...

    def read(self, bucket_id: str, object_id: str) -> bytes: ...


# The signers of live storages by token: a URL names its signer, which names its storage.
_LIVE: weakref.WeakValueDictionary[str, UrlSigner] = weakref.WeakValueDictionary()


class UrlSigner:
    """Signs and checks the URLs of one memory storage, and finds it again from its URLs.

    The signer is registered under a fresh token until :meth:`close`; it holds its
    storage weakly, so a storage dropped without ``close`` stops serving its URLs too.
    """

    def __init__(self, target: UrlTarget) -> None:
        self.token = secrets.token_hex(8)
        self._key = secrets.token_bytes(32)
        self._target: Callable[[], UrlTarget | None] = weakref.ref(target)
        _LIVE[self.token] = self

    def close(self) -> None:
        """Stop serving this storage's URLs."""
        _LIVE.pop(self.token, None)

    def target(self) -> UrlTarget | None:
        """Return the storage these URLs act on, if it is still alive."""
        return self._target()

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


def _storage(url: str) -> tuple[UrlTarget, UrlSigner, dict[str, str]]:
    parts = urlsplit(url)
    if parts.scheme != SCHEME:
        raise ValueError(f"Not a {SCHEME}:// URL: {url!r}.")
    signer = _LIVE.get(parts.netloc)
    storage = None if signer is None else signer.target()
    if signer is None or storage is None:
        raise TransferRejectedError(404, "the storage that issued this URL is gone")
    return storage, signer, dict(parse_qsl(parts.query))


class MemoryTransfer:
    """Follows ``memory://`` presigned URLs the way an HTTP client follows S3's."""

    async def upload_post(self, post: PresignedPostURL, data: bytes) -> None:
        """Upload ``data`` with a presigned form upload."""
        storage, signer, _ = _storage(post.url)
        fields = signer.verify(dict(post.fields))
        max_size = fields.get("max-size")
        if max_size is not None and len(data) > int(max_size):
            raise TransferRejectedError(400, f"{len(data)} bytes exceed the limit of {max_size}")
        self._run(lambda: storage.store(fields["bucket"], fields["key"], bytes(data), None))

    async def upload_part(self, url: str, data: bytes, *, content_md5: str | None = None) -> None:
        """PUT one part of a multipart upload."""
        storage, signer, query = _storage(url)
        fields = signer.verify(query)
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
        storage, signer, query = _storage(url)
        fields = signer.verify(query)
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

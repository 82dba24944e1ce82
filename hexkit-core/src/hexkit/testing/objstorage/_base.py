"""Shared pieces of the object storage conformance kit."""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from collections.abc import AsyncIterator
from typing import ClassVar

from hexkit.protocols.objstorage import ObjectStorageProtocol

from .._deadline import KitDeadline

__all__ = ["ObjectStorageKitBase", "content_md5", "drain", "payload"]

MIB = 1024 * 1024


def payload(size: int, seed: int = 0) -> bytes:
    """Return ``size`` reproducible pseudo-random bytes."""
    return random.Random(seed).randbytes(size)


def content_md5(data: bytes) -> str:
    """Return the base64 MD5 digest, as the Content-MD5 header carries it."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


async def drain(chunks: AsyncIterator[bytes]) -> bytes:
    """Join an async stream of chunks."""
    return b"".join([chunk async for chunk in chunks])


class ObjectStorageKitBase(KitDeadline):
    """Fixtures and flags shared by the object storage conformance test groups.

    Subclasses provide function-scoped fixtures ``storage`` (a fresh
    :class:`ObjectStorageProtocol`) and ``transfer`` (a
    :class:`~hexkit.protocols.objstorage.PresignedTransfer` that follows its URLs).
    """

    #: Smallest size the backend accepts for a multipart part other than the last.
    min_part_size: ClassVar[int] = 5 * MIB
    #: False if presigned POSTs cannot enforce ``max_upload_size``.
    enforces_max_upload_size: ClassVar[bool] = True
    #: False if part upload URLs cannot enforce ``part_md5``.
    enforces_part_md5: ClassVar[bool] = True

    @staticmethod
    async def new_bucket(storage: ObjectStorageProtocol) -> str:
        """Create a bucket no other test uses and return its ID."""
        bucket_id = f"kit-{uuid.uuid4().hex[:20]}"
        await storage.create_bucket(bucket_id)
        return bucket_id

    @staticmethod
    def unused_bucket() -> str:
        """Return a valid bucket ID that nobody created."""
        return f"kit-missing-{uuid.uuid4().hex[:16]}"

"""The per-test handle on the S3 test server: config, storage and helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from hexkit.protocols.objstorage import ObjectMetadata

from .._config import S3Config
from .._objstorage import S3ObjectStorage
from ._backends import S3Server

__all__ = ["S3Fixture"]


class S3Fixture:
    """What the ``s3`` fixture yields: a storage on the session's server, and helpers.

    The server is shared by the whole session; :meth:`reset` (run before and after each
    test) deletes every bucket, its objects and its open multipart uploads.
    """

    def __init__(self, *, server: S3Server, config: S3Config, storage: S3ObjectStorage) -> None:
        self.server = server
        self.config = config
        self.storage = storage

    def __repr__(self) -> str:
        return f"S3Fixture(backend={self.server.backend!r}, endpoint={self.server.endpoint_url!r})"

    @classmethod
    @asynccontextmanager
    async def open(cls, server: S3Server, **overrides: Any) -> AsyncIterator[S3Fixture]:
        """Construct a storage on ``server`` (``S3Config`` fields may be overridden)."""
        config = S3Config(**{**server.config_values(), **overrides})
        async with S3ObjectStorage.construct(config=config) as storage:
            yield cls(server=server, config=config, storage=storage)

    @asynccontextmanager
    async def open_storage(self, **overrides: Any) -> AsyncIterator[S3ObjectStorage]:
        """Construct another storage on the same server, with some settings changed.

        For example ``open_storage(s3_copy_threshold=5 * 1024**2)`` to exercise the
        multipart copy path with small objects.
        """
        config = self.config.model_copy(update=overrides)
        config = S3Config.model_validate(config.model_dump())  # re-run the validators
        async with S3ObjectStorage.construct(config=config) as storage:
            yield storage

    async def populate_buckets(self, buckets: Sequence[str]) -> None:
        """Create these buckets (those that exist already are left as they are)."""
        for bucket_id in buckets:
            if not await self.storage.does_bucket_exist(bucket_id):
                await self.storage.create_bucket(bucket_id)

    async def populate_file(
        self,
        bucket_id: str,
        object_id: str,
        content: bytes | Path,
        *,
        content_type: str | None = None,
    ) -> ObjectMetadata:
        """Store ``content`` (bytes, or a file's content) as an object.

        The bucket is created if needed; returns the stored object's metadata.
        """
        if isinstance(content, Path):
            data = await asyncio.to_thread(content.read_bytes)
        else:
            data = content
        await self.populate_buckets([bucket_id])
        await self.storage.put_object(bucket_id, object_id, data, content_type=content_type)
        return await self.storage.get_object_metadata(bucket_id, object_id)

    async def reset(self) -> None:
        """Delete every bucket with its objects and open multipart uploads."""
        for bucket_id in await self.storage._list_bucket_ids():
            await self.storage._clear_bucket(bucket_id)
            await self.storage.delete_bucket(bucket_id)

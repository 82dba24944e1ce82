"""An object storage that hands every provider hook to another storage, unchanged.

The traced storage overrides the public methods; these hooks are what the protocol asks
of a subclass, kept working for code that calls a provider's hooks directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from hexkit.protocols.objstorage import (
    Data,
    ObjectMetadata,
    ObjectStorageProtocol,
    PresignedPostURL,
    UploadedPart,
)

__all__ = ["ForwardingObjectStorage"]


class ForwardingObjectStorage(ObjectStorageProtocol):
    """Forwards the provider hooks, and any other attribute, to ``inner``."""

    def __init__(self, inner: ObjectStorageProtocol) -> None:
        self._inner = inner

    @property
    def wrapped(self) -> ObjectStorageProtocol:
        """The untraced storage."""
        return self._inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def _does_bucket_exist(self, bucket_id: str) -> bool:
        return await self._inner._does_bucket_exist(bucket_id)

    async def _create_bucket(self, bucket_id: str) -> None:
        await self._inner._create_bucket(bucket_id)

    async def _delete_bucket(self, bucket_id: str, *, delete_content: bool) -> None:
        await self._inner._delete_bucket(bucket_id, delete_content=delete_content)

    def _list_object_ids(self, bucket_id: str, *, prefix: str | None) -> AsyncIterator[str]:
        return self._inner._list_object_ids(bucket_id, prefix=prefix)

    async def _does_object_exist(
        self, bucket_id: str, object_id: str, object_md5sum: str | None
    ) -> bool:
        return await self._inner._does_object_exist(bucket_id, object_id, object_md5sum)

    async def _get_object_metadata(self, bucket_id: str, object_id: str) -> ObjectMetadata:
        return await self._inner._get_object_metadata(bucket_id, object_id)

    async def _get_object_upload_url(
        self, bucket_id: str, object_id: str, *, expires_after: int, max_upload_size: int | None
    ) -> PresignedPostURL:
        return await self._inner._get_object_upload_url(
            bucket_id, object_id, expires_after=expires_after, max_upload_size=max_upload_size
        )

    async def _get_object_download_url(
        self, bucket_id: str, object_id: str, *, expires_after: int
    ) -> str:
        return await self._inner._get_object_download_url(
            bucket_id, object_id, expires_after=expires_after
        )

    async def _copy_object(
        self,
        source_bucket_id: str,
        source_object_id: str,
        dest_bucket_id: str,
        dest_object_id: str,
        *,
        abort_failed: bool,
    ) -> None:
        await self._inner._copy_object(
            source_bucket_id,
            source_object_id,
            dest_bucket_id,
            dest_object_id,
            abort_failed=abort_failed,
        )

    async def _delete_object(self, bucket_id: str, object_id: str) -> None:
        await self._inner._delete_object(bucket_id, object_id)

    async def _put_object(
        self, bucket_id: str, object_id: str, data: Data, *, content_type: str | None
    ) -> None:
        await self._inner._put_object(bucket_id, object_id, data, content_type=content_type)

    def _get_object(self, bucket_id: str, object_id: str) -> AsyncIterator[bytes]:
        return self._inner._get_object(bucket_id, object_id)

    async def _init_multipart_upload(self, bucket_id: str, object_id: str) -> str:
        return await self._inner._init_multipart_upload(bucket_id, object_id)

    async def _get_part_upload_url(
        self,
        upload_id: str,
        bucket_id: str,
        object_id: str,
        *,
        part_number: int,
        expires_after: int,
        part_md5: str | None,
    ) -> str:
        return await self._inner._get_part_upload_url(
            upload_id,
            bucket_id,
            object_id,
            part_number=part_number,
            expires_after=expires_after,
            part_md5=part_md5,
        )

    async def _list_multipart_uploads(self, bucket_id: str, object_id: str | None) -> list[str]:
        return await self._inner._list_multipart_uploads(bucket_id, object_id)

    async def _abort_multipart_upload(self, upload_id: str, bucket_id: str, object_id: str) -> None:
        await self._inner._abort_multipart_upload(upload_id, bucket_id, object_id)

    async def _list_upload_parts(
        self, upload_id: str, bucket_id: str, object_id: str
    ) -> list[UploadedPart]:
        return await self._inner._list_upload_parts(upload_id, bucket_id, object_id)

    async def _complete_multipart_upload(
        self, upload_id: str, bucket_id: str, object_id: str, parts: list[UploadedPart]
    ) -> None:
        await self._inner._complete_multipart_upload(upload_id, bucket_id, object_id, parts)

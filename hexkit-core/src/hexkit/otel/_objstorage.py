"""A traced twin of an object storage: one client span per public call.

Spans follow the conventions for AWS SDK calls: name ``"{rpc.service}.{method}"``
(``"S3.put_object"``), ``rpc.system``/``rpc.service``/``rpc.method`` and ``aws.s3.bucket``.
``rpc.method`` is hexkit's method, a logical call that may make several S3 requests
(botocore's own instrumentation traces those, as children). Object IDs, upload IDs and
presigned URLs may be sensitive: IDs are recorded (``aws.s3.key``, ``aws.s3.upload_id``,
``aws.s3.copy_source``) only with ``record_object_ids=True``; URLs and data never are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from hexkit.protocols.objstorage import (
    Data,
    ObjectMetadata,
    ObjectStorageProtocol,
    PresignedPostURL,
)

from ._forward import ForwardingObjectStorage
from ._spans import Attributes, Spans

__all__ = ["TracedObjectStorage"]

T = TypeVar("T")


class TracedObjectStorage(ForwardingObjectStorage):
    """An object storage whose public calls are spans; the work is the inner storage's."""

    def __init__(
        self,
        inner: ObjectStorageProtocol,
        spans: Spans,
        base: Attributes,
        *,
        record_object_ids: bool = False,
    ) -> None:
        super().__init__(inner)
        self._spans = spans
        self._base = dict(base)
        self._service = str(base.get("rpc.service", "ObjectStorage"))
        self._record_ids = record_object_ids

    def _attributes(
        self, method: str, bucket_id: str, object_id: str | None = None, **ids: str | None
    ) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            **self._base,
            "rpc.method": method,
            "aws.s3.bucket": bucket_id,
        }
        if self._record_ids:
            if object_id is not None:
                attributes["aws.s3.key"] = object_id
            attributes.update({key: value for key, value in ids.items() if value is not None})
        return attributes

    async def _traced(
        self,
        method: str,
        attributes: dict[str, Any],
        function: Callable[..., Awaitable[T]],
        *args: Any,
        **kwargs: Any,
    ) -> T:
        name = f"{self._service}.{method}"
        return await self._spans.call(name, attributes, function, *args, **kwargs)

    async def does_bucket_exist(self, bucket_id: str) -> bool:
        """Tell whether the bucket exists."""
        attributes = self._attributes("does_bucket_exist", bucket_id)
        return await self._traced(
            "does_bucket_exist", attributes, self._inner.does_bucket_exist, bucket_id
        )

    async def create_bucket(self, bucket_id: str) -> None:
        """Create a bucket."""
        attributes = self._attributes("create_bucket", bucket_id)
        await self._traced("create_bucket", attributes, self._inner.create_bucket, bucket_id)

    async def delete_bucket(self, bucket_id: str, *, delete_content: bool = False) -> None:
        """Delete a bucket."""
        attributes = self._attributes("delete_bucket", bucket_id)
        await self._traced(
            "delete_bucket",
            attributes,
            self._inner.delete_bucket,
            bucket_id,
            delete_content=delete_content,
        )

    def list_object_ids(self, bucket_id: str, *, prefix: str | None = None) -> AsyncIterator[str]:
        """Stream the IDs of the bucket's objects; the listing is one span."""
        inner = self._inner.list_object_ids(bucket_id, prefix=prefix)
        attributes = self._attributes("list_object_ids", bucket_id)
        return self._spans.stream(f"{self._service}.list_object_ids", attributes, inner)

    async def does_object_exist(
        self, bucket_id: str, object_id: str, object_md5sum: str | None = None
    ) -> bool:
        """Tell whether the object exists."""
        attributes = self._attributes("does_object_exist", bucket_id, object_id)
        return await self._traced(
            "does_object_exist",
            attributes,
            self._inner.does_object_exist,
            bucket_id,
            object_id,
            object_md5sum,
        )

    async def get_object_size(self, bucket_id: str, object_id: str) -> int:
        """Return the object's size in bytes."""
        attributes = self._attributes("get_object_size", bucket_id, object_id)
        return await self._traced(
            "get_object_size", attributes, self._inner.get_object_size, bucket_id, object_id
        )

    async def get_object_etag(self, bucket_id: str, object_id: str) -> str:
        """Return the object's ETag."""
        attributes = self._attributes("get_object_etag", bucket_id, object_id)
        return await self._traced(
            "get_object_etag", attributes, self._inner.get_object_etag, bucket_id, object_id
        )

    async def get_object_metadata(self, bucket_id: str, object_id: str) -> ObjectMetadata:
        """Return the object's metadata."""
        attributes = self._attributes("get_object_metadata", bucket_id, object_id)
        return await self._traced(
            "get_object_metadata",
            attributes,
            self._inner.get_object_metadata,
            bucket_id,
            object_id,
        )

    async def get_object_upload_url(
        self,
        bucket_id: str,
        object_id: str,
        expires_after: int = 900,
        max_upload_size: int | None = None,
    ) -> PresignedPostURL:
        """Return a presigned POST (never recorded: it is a credential)."""
        attributes = self._attributes("get_object_upload_url", bucket_id, object_id)
        return await self._traced(
            "get_object_upload_url",
            attributes,
            self._inner.get_object_upload_url,
            bucket_id,
            object_id,
            expires_after,
            max_upload_size,
        )

    async def get_object_download_url(
        self, bucket_id: str, object_id: str, expires_after: int = 86400
    ) -> str:
        """Return a presigned download URL (never recorded: it is a credential)."""
        attributes = self._attributes("get_object_download_url", bucket_id, object_id)
        return await self._traced(
            "get_object_download_url",
            attributes,
            self._inner.get_object_download_url,
            bucket_id,
            object_id,
            expires_after,
        )

    async def copy_object(
        self,
        source_bucket_id: str,
        source_object_id: str,
        dest_bucket_id: str,
        dest_object_id: str,
        abort_failed: bool = True,
    ) -> None:
        """Copy an object; ``aws.s3.bucket`` is the destination's."""
        source = f"{source_bucket_id}/{source_object_id}"
        attributes = self._attributes(
            "copy_object", dest_bucket_id, dest_object_id, **{"aws.s3.copy_source": source}
        )
        await self._traced(
            "copy_object",
            attributes,
            self._inner.copy_object,
            source_bucket_id,
            source_object_id,
            dest_bucket_id,
            dest_object_id,
            abort_failed,
        )

    async def delete_object(self, bucket_id: str, object_id: str) -> None:
        """Delete an object."""
        attributes = self._attributes("delete_object", bucket_id, object_id)
        await self._traced(
            "delete_object", attributes, self._inner.delete_object, bucket_id, object_id
        )

    async def put_object(
        self, bucket_id: str, object_id: str, data: Data, content_type: str | None = None
    ) -> None:
        """Store ``data`` as a new object (the data is never recorded)."""
        attributes = self._attributes("put_object", bucket_id, object_id)
        await self._traced(
            "put_object",
            attributes,
            self._inner.put_object,
            bucket_id,
            object_id,
            data,
            content_type,
        )

    def get_object(self, bucket_id: str, object_id: str) -> AsyncIterator[bytes]:
        """Stream the object's content; the download is one span."""
        inner = self._inner.get_object(bucket_id, object_id)
        attributes = self._attributes("get_object", bucket_id, object_id)
        return self._spans.stream(f"{self._service}.get_object", attributes, inner)

    async def init_multipart_upload(self, bucket_id: str, object_id: str) -> str:
        """Start a multipart upload and return its ID."""
        attributes = self._attributes("init_multipart_upload", bucket_id, object_id)
        return await self._traced(
            "init_multipart_upload",
            attributes,
            self._inner.init_multipart_upload,
            bucket_id,
            object_id,
        )

    async def get_part_upload_url(
        self,
        upload_id: str,
        bucket_id: str,
        object_id: str,
        part_number: int,
        expires_after: int = 3600,
        part_md5: str | None = None,
    ) -> str:
        """Return a presigned URL for one part (never recorded)."""
        attributes = self._attributes(
            "get_part_upload_url", bucket_id, object_id, **{"aws.s3.upload_id": upload_id}
        )
        attributes["aws.s3.part_number"] = part_number
        return await self._traced(
            "get_part_upload_url",
            attributes,
            self._inner.get_part_upload_url,
            upload_id,
            bucket_id,
            object_id,
            part_number,
            expires_after,
            part_md5,
        )

    async def list_multipart_uploads(
        self, bucket_id: str, object_id: str | None = None
    ) -> list[str]:
        """Return the IDs of active multipart uploads."""
        attributes = self._attributes("list_multipart_uploads", bucket_id, object_id)
        return await self._traced(
            "list_multipart_uploads",
            attributes,
            self._inner.list_multipart_uploads,
            bucket_id,
            object_id,
        )

    async def abort_multipart_upload(self, upload_id: str, bucket_id: str, object_id: str) -> None:
        """Abort a multipart upload."""
        attributes = self._attributes(
            "abort_multipart_upload", bucket_id, object_id, **{"aws.s3.upload_id": upload_id}
        )
        await self._traced(
            "abort_multipart_upload",
            attributes,
            self._inner.abort_multipart_upload,
            upload_id,
            bucket_id,
            object_id,
        )

    async def complete_multipart_upload(
        self,
        upload_id: str,
        bucket_id: str,
        object_id: str,
        anticipated_part_quantity: int | None = None,
        anticipated_part_size: int | None = None,
    ) -> None:
        """Assemble the uploaded parts into the object."""
        attributes = self._attributes(
            "complete_multipart_upload", bucket_id, object_id, **{"aws.s3.upload_id": upload_id}
        )
        await self._traced(
            "complete_multipart_upload",
            attributes,
            self._inner.complete_multipart_upload,
            upload_id,
            bucket_id,
            object_id,
            anticipated_part_quantity,
            anticipated_part_size,
        )

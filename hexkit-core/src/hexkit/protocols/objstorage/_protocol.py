"""The object storage port: an S3-like store of buckets and objects.

Public methods check their arguments (and the existence rules every backend shares)
before delegating to the underscore methods that providers implement.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator

from ._errors import (
    BucketAlreadyExistsError,
    BucketNotFoundError,
    MultiPartUploadAlreadyExistsError,
    MultiPartUploadNotFoundError,
    ObjectAlreadyExistsError,
    ObjectNotFoundError,
    StorageClosedError,
)
from ._models import ObjectMetadata, PresignedPostURL, UploadedPart
from ._validation import (
    check_expires_after,
    check_part_md5,
    check_part_number,
    check_parts,
    validate_bucket_id,
    validate_object_id,
)

__all__ = ["Data", "ObjectStorageProtocol"]

# What put_object takes: the whole content, or its chunks as an async iterable.
Data = bytes | AsyncIterable[bytes]


def _check_positive(label: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValueError(f"{label} must be a positive integer or None, got {value!r}.")


def _check_ids(bucket_id: str, object_id: str) -> None:
    validate_bucket_id(bucket_id)
    validate_object_id(object_id)


class ObjectStorageProtocol(ABC):
    """An S3-like object storage with presigned URLs and in-process streaming.

    A provider calls :meth:`_mark_closed` when its ``construct()`` block exits; from then
    on every public method (and every listing or download iterator) raises
    ``StorageClosedError`` before it touches storage.
    """

    _closed: bool = False  # a class default: providers need not call __init__

    def _mark_closed(self) -> None:
        """Make every later call raise ``StorageClosedError`` (the owner has exited)."""
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StorageClosedError(provider=type(self).__name__)

    # --- buckets -------------------------------------------------------------------

    async def does_bucket_exist(self, bucket_id: str) -> bool:
        """Tell whether the bucket exists."""
        self._check_open()
        validate_bucket_id(bucket_id)
        return await self._does_bucket_exist(bucket_id)

    async def create_bucket(self, bucket_id: str) -> None:
        """Create a bucket; ``BucketAlreadyExistsError`` if it exists."""
        self._check_open()
        validate_bucket_id(bucket_id)
        if await self._does_bucket_exist(bucket_id):
            raise BucketAlreadyExistsError(bucket_id)
        await self._create_bucket(bucket_id)

    async def delete_bucket(self, bucket_id: str, *, delete_content: bool = False) -> None:
        """Delete a bucket; ``BucketNotEmptyError`` if it has objects, unless ``delete_content``."""
        self._check_open()
        validate_bucket_id(bucket_id)
        if not await self._does_bucket_exist(bucket_id):
            raise BucketNotFoundError(bucket_id)
        await self._delete_bucket(bucket_id, delete_content=delete_content)

    def list_object_ids(self, bucket_id: str, *, prefix: str | None = None) -> AsyncIterator[str]:
        """Stream the IDs of the bucket's objects, optionally those starting with ``prefix``."""
        self._check_open()
        validate_bucket_id(bucket_id)
        if prefix is not None and not isinstance(prefix, str):
            raise TypeError(f"prefix must be a string or None, got {prefix!r}.")
        return self._list_object_ids_checked(bucket_id, prefix)

    async def _list_object_ids_checked(
        self, bucket_id: str, prefix: str | None
    ) -> AsyncIterator[str]:
        self._check_open()
        if not await self._does_bucket_exist(bucket_id):
            raise BucketNotFoundError(bucket_id)
        async for object_id in self._list_object_ids(bucket_id, prefix=prefix):
            self._check_open()
            yield object_id

    # --- objects -------------------------------------------------------------------

    async def does_object_exist(
        self, bucket_id: str, object_id: str, object_md5sum: str | None = None
    ) -> bool:
        """Tell whether the object exists (with MD5 hex digest ``object_md5sum``, if given)."""
        self._check_open()
        _check_ids(bucket_id, object_id)
        return await self._does_object_exist(bucket_id, object_id, object_md5sum)

    async def get_object_size(self, bucket_id: str, object_id: str) -> int:
        """Return the object's size in bytes."""
        self._check_open()
        return (await self.get_object_metadata(bucket_id, object_id)).size

    async def get_object_etag(self, bucket_id: str, object_id: str) -> str:
        """Return the object's ETag, without quotes."""
        self._check_open()
        return (await self.get_object_metadata(bucket_id, object_id)).etag

    async def get_object_metadata(self, bucket_id: str, object_id: str) -> ObjectMetadata:
        """Return size, ETag, last modification time and content type of the object."""
        self._check_open()
        _check_ids(bucket_id, object_id)
        return await self._get_object_metadata(bucket_id, object_id)

    async def get_object_upload_url(
        self,
        bucket_id: str,
        object_id: str,
        expires_after: int = 900,
        max_upload_size: int | None = None,
    ) -> PresignedPostURL:
        """Return a presigned POST that uploads the object in one request.

        Replay window: the POST is a bearer credential, not a one-time token. Anyone who
        holds its URL and fields can upload with it, again and again, each upload replacing
        the object, until it expires ``expires_after`` seconds (default 15 minutes, at most
        7 days) from now. The existence check runs only here, when the POST is made. Keep
        the window as short as the client needs to start its upload; raise it per call for
        clients that wait long before uploading, or for large files on slow links.
        ``max_upload_size`` bounds every upload made with it.
        """
        self._check_open()
        _check_ids(bucket_id, object_id)
        check_expires_after(expires_after)
        _check_positive("max_upload_size", max_upload_size)
        if await self._does_object_exist(bucket_id, object_id, None):
            raise ObjectAlreadyExistsError(bucket_id, object_id)
        return await self._get_object_upload_url(
            bucket_id, object_id, expires_after=expires_after, max_upload_size=max_upload_size
        )

    async def get_object_download_url(
        self, bucket_id: str, object_id: str, expires_after: int = 86400
    ) -> str:
        """Return a presigned URL that downloads the object with a GET."""
        self._check_open()
        _check_ids(bucket_id, object_id)
        check_expires_after(expires_after)
        if not await self._does_object_exist(bucket_id, object_id, None):
            raise ObjectNotFoundError(bucket_id, object_id)
        return await self._get_object_download_url(
            bucket_id, object_id, expires_after=expires_after
        )

    async def copy_object(
        self,
        source_bucket_id: str,
        source_object_id: str,
        dest_bucket_id: str,
        dest_object_id: str,
        abort_failed: bool = True,
    ) -> None:
        """Copy an object; ``ObjectAlreadyExistsError`` if the destination exists."""
        self._check_open()
        _check_ids(source_bucket_id, source_object_id)
        _check_ids(dest_bucket_id, dest_object_id)
        if not await self._does_object_exist(source_bucket_id, source_object_id, None):
            raise ObjectNotFoundError(source_bucket_id, source_object_id)
        if not await self._does_bucket_exist(dest_bucket_id):
            raise BucketNotFoundError(dest_bucket_id)
        if await self._does_object_exist(dest_bucket_id, dest_object_id, None):
            raise ObjectAlreadyExistsError(dest_bucket_id, dest_object_id)
        await self._copy_object(
            source_bucket_id,
            source_object_id,
            dest_bucket_id,
            dest_object_id,
            abort_failed=abort_failed,
        )

    async def delete_object(self, bucket_id: str, object_id: str) -> None:
        """Delete an object; ``ObjectNotFoundError`` if it does not exist."""
        self._check_open()
        _check_ids(bucket_id, object_id)
        if not await self._does_object_exist(bucket_id, object_id, None):
            raise ObjectNotFoundError(bucket_id, object_id)
        await self._delete_object(bucket_id, object_id)

    async def put_object(
        self, bucket_id: str, object_id: str, data: Data, content_type: str | None = None
    ) -> None:
        """Store ``data`` (bytes or an async iterable of chunks) as a new object.

        Memory use is bounded by the provider's chunk size, not the object's size.
        """
        self._check_open()
        _check_ids(bucket_id, object_id)
        if not isinstance(data, bytes | bytearray | memoryview) and not hasattr(data, "__aiter__"):
            raise TypeError(
                f"data must be bytes or an async iterable of bytes, got {type(data)!r}."
            )
        if await self._does_object_exist(bucket_id, object_id, None):
            raise ObjectAlreadyExistsError(bucket_id, object_id)
        await self._put_object(bucket_id, object_id, data, content_type=content_type)

    def get_object(self, bucket_id: str, object_id: str) -> AsyncIterator[bytes]:
        """Stream the object's content in chunks; errors are raised on first iteration."""
        self._check_open()
        _check_ids(bucket_id, object_id)
        return self._get_object_checked(bucket_id, object_id)

    async def _get_object_checked(self, bucket_id: str, object_id: str) -> AsyncIterator[bytes]:
        self._check_open()
        async for chunk in self._get_object(bucket_id, object_id):
            self._check_open()
            yield chunk

    # --- multipart uploads ---------------------------------------------------------

    async def init_multipart_upload(self, bucket_id: str, object_id: str) -> str:
        """Start a multipart upload and return its upload ID."""
        self._check_open()
        _check_ids(bucket_id, object_id)
        if await self._does_object_exist(bucket_id, object_id, None):
            raise ObjectAlreadyExistsError(bucket_id, object_id)
        if await self._list_multipart_uploads(bucket_id, object_id):
            raise MultiPartUploadAlreadyExistsError(bucket_id, object_id)
        return await self._init_multipart_upload(bucket_id, object_id)

    async def get_part_upload_url(
        self,
        upload_id: str,
        bucket_id: str,
        object_id: str,
        part_number: int,
        expires_after: int = 3600,
        part_md5: str | None = None,
    ) -> str:
        """Return a presigned PUT URL for one part; ``part_md5`` is base64 Content-MD5."""
        self._check_open()
        _check_ids(bucket_id, object_id)
        check_part_number(part_number)
        check_expires_after(expires_after)
        check_part_md5(part_md5)
        await self._assert_upload_exists(upload_id, bucket_id, object_id)
        return await self._get_part_upload_url(
            upload_id,
            bucket_id,
            object_id,
            part_number=part_number,
            expires_after=expires_after,
            part_md5=part_md5,
        )

    async def list_multipart_uploads(
        self, bucket_id: str, object_id: str | None = None
    ) -> list[str]:
        """Return the IDs of active multipart uploads in the bucket (or for one object)."""
        self._check_open()
        validate_bucket_id(bucket_id)
        if object_id is not None:
            validate_object_id(object_id)
        return await self._list_multipart_uploads(bucket_id, object_id)

    async def abort_multipart_upload(self, upload_id: str, bucket_id: str, object_id: str) -> None:
        """Abort a multipart upload and drop its parts."""
        self._check_open()
        _check_ids(bucket_id, object_id)
        await self._assert_upload_exists(upload_id, bucket_id, object_id)
        await self._abort_multipart_upload(upload_id, bucket_id, object_id)

    async def complete_multipart_upload(
        self,
        upload_id: str,
        bucket_id: str,
        object_id: str,
        anticipated_part_quantity: int | None = None,
        anticipated_part_size: int | None = None,
    ) -> None:
        """Assemble the uploaded parts into the object, after checking them."""
        self._check_open()
        _check_ids(bucket_id, object_id)
        _check_positive("anticipated_part_quantity", anticipated_part_quantity)
        _check_positive("anticipated_part_size", anticipated_part_size)
        parts = await self._list_upload_parts(upload_id, bucket_id, object_id)
        check_parts(
            parts,
            upload_id=upload_id,
            bucket_id=bucket_id,
            object_id=object_id,
            anticipated_part_quantity=anticipated_part_quantity,
            anticipated_part_size=anticipated_part_size,
        )
        await self._complete_multipart_upload(upload_id, bucket_id, object_id, parts)

    async def _assert_upload_exists(self, upload_id: str, bucket_id: str, object_id: str) -> None:
        if not isinstance(upload_id, str) or not upload_id:
            raise ValueError(f"upload_id must be a non-empty string, got {upload_id!r}.")
        if upload_id not in await self._list_multipart_uploads(bucket_id, object_id):
            raise MultiPartUploadNotFoundError(upload_id, bucket_id, object_id)

    # --- what providers implement --------------------------------------------------

    @abstractmethod
    async def _does_bucket_exist(self, bucket_id: str) -> bool: ...

    @abstractmethod
    async def _create_bucket(self, bucket_id: str) -> None: ...

    @abstractmethod
    async def _delete_bucket(self, bucket_id: str, *, delete_content: bool) -> None:
        """Delete an existing bucket; raise ``BucketNotEmptyError`` as the protocol says."""

    @abstractmethod
    def _list_object_ids(self, bucket_id: str, *, prefix: str | None) -> AsyncIterator[str]:
        """Stream object IDs of an existing bucket."""

    @abstractmethod
    async def _does_object_exist(
        self, bucket_id: str, object_id: str, object_md5sum: str | None
    ) -> bool:
        """Tell whether the object exists; raise ``BucketNotFoundError`` for a missing bucket."""

    @abstractmethod
    async def _get_object_metadata(self, bucket_id: str, object_id: str) -> ObjectMetadata:
        """Raise ``BucketNotFoundError`` or ``ObjectNotFoundError`` when missing."""

    @abstractmethod
    async def _get_object_upload_url(
        self, bucket_id: str, object_id: str, *, expires_after: int, max_upload_size: int | None
    ) -> PresignedPostURL: ...

    @abstractmethod
    async def _get_object_download_url(
        self, bucket_id: str, object_id: str, *, expires_after: int
    ) -> str: ...

    @abstractmethod
    async def _copy_object(
        self,
        source_bucket_id: str,
        source_object_id: str,
        dest_bucket_id: str,
        dest_object_id: str,
        *,
        abort_failed: bool,
    ) -> None: ...

    @abstractmethod
    async def _delete_object(self, bucket_id: str, object_id: str) -> None: ...

    @abstractmethod
    async def _put_object(
        self, bucket_id: str, object_id: str, data: Data, *, content_type: str | None
    ) -> None: ...

    @abstractmethod
    def _get_object(self, bucket_id: str, object_id: str) -> AsyncIterator[bytes]:
        """Stream the content; ``BucketNotFoundError``/``ObjectNotFoundError`` when missing."""

    @abstractmethod
    async def _init_multipart_upload(self, bucket_id: str, object_id: str) -> str: ...

    @abstractmethod
    async def _get_part_upload_url(
        self,
        upload_id: str,
        bucket_id: str,
        object_id: str,
        *,
        part_number: int,
        expires_after: int,
        part_md5: str | None,
    ) -> str: ...

    @abstractmethod
    async def _list_multipart_uploads(self, bucket_id: str, object_id: str | None) -> list[str]:
        """Return active upload IDs (of exactly ``object_id``, if given)."""

    @abstractmethod
    async def _abort_multipart_upload(
        self, upload_id: str, bucket_id: str, object_id: str
    ) -> None: ...

    @abstractmethod
    async def _list_upload_parts(
        self, upload_id: str, bucket_id: str, object_id: str
    ) -> list[UploadedPart]:
        """Return the parts uploaded so far; ``MultiPartUploadNotFoundError`` if not active."""

    @abstractmethod
    async def _complete_multipart_upload(
        self, upload_id: str, bucket_id: str, object_id: str, parts: list[UploadedPart]
    ) -> None: ...

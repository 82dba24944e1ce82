"""Errors of the object storage protocol, as a tree.

::

    ObjectStorageError (RuntimeError)
    ├── BucketError                                       .bucket_id
    │   ├── BucketNotFoundError (LookupError)
    │   ├── BucketAlreadyExistsError
    │   ├── BucketNotEmptyError
    │   └── BucketIdValidationError (ValueError)
    ├── ObjectError                                       .bucket_id, .object_id
    │   ├── ObjectNotFoundError (LookupError)
    │   ├── ObjectAlreadyExistsError
    │   └── ObjectIdValidationError (ValueError)
    ├── MultiPartUploadError                              .upload_id, .bucket_id, .object_id
    │   ├── MultiPartUploadNotFoundError (LookupError)
    │   ├── MultiPartUploadAlreadyExistsError
    │   ├── MultiPartUploadConfirmError
    │   └── MultiPartUploadAbortError
    ├── StorageUnavailableError (ConnectionError)
    ├── StorageTimeoutError (TimeoutError)
    └── StorageClosedError                                .provider

Mistakes in how the API is called, raised before any storage is touched (each also stays
in its place above, for code that catches that)::

    ObjectStorageUsageError
    ├── BucketIdValidationError (ValueError)
    ├── ObjectIdValidationError (ValueError)
    └── StorageClosedError

``StorageClosedError`` means the object storage's ``construct()`` / ``open_provider()``
block has exited and released its clients: a mistake in the calling code, raised at once
whether the server runs or not, that retrying cannot fix (unlike
``StorageUnavailableError``).
"""

from __future__ import annotations

from .._text import clip, shorten

__all__ = [
    "BucketAlreadyExistsError",
    "BucketError",
    "BucketIdValidationError",
    "BucketNotEmptyError",
    "BucketNotFoundError",
    "MultiPartUploadAbortError",
    "MultiPartUploadAlreadyExistsError",
    "MultiPartUploadConfirmError",
    "MultiPartUploadError",
    "MultiPartUploadNotFoundError",
    "ObjectAlreadyExistsError",
    "ObjectError",
    "ObjectIdValidationError",
    "ObjectNotFoundError",
    "ObjectStorageError",
    "ObjectStorageUsageError",
    "StorageClosedError",
    "StorageTimeoutError",
    "StorageUnavailableError",
]


class ObjectStorageError(RuntimeError):
    """Base of every error raised by an object storage."""


class ObjectStorageUsageError(Exception):
    """Base of errors in how the object storage API is called; fix the calling code."""


class BucketError(ObjectStorageError):
    """Base of errors about one bucket."""

    def __init__(self, bucket_id: str, message: str) -> None:
        self.bucket_id = bucket_id
        super().__init__(message)


class BucketNotFoundError(BucketError, LookupError):
    """The bucket does not exist."""

    def __init__(self, bucket_id: str) -> None:
        super().__init__(bucket_id, f"Bucket {shorten(bucket_id)} does not exist; create it first.")


class BucketAlreadyExistsError(BucketError):
    """The bucket exists already."""

    def __init__(self, bucket_id: str) -> None:
        super().__init__(
            bucket_id, f"Bucket {shorten(bucket_id)} already exists; use it or pick another ID."
        )


class BucketNotEmptyError(BucketError):
    """The bucket still holds objects."""

    def __init__(self, bucket_id: str) -> None:
        super().__init__(
            bucket_id,
            f"Bucket {shorten(bucket_id)} is not empty; delete its objects first"
            " or pass delete_content=True.",
        )


class BucketIdValidationError(BucketError, ObjectStorageUsageError, ValueError):
    """The bucket ID breaks S3's bucket naming rules."""

    def __init__(self, bucket_id: str, reason: str) -> None:
        super().__init__(
            bucket_id,
            f"Invalid bucket ID {shorten(bucket_id)}: {clip(reason)}."
            " Use 3-63 lowercase letters, digits,"
            " '-' and '.', starting and ending with a letter or digit, without a prefix or"
            " suffix that S3 reserves (see validate_bucket_id).",
        )


class ObjectError(ObjectStorageError):
    """Base of errors about one object."""

    def __init__(self, bucket_id: str, object_id: str, message: str) -> None:
        self.bucket_id = bucket_id
        self.object_id = object_id
        super().__init__(message)


class ObjectNotFoundError(ObjectError, LookupError):
    """The object does not exist in the bucket."""

    def __init__(self, bucket_id: str, object_id: str) -> None:
        super().__init__(
            bucket_id,
            object_id,
            f"Object {shorten(object_id)} does not exist in bucket {shorten(bucket_id)};"
            " upload it first.",
        )


class ObjectAlreadyExistsError(ObjectError):
    """An object with this ID exists in the bucket already."""

    def __init__(self, bucket_id: str, object_id: str) -> None:
        super().__init__(
            bucket_id,
            object_id,
            f"Object {shorten(object_id)} already exists in bucket {shorten(bucket_id)};"
            " delete it first or use another object ID.",
        )


class ObjectIdValidationError(ObjectError, ObjectStorageUsageError, ValueError):
    """The object ID breaks the protocol's object naming rules."""

    def __init__(self, object_id: str, reason: str, bucket_id: str = "") -> None:
        super().__init__(
            bucket_id,
            object_id,
            f"Invalid object ID {shorten(object_id)}: {clip(reason)}."
            " Use 1-1024 characters of letters,"
            " digits, '-', '_', '.' and '/', without empty, '.' or '..' path segments.",
        )


class MultiPartUploadError(ObjectStorageError):
    """Base of errors about one multipart upload."""

    def __init__(self, upload_id: str | None, bucket_id: str, object_id: str, message: str) -> None:
        self.upload_id = upload_id
        self.bucket_id = bucket_id
        self.object_id = object_id
        super().__init__(message)


class MultiPartUploadNotFoundError(MultiPartUploadError, LookupError):
    """No such multipart upload is active."""

    def __init__(self, upload_id: str, bucket_id: str, object_id: str) -> None:
        super().__init__(
            upload_id,
            bucket_id,
            object_id,
            f"No active multipart upload {shorten(upload_id)} for object {shorten(object_id)}"
            " in bucket"
            f" {shorten(bucket_id)}; it was never started, or was completed or aborted.",
        )


class MultiPartUploadAlreadyExistsError(MultiPartUploadError):
    """A multipart upload for this object is active already."""

    def __init__(self, bucket_id: str, object_id: str) -> None:
        super().__init__(
            None,
            bucket_id,
            object_id,
            f"A multipart upload for object {shorten(object_id)} in bucket {shorten(bucket_id)} is"
            " already active; complete or abort it first.",
        )


class MultiPartUploadConfirmError(MultiPartUploadError):
    """The uploaded parts do not make a valid object; the upload stays open."""

    def __init__(self, upload_id: str, bucket_id: str, object_id: str, reason: str) -> None:
        super().__init__(
            upload_id,
            bucket_id,
            object_id,
            f"Cannot complete multipart upload {shorten(upload_id)} of object {shorten(object_id)}"
            f" in bucket {shorten(bucket_id)}: {clip(reason)}. Upload the missing or wrong parts,"
            " or abort the upload.",
        )


class MultiPartUploadAbortError(MultiPartUploadError):
    """The multipart upload could not be aborted."""

    def __init__(self, upload_id: str, bucket_id: str, object_id: str, reason: str) -> None:
        super().__init__(
            upload_id,
            bucket_id,
            object_id,
            f"Could not abort multipart upload {shorten(upload_id)} of object"
            f" {shorten(object_id)} in"
            f" bucket {shorten(bucket_id)}: {clip(reason)}. Retry the abort.",
        )


class StorageUnavailableError(ObjectStorageError, ConnectionError):
    """The storage cannot be reached; check that it runs and the endpoint settings."""


class StorageTimeoutError(ObjectStorageError, TimeoutError):
    """The storage did not answer in time; retry later or raise the timeout."""


class StorageClosedError(ObjectStorageError, ObjectStorageUsageError):
    """The object storage was closed: its ``construct()`` / ``open_provider()`` block exited.

    Raised by every call on a closed object storage (and by iterators of it), before
    any I/O; ``provider`` names the object storage.
    """

    def __init__(self, *, provider: str) -> None:
        self.provider = provider
        super().__init__(
            f"The {clip(provider)} object storage was closed: the construct() or open_provider()"
            " block that owned it has exited and released its clients. Use it only inside"
            " that block, or open the provider again."
        )

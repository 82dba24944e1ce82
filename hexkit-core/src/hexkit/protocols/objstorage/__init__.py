"""The object storage protocol: an S3-like, async port for files.

Application cores type against :class:`ObjectStorageProtocol`; providers subclass it
and implement its underscore methods. See ``_errors`` for the error tree.
"""

from ._errors import (
    BucketAlreadyExistsError,
    BucketError,
    BucketIdValidationError,
    BucketNotEmptyError,
    BucketNotFoundError,
    MultiPartUploadAbortError,
    MultiPartUploadAlreadyExistsError,
    MultiPartUploadConfirmError,
    MultiPartUploadError,
    MultiPartUploadNotFoundError,
    ObjectAlreadyExistsError,
    ObjectError,
    ObjectIdValidationError,
    ObjectNotFoundError,
    ObjectStorageError,
    StorageClosedError,
    StorageTimeoutError,
    StorageUnavailableError,
)
from ._models import ObjectMetadata, PresignedPostURL, UploadedPart
from ._protocol import Data, ObjectStorageProtocol
from ._transfer import PresignedTransfer, TransferRejectedError
from ._validation import (
    MAX_EXPIRES_AFTER,
    MAX_PART_NUMBER,
    check_parts,
    validate_bucket_id,
    validate_object_id,
)

__all__ = [
    "MAX_EXPIRES_AFTER",
    "MAX_PART_NUMBER",
    "BucketAlreadyExistsError",
    "BucketError",
    "BucketIdValidationError",
    "BucketNotEmptyError",
    "BucketNotFoundError",
    "Data",
    "MultiPartUploadAbortError",
    "MultiPartUploadAlreadyExistsError",
    "MultiPartUploadConfirmError",
    "MultiPartUploadError",
    "MultiPartUploadNotFoundError",
    "ObjectAlreadyExistsError",
    "ObjectError",
    "ObjectIdValidationError",
    "ObjectMetadata",
    "ObjectNotFoundError",
    "ObjectStorageError",
    "ObjectStorageProtocol",
    "PresignedPostURL",
    "PresignedTransfer",
    "StorageClosedError",
    "StorageTimeoutError",
    "StorageUnavailableError",
    "TransferRejectedError",
    "UploadedPart",
    "check_parts",
    "validate_bucket_id",
    "validate_object_id",
]

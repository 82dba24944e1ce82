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
    ObjectStorageUsageError,
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
    "ObjectStorageUsageError",
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


# Tracebacks and reprs show errors by the path users import them from, not the private
# module that defines them; pickling finds them there too.
for _name in __all__:
    _error = globals().get(_name)
    if isinstance(_error, type) and issubclass(_error, BaseException):
        _error.__module__ = __name__
del _name, _error

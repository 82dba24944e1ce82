"""Which HTTP status answers which error of the DAO and object storage protocols.

One table, :data:`ERROR_STATUSES`, for both error trees; an error takes the status of the
first class of its MRO found in the table, so a row for a subclass overrides its base::

    not found              ResourceNotFoundError, NoHitsFoundError,
                           Bucket/Object/MultiPartUpload NotFoundError          404
    conflict               ResourceAlreadyExistsError, UniqueConstraintViolationError,
                           Bucket/Object/MultiPartUpload AlreadyExistsError,
                           BucketNotEmptyError                                  409
    precondition failed    ResourceChangedError (a stale versioned write)       412
    unprocessable          DaoUsageError (InvalidIdError, InvalidCursorError, ...),
                           InvalidDocumentError, ObjectStorageUsageError
                           (Bucket/ObjectIdValidationError)                     422
    unavailable            DbUnavailableError, StorageUnavailableError,
                           ProviderClosedError, StorageClosedError              503
    timeout                DbTimeoutError, StorageTimeoutError                  504
    anything else          DaoError, ObjectStorageError                         500

A provider closed under a running request means the service is shutting down: another
instance can answer, so it is 503 (retry), although the protocols count it a usage error.
This module imports no FastAPI: the table is plain data about the protocols.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from hexkit.protocols.dao import (
    DaoError,
    DaoUsageError,
    DbTimeoutError,
    DbUnavailableError,
    InvalidDocumentError,
    NoHitsFoundError,
    ProviderClosedError,
    ResourceAlreadyExistsError,
    ResourceChangedError,
    ResourceNotFoundError,
    UniqueConstraintViolationError,
)
from hexkit.protocols.objstorage import (
    BucketAlreadyExistsError,
    BucketIdValidationError,
    BucketNotEmptyError,
    BucketNotFoundError,
    MultiPartUploadAlreadyExistsError,
    MultiPartUploadNotFoundError,
    ObjectAlreadyExistsError,
    ObjectIdValidationError,
    ObjectNotFoundError,
    ObjectStorageError,
    ObjectStorageUsageError,
    StorageClosedError,
    StorageTimeoutError,
    StorageUnavailableError,
)

__all__ = ["ERROR_ROOTS", "ERROR_STATUSES", "status_of"]

#: The roots of the trees the handlers are installed for.
ERROR_ROOTS: tuple[type[Exception], ...] = (
    DaoError,
    DaoUsageError,
    ObjectStorageError,
    ObjectStorageUsageError,
)

#: Rows that answer only what no more specific row of an error's classes answers.
_CATCH_ALL: tuple[type[Exception], ...] = (DaoError, ObjectStorageError)

ERROR_STATUSES: Mapping[type[Exception], HTTPStatus] = {
    # DAO protocol
    ResourceNotFoundError: HTTPStatus.NOT_FOUND,
    NoHitsFoundError: HTTPStatus.NOT_FOUND,
    ResourceAlreadyExistsError: HTTPStatus.CONFLICT,
    UniqueConstraintViolationError: HTTPStatus.CONFLICT,
    ResourceChangedError: HTTPStatus.PRECONDITION_FAILED,
    InvalidDocumentError: HTTPStatus.UNPROCESSABLE_ENTITY,
    DaoUsageError: HTTPStatus.UNPROCESSABLE_ENTITY,
    ProviderClosedError: HTTPStatus.SERVICE_UNAVAILABLE,
    DbUnavailableError: HTTPStatus.SERVICE_UNAVAILABLE,
    DbTimeoutError: HTTPStatus.GATEWAY_TIMEOUT,
    DaoError: HTTPStatus.INTERNAL_SERVER_ERROR,
    # Object storage protocol
    BucketNotFoundError: HTTPStatus.NOT_FOUND,
    ObjectNotFoundError: HTTPStatus.NOT_FOUND,
    MultiPartUploadNotFoundError: HTTPStatus.NOT_FOUND,
    BucketAlreadyExistsError: HTTPStatus.CONFLICT,
    ObjectAlreadyExistsError: HTTPStatus.CONFLICT,
    MultiPartUploadAlreadyExistsError: HTTPStatus.CONFLICT,
    BucketNotEmptyError: HTTPStatus.CONFLICT,
    BucketIdValidationError: HTTPStatus.UNPROCESSABLE_ENTITY,
    ObjectIdValidationError: HTTPStatus.UNPROCESSABLE_ENTITY,
    ObjectStorageUsageError: HTTPStatus.UNPROCESSABLE_ENTITY,
    StorageClosedError: HTTPStatus.SERVICE_UNAVAILABLE,
    StorageUnavailableError: HTTPStatus.SERVICE_UNAVAILABLE,
    StorageTimeoutError: HTTPStatus.GATEWAY_TIMEOUT,
    ObjectStorageError: HTTPStatus.INTERNAL_SERVER_ERROR,
}


def status_of(
    error: BaseException, table: Mapping[type[Exception], HTTPStatus] = ERROR_STATUSES
) -> HTTPStatus | None:
    """Return the status of the most specific class of ``error`` in ``table``, if any.

    The catch-all roots ``DaoError`` and ``ObjectStorageError`` count last, so an error that
    is also a usage error (``InvalidFindMappingError`` is a ``FindError`` and a
    ``DaoUsageError``) takes the usage status, not the roots' 500.
    """
    classes = type(error).__mro__
    for cls in (*(c for c in classes if c not in _CATCH_ALL), *_CATCH_ALL):
        status = table.get(cls) if cls in classes else None
        if status is not None:
            return status
    return None

"""Translation of botocore's errors into the object storage protocol's errors.

The boto3 call's own arguments (``Bucket``, ``Key``, ``UploadId``) say which bucket,
object or upload an error is about, so callers pass them through unchanged.

The provider adds one error to the protocol's tree, for refused credentials::

    ObjectStorageError (RuntimeError)
    └── S3CredentialsError (PermissionError)      .operation, .code

An application core catches it as ``ObjectStorageError`` or ``PermissionError`` without
importing the provider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from hexkit.protocols import clip
from hexkit.protocols.objstorage import (
    BucketAlreadyExistsError,
    BucketNotEmptyError,
    BucketNotFoundError,
    MultiPartUploadConfirmError,
    MultiPartUploadNotFoundError,
    ObjectAlreadyExistsError,
    ObjectNotFoundError,
    ObjectStorageError,
    StorageTimeoutError,
    StorageUnavailableError,
)

__all__ = ["S3CredentialsError", "error_code", "translate"]

# What servers answer to a key they do not know, a wrong secret, an expired or foreign
# session token, or a key without the permission; SeaweedFS answers a HEAD with a wrong
# secret with a bare 403 ("Forbidden": a HEAD answer has no body to name the cause).
_CREDENTIAL_CODES = frozenset(
    {
        "403",
        "Forbidden",
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "TokenRefreshRequired",
    }
)
# Refused or dropped connections, and bodies cut off because the server vanished.
_UNREACHABLE = (
    EndpointConnectionError,
    ConnectionClosedError,
    ResponseStreamingError,
    IncompleteReadError,
)
_CONFIRM_CODES = frozenset({"EntityTooSmall", "InvalidPart", "InvalidPartOrder"})
_UNAVAILABLE_CODES = frozenset({"SlowDown", "ServiceUnavailable", "503", "InternalError", "500"})


class S3CredentialsError(ObjectStorageError, PermissionError):
    """S3 refused the provider's credentials, or they lack a permission the call needs.

    ``code`` is S3's error code (``SignatureDoesNotMatch``, ``InvalidAccessKeyId``,
    ``AccessDenied``, ``403`` for a HEAD, ...); the message never shows a credential.
    """

    __module__ = "hexkit.providers.s3"  # where users import it from

    def __init__(self, operation: str, code: str) -> None:
        self.operation = operation
        self.code = code
        super().__init__(
            f"S3 refused {clip(operation)} ({clip(code)}): check the access key ID and secret"
            " access key"
            " (s3_access_key_id / s3_secret_access_key, and s3_session_token for temporary"
            " credentials) and that this key may perform the call."
        )


def error_code(error: ClientError) -> str:
    """Return S3's error code (``"404"`` for bodiless HEAD answers)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def translate(
    error: Exception, operation: str, params: Mapping[str, Any]
) -> ObjectStorageError | None:
    """Return the protocol error for a botocore error, or ``None`` for other exceptions.

    ``operation`` is the client method's name and ``params`` its keyword arguments.
    """
    bucket_id = str(params.get("Bucket", ""))
    object_id = str(params.get("Key", ""))
    upload_id = str(params.get("UploadId", ""))
    if isinstance(error, ClientError):
        return _translate_client_error(error, operation, bucket_id, object_id, upload_id)
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError):
        return StorageTimeoutError(
            f"S3 did not answer {operation} in time ({error}); check that the endpoint is"
            " healthy, then retry or raise s3_connect_timeout / s3_read_timeout."
        )
    if isinstance(error, _UNREACHABLE):
        return StorageUnavailableError(
            f"S3 could not be reached for {operation} ({error}); check that the storage runs"
            " and that s3_endpoint_url points at it."
        )
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return ObjectStorageError(
            f"S3 credentials are missing or incomplete for {operation}; set"
            " s3_access_key_id and s3_secret_access_key."
        )
    if isinstance(error, BotoCoreError):
        return ObjectStorageError(
            f"The S3 client failed in {operation} ({type(error).__name__}); check the"
            " provider's settings and the storage's health, then retry."
        )
    return None


def _translate_client_error(
    error: ClientError, operation: str, bucket_id: str, object_id: str, upload_id: str
) -> ObjectStorageError:
    code = error_code(error)
    message = str(error.response.get("Error", {}).get("Message", "")) or "no details"
    if code in ("NoSuchKey", "404", "NotFound"):
        # HEAD answers carry no body; a 404 means the key when one was asked for.
        code = "NoSuchKey" if object_id else "NoSuchBucket"
    known: dict[str, Callable[[], ObjectStorageError]] = {
        "NoSuchBucket": lambda: BucketNotFoundError(bucket_id),
        "NoSuchKey": lambda: ObjectNotFoundError(bucket_id, object_id),
        "NoSuchUpload": lambda: MultiPartUploadNotFoundError(upload_id, bucket_id, object_id),
        "BucketAlreadyExists": lambda: BucketAlreadyExistsError(bucket_id),
        "BucketAlreadyOwnedByYou": lambda: BucketAlreadyExistsError(bucket_id),
        "BucketNotEmpty": lambda: BucketNotEmptyError(bucket_id),
        # Only conditional writes (If-None-Match: *) are sent, so a failed precondition
        # means the object appeared since the protocol's existence check.
        "PreconditionFailed": lambda: ObjectAlreadyExistsError(bucket_id, object_id),
        "412": lambda: ObjectAlreadyExistsError(bucket_id, object_id),
        # AWS S3: another conditional write to the key was in flight; S3 asks to retry
        # (which then finds the object, or writes it).
        "ConditionalRequestConflict": lambda: StorageUnavailableError(
            f"S3 refused {operation} on object {object_id!r} in bucket {bucket_id!r}"
            " (ConditionalRequestConflict): another write to the same object was in"
            " progress; retry the call."
        ),
        "RequestTimeout": lambda: StorageTimeoutError(
            f"S3 timed out {operation} ({message}); retry, or check the network path."
        ),
    }
    if code in known:
        return known[code]()
    if code in _CREDENTIAL_CODES:
        return S3CredentialsError(operation, code)
    if code in _CONFIRM_CODES and upload_id:
        return MultiPartUploadConfirmError(upload_id, bucket_id, object_id, f"{code}: {message}")
    if code in _UNAVAILABLE_CODES:
        return StorageUnavailableError(
            f"S3 is unavailable for {operation} ({code}: {message}); retry later."
        )
    return ObjectStorageError(
        f"S3 refused {operation} on bucket {bucket_id!r} with {code or 'an error'}:"
        f" {message}. Check the request and the account's permissions."
    )

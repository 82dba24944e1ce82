"""botocore's errors become the protocol's errors, each with the IDs and advice."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    NoCredentialsError,
    ReadTimeoutError,
    ResponseStreamingError,
)

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
from hexkit.providers.s3 import S3CredentialsError
from hexkit.providers.s3._errors import translate

PARAMS = {"Bucket": "bkt", "Key": "obj", "UploadId": "up-1"}


def _client_error(code: str, message: str = "details from S3") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "SomeOperation")


@pytest.mark.parametrize(
    ("code", "params", "expected"),
    [
        ("NoSuchBucket", PARAMS, BucketNotFoundError),
        ("NoSuchKey", PARAMS, ObjectNotFoundError),
        ("404", PARAMS, ObjectNotFoundError),
        ("404", {"Bucket": "bkt"}, BucketNotFoundError),
        ("NoSuchUpload", PARAMS, MultiPartUploadNotFoundError),
        ("BucketAlreadyExists", PARAMS, BucketAlreadyExistsError),
        ("BucketAlreadyOwnedByYou", PARAMS, BucketAlreadyExistsError),
        ("BucketNotEmpty", PARAMS, BucketNotEmptyError),
        ("EntityTooSmall", PARAMS, MultiPartUploadConfirmError),
        ("InvalidPart", PARAMS, MultiPartUploadConfirmError),
        ("PreconditionFailed", PARAMS, ObjectAlreadyExistsError),
        ("SlowDown", PARAMS, StorageUnavailableError),
        ("InternalError", PARAMS, StorageUnavailableError),
        ("RequestTimeout", PARAMS, StorageTimeoutError),
        ("ConditionalRequestConflict", PARAMS, StorageUnavailableError),
    ],
)
def test_s3_error_codes_map_to_protocol_errors(
    code: str, params: dict[str, str], expected: type[ObjectStorageError]
) -> None:
    error = translate(_client_error(code), "some_operation", params)
    assert type(error) is expected
    assert getattr(error, "bucket_id", "bkt") == "bkt"


def test_ids_travel_with_the_error() -> None:
    error = translate(_client_error("NoSuchUpload"), "list_parts", PARAMS)
    assert isinstance(error, MultiPartUploadNotFoundError)
    assert (error.upload_id, error.bucket_id, error.object_id) == ("up-1", "bkt", "obj")


def test_unknown_codes_keep_s3s_message_and_say_what_to_check() -> None:
    error = translate(_client_error("InvalidStorageClass", "no way"), "put_object", PARAMS)
    assert type(error) is ObjectStorageError
    assert "InvalidStorageClass" in str(error)
    assert "no way" in str(error)
    assert "permissions" in str(error)


@pytest.mark.parametrize(
    "code",
    ["403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"],
)
def test_refused_credentials_raise_a_credentials_error(code: str) -> None:
    error = translate(_client_error(code, "The key nobody-knows is wrong"), "head_object", PARAMS)
    assert type(error) is S3CredentialsError
    assert isinstance(error, PermissionError)
    assert (error.operation, error.code) == ("head_object", code)
    assert "access key ID and secret access key" in str(error)
    assert "nobody-knows" not in str(error)  # S3's own message may name the key


@pytest.mark.parametrize(
    ("raised", "expected", "advice"),
    [
        (EndpointConnectionError(endpoint_url="http://x"), StorageUnavailableError, "runs"),
        (ConnectTimeoutError(endpoint_url="http://x"), StorageTimeoutError, "timeout"),
        (ReadTimeoutError(endpoint_url="http://x"), StorageTimeoutError, "timeout"),
        (NoCredentialsError(), ObjectStorageError, "s3_access_key_id"),
        (ResponseStreamingError(error="reset"), StorageUnavailableError, "runs"),
        (
            IncompleteReadError(actual_bytes=1, expected_bytes=9),
            StorageUnavailableError,
            "runs",
        ),
    ],
)
def test_transport_errors_map_with_advice(
    raised: Exception, expected: type[ObjectStorageError], advice: str
) -> None:
    error = translate(raised, "head_object", PARAMS)
    assert type(error) is expected
    assert advice in str(error)


def test_other_exceptions_are_left_alone() -> None:
    assert translate(ValueError("not botocore"), "head_object", PARAMS) is None

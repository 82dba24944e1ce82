"""Settings of the S3 object storage provider (environment prefix ``HEXKIT_``).

Every field reads from the environment variable ``HEXKIT_`` + the upper-cased field name,
e.g. ``HEXKIT_S3_ENDPOINT_URL`` or ``HEXKIT_AWS_CONFIG_INI``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["MIN_PART_SIZE", "S3Config"]

_MIB = 1024 * 1024
_GIB = 1024 * _MIB
MIN_PART_SIZE = 5 * _MIB
"""S3's smallest size of a multipart part other than the last."""
MAX_PART_SIZE = 5 * _GIB
"""S3's largest part, and largest object a single PUT or CopyObject can write."""


class S3Config(BaseSettings):
    """How to reach an S3-compatible storage, and how to move data to and from it.

    Secrets are ``SecretStr``: they never appear in ``repr``, logs or error messages.
    """

    model_config = SettingsConfigDict(
        env_prefix="HEXKIT_",
        extra="forbid",
        # A misspelt field or a value of the wrong type must not echo its input, which may
        # be the secret key or the session token, in the ValidationError text.
        hide_input_in_errors=True,
    )

    s3_endpoint_url: str | None = Field(
        default=None,
        description="URL of an S3-compatible endpoint (MinIO, LocalStack, moto);"
        " None talks to AWS S3 in s3_region.",
        examples=["http://127.0.0.1:9000"],
    )
    s3_access_key_id: str = Field(description="Access key ID of the storage account.")
    s3_secret_access_key: SecretStr = Field(description="Secret access key of the account.")
    s3_session_token: SecretStr | None = Field(
        default=None, description="Session token of temporary credentials, if any."
    )
    aws_config_ini: Path | None = Field(
        default=None,
        description="An AWS config file (like ~/.aws/config) read for further client settings;"
        " the environment's AWS_CONFIG_FILE is not touched.",
    )
    s3_region: str = Field(default="us-east-1", description="Region that requests are signed for.")
    s3_addressing_style: Literal["auto", "path", "virtual"] | None = Field(
        default=None,
        description="Bucket addressing in URLs; None means 'path' with a custom endpoint"
        " (most S3-compatible servers need it) and 'auto' for AWS.",
    )
    s3_max_concurrency: int = Field(
        default=16,
        ge=1,
        le=1024,
        description="Connections of the client's pool, and threads of the provider's pool"
        " that run blocking calls: both are sized with this value.",
    )
    s3_connect_timeout: float = Field(
        default=10.0, gt=0, description="Seconds to wait for a connection."
    )
    s3_read_timeout: float = Field(
        default=60.0, gt=0, description="Seconds to wait for data on an open connection."
    )
    s3_max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Attempts per request, including the first (botocore 'standard' retries).",
    )
    s3_timeout: float | None = Field(
        default=None,
        gt=0,
        description="Deadline in seconds of each request the provider sends: waiting for a"
        " pool thread, every attempt and the backoff between them; of a streaming transfer"
        " each part and each downloaded chunk is one request, not the whole object. Past it"
        " the call raises StorageTimeoutError (StorageUnavailableError if the server"
        " refused connections meanwhile). It also caps s3_connect_timeout and"
        " s3_read_timeout. None keeps botocore's limits only (per attempt, no overall"
        " deadline).",
    )
    s3_multipart_threshold: int = Field(
        default=8 * _MIB,
        ge=1,
        le=MAX_PART_SIZE,
        description="put_object uses one PUT below this size and a multipart upload from it.",
    )
    s3_multipart_chunk_size: int = Field(
        default=8 * _MIB,
        ge=MIN_PART_SIZE,
        le=MAX_PART_SIZE,
        description="Part size of put_object's multipart uploads (5 MiB..5 GiB, as S3 allows).",
    )
    s3_multipart_concurrency: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Parts one put_object uploads at once; memory use is about"
        " (concurrency + 1) x chunk size.",
    )
    s3_copy_threshold: int = Field(
        default=5 * _GIB,
        ge=1,
        le=MAX_PART_SIZE,
        description="copy_object uses one CopyObject up to this size and a multipart copy above.",
    )
    s3_copy_part_size: int = Field(
        default=512 * _MIB,
        ge=MIN_PART_SIZE,
        le=MAX_PART_SIZE,
        description="Part size of multipart copies (5 MiB..5 GiB, as S3 allows).",
    )
    s3_conditional_writes: bool = Field(
        default=True,
        description="Send 'If-None-Match: *' when put_object and copy_object write the object"
        " (PutObject, CopyObject, CompleteMultipartUpload), so a writer that raced past the"
        " existence check gets ObjectAlreadyExistsError instead of overwriting; turn off"
        " for servers that refuse conditional writes (then a race can overwrite).",
    )
    s3_checksums: Literal["when_supported", "when_required"] | None = Field(
        default=None,
        description="When botocore adds CRC checksums (x-amz-checksum-*,"
        " x-amz-sdk-checksum-algorithm) to uploads and validates them on downloads:"
        " 'when_supported' or 'when_required', for S3-compatible servers that refuse those"
        " headers; None leaves it to aws_config_ini or botocore ('when_supported' since"
        " 1.36).",
    )
    s3_download_chunk_size: int = Field(
        default=_MIB, ge=1, description="Bytes per chunk that get_object yields."
    )

    @model_validator(mode="after")
    def _addressing_for_endpoint(self) -> S3Config:
        """Pick path-style addressing for custom endpoints unless a style was chosen."""
        if self.s3_addressing_style is None:
            self.s3_addressing_style = "auto" if self.s3_endpoint_url is None else "path"
        return self

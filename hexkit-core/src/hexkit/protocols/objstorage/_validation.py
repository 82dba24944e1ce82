"""Argument rules of the object storage protocol, checked before any I/O."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Sequence

from ._errors import BucketIdValidationError, MultiPartUploadConfirmError, ObjectIdValidationError
from ._models import UploadedPart

__all__ = [
    "MAX_EXPIRES_AFTER",
    "MAX_PART_NUMBER",
    "check_expires_after",
    "check_part_md5",
    "check_part_number",
    "check_parts",
    "validate_bucket_id",
    "validate_object_id",
]

MAX_EXPIRES_AFTER = 604_800
MAX_PART_NUMBER = 10_000
_BUCKET_CHARS = re.compile(r"[a-z0-9.-]+")
# Prefixes and suffixes that S3 reserves for its own names (general purpose bucket naming
# rules); AWS refuses a bucket that uses them, so no provider accepts one.
_RESERVED_PREFIXES = {
    "xn--": "Punycode (internationalized) domain names",
    "sthree-": "S3's own use",
    "amzn-s3-demo-": "AWS documentation examples",
}
_RESERVED_SUFFIXES = {
    "-s3alias": "access point aliases",
    "--ol-s3": "Object Lambda access point aliases",
    ".mrap": "Multi-Region Access Points",
    "--x-s3": "directory buckets",
    "--table-s3": "S3 table buckets",
}
_OBJECT_CHARS = re.compile(r"[A-Za-z0-9._/-]+")


def validate_bucket_id(bucket_id: str) -> None:
    """Raise ``BucketIdValidationError`` unless ``bucket_id`` follows S3 bucket naming.

    These are S3's rules for general purpose buckets: 3-63 characters of lowercase letters,
    digits, '-' and '.'; a letter or digit first and last; no '..'; not an IP address; none
    of the prefixes and suffixes S3 reserves (``xn--``, ``sthree-``, ``amzn-s3-demo-``;
    ``-s3alias``, ``--ol-s3``, ``.mrap``, ``--x-s3``, ``--table-s3``). Every provider
    refuses the same names, before any I/O.
    """
    if not isinstance(bucket_id, str):
        raise BucketIdValidationError(repr(bucket_id), "it must be a string")
    if not 3 <= len(bucket_id) <= 63:
        raise BucketIdValidationError(bucket_id, f"it has {len(bucket_id)} characters")
    if not _BUCKET_CHARS.fullmatch(bucket_id):
        raise BucketIdValidationError(bucket_id, "it has characters other than a-z, 0-9, '-', '.'")
    if not (bucket_id[0].isalnum() and bucket_id[-1].isalnum()):
        raise BucketIdValidationError(bucket_id, "it must start and end with a letter or digit")
    if ".." in bucket_id:
        raise BucketIdValidationError(bucket_id, "it has two adjacent periods")
    for prefix, owner in _RESERVED_PREFIXES.items():
        if bucket_id.startswith(prefix):
            raise BucketIdValidationError(
                bucket_id, f"it starts with {prefix!r}, a prefix S3 reserves for {owner}"
            )
    for suffix, owner in _RESERVED_SUFFIXES.items():
        if bucket_id.endswith(suffix):
            raise BucketIdValidationError(
                bucket_id, f"it ends with {suffix!r}, a suffix S3 reserves for {owner}"
            )
    try:
        ipaddress.ip_address(bucket_id)
    except ValueError:
        return
    raise BucketIdValidationError(bucket_id, "it is formatted as an IP address")


def validate_object_id(object_id: str) -> None:
    """Raise ``ObjectIdValidationError`` unless ``object_id`` follows the protocol's rules."""
    if not isinstance(object_id, str):
        raise ObjectIdValidationError(repr(object_id), "it must be a string")
    if not 1 <= len(object_id) <= 1024:
        raise ObjectIdValidationError(object_id, f"it has {len(object_id)} characters")
    if not _OBJECT_CHARS.fullmatch(object_id):
        raise ObjectIdValidationError(object_id, "it has characters that are not allowed")
    if object_id.startswith("/"):
        raise ObjectIdValidationError(object_id, "it starts with '/'")
    if any(segment in ("", ".", "..") for segment in object_id.split("/")):
        raise ObjectIdValidationError(object_id, "it has an empty, '.' or '..' path segment")


def check_expires_after(expires_after: int) -> None:
    """Raise ``ValueError`` unless ``expires_after`` is 1..604800 seconds."""
    if (
        not isinstance(expires_after, int)
        or isinstance(expires_after, bool)
        or not 1 <= expires_after <= MAX_EXPIRES_AFTER
    ):
        raise ValueError(
            f"expires_after must be 1 to {MAX_EXPIRES_AFTER} seconds, got {expires_after!r}."
        )


def check_part_number(part_number: int) -> None:
    """Raise ``ValueError`` unless ``part_number`` is 1..10000."""
    if (
        not isinstance(part_number, int)
        or isinstance(part_number, bool)
        or not 1 <= part_number <= MAX_PART_NUMBER
    ):
        raise ValueError(f"part_number must be 1 to {MAX_PART_NUMBER}, got {part_number!r}.")


def check_part_md5(part_md5: str | None) -> None:
    """Raise ``ValueError`` unless ``part_md5`` is None or a base64-encoded MD5 digest."""
    if part_md5 is None:
        return
    try:
        digest = base64.b64decode(part_md5, validate=True)
    except (binascii.Error, TypeError, ValueError):
        digest = b""
    if len(digest) != 16:
        raise ValueError(
            f"part_md5 must be the base64-encoded 16-byte MD5 digest of the part, got {part_md5!r}."
        )


def check_parts(
    parts: Sequence[UploadedPart],
    *,
    upload_id: str,
    bucket_id: str,
    object_id: str,
    anticipated_part_quantity: int | None,
    anticipated_part_size: int | None,
) -> None:
    """Raise ``MultiPartUploadConfirmError`` unless the parts make a valid object."""

    def fail(reason: str) -> MultiPartUploadConfirmError:
        return MultiPartUploadConfirmError(upload_id, bucket_id, object_id, reason)

    if not parts:
        raise fail("no parts were uploaded")
    ordered = sorted(parts, key=lambda part: part.part_number)
    if anticipated_part_quantity is not None and len(ordered) != anticipated_part_quantity:
        raise fail(f"{len(ordered)} parts were uploaded, {anticipated_part_quantity} anticipated")
    if anticipated_part_size is not None:
        for part in ordered[:-1]:
            if part.size != anticipated_part_size:
                raise fail(
                    f"part {part.part_number} has {part.size} bytes,"
                    f" {anticipated_part_size} anticipated"
                )
        last = ordered[-1]
        if last.size > anticipated_part_size:
            raise fail(
                f"the last part ({last.part_number}) has {last.size} bytes,"
                f" more than the anticipated {anticipated_part_size}"
            )

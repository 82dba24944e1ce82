"""Open multipart uploads of a bucket: listing them, and aborting those left behind.

An upload whose client crashed, or whose abort could not reach a server that was down,
stays open (and billed) until someone aborts it. On AWS S3 a bucket lifecycle rule
(``AbortIncompleteMultipartUpload`` with ``DaysAfterInitiation``) does this on the
server; :func:`abort_stale` does it from the provider, for servers without lifecycle
rules and for tests.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hexkit.protocols.objstorage import MultiPartUploadNotFoundError

from ._driver import Runner

__all__ = ["OpenUpload", "abort_stale", "list_uploads"]


@dataclass(frozen=True)
class OpenUpload:
    """One open multipart upload, as ListMultipartUploads reports it."""

    object_id: str
    upload_id: str
    initiated: datetime | None


async def list_uploads(runner: Runner, bucket_id: str, object_id: str | None) -> list[OpenUpload]:
    """Return the bucket's open uploads (of one object, if given), in S3's order."""
    params: dict[str, Any] = {"Bucket": bucket_id}
    if object_id is not None:
        params["Prefix"] = object_id
    found: list[OpenUpload] = []
    while True:
        page = await runner.call(runner.client.list_multipart_uploads, **params)
        found.extend(
            OpenUpload(upload["Key"], upload["UploadId"], upload.get("Initiated"))
            for upload in page.get("Uploads", [])
            if object_id is None or upload["Key"] == object_id
        )
        if not page.get("IsTruncated"):
            return found
        params["KeyMarker"] = page["NextKeyMarker"]
        params["UploadIdMarker"] = page["NextUploadIdMarker"]


async def abort(runner: Runner, bucket_id: str, upload: OpenUpload) -> bool:
    """Abort one upload; ``False`` if it was completed or aborted meanwhile."""
    with contextlib.suppress(MultiPartUploadNotFoundError):
        await runner.call(
            runner.client.abort_multipart_upload,
            Bucket=bucket_id,
            Key=upload.object_id,
            UploadId=upload.upload_id,
        )
        return True
    return False


async def abort_stale(runner: Runner, bucket_id: str, older_than: timedelta) -> int:
    """Abort the bucket's uploads started more than ``older_than`` ago; return how many.

    Ages are measured against this machine's clock; an upload without a start time
    counts as stale.
    """
    if older_than < timedelta(0):
        raise ValueError(f"older_than must not be negative, got {older_than!r}.")
    cutoff = datetime.now(UTC) - older_than
    aborted = 0
    for upload in await list_uploads(runner, bucket_id, None):
        if upload.initiated is None or upload.initiated <= cutoff:
            aborted += await abort(runner, bucket_id, upload)
    return aborted

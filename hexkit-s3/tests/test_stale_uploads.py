"""abort_stale_multipart_uploads: uploads left open by a crash are removed by age."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from hexkit.protocols.objstorage import BucketIdValidationError, BucketNotFoundError
from hexkit.providers.s3.testutils import S3Fixture

pytestmark = pytest.mark.asyncio

GAP = timedelta(seconds=2.5)  # the server's times have whole seconds


async def _started(s3: S3Fixture, bucket_id: str, upload_id: str) -> datetime:
    answer = await s3.storage._runner.call(
        s3.storage._runner.client.list_multipart_uploads, Bucket=bucket_id
    )
    for upload in answer.get("Uploads", []):
        if upload["UploadId"] == upload_id:
            return upload["Initiated"]
    raise AssertionError(f"upload {upload_id} is not open")


async def test_only_uploads_older_than_the_limit_are_aborted(s3: S3Fixture) -> None:
    await s3.populate_buckets(["stale", "other"])
    old = await s3.storage.init_multipart_upload("stale", "old")
    other_bucket = await s3.storage.init_multipart_upload("other", "old")
    if s3.server.reports_upload_start:
        # Poll until the old upload is GAP older than now, by the server's own record.
        started = await _started(s3, "stale", old)
        deadline = asyncio.get_running_loop().time() + 10
        while datetime.now(UTC) - started < GAP:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.1)
    new = await s3.storage.init_multipart_upload("stale", "new")

    aborted = await s3.storage.abort_stale_multipart_uploads(
        "stale", older_than=GAP - timedelta(seconds=1)
    )

    left = await s3.storage.list_multipart_uploads("stale")
    if s3.server.reports_upload_start:
        assert (aborted, left) == (1, [new])
    else:
        # moto dates every upload 2010-11-10: all of them are stale there.
        assert (aborted, left) == (2, [])
    assert await s3.storage.list_multipart_uploads("other") == [other_bucket]


async def test_nothing_is_younger_than_zero(s3: S3Fixture) -> None:
    await s3.populate_buckets(["stale"])
    for object_id in ("a", "b", "c"):
        await s3.storage.init_multipart_upload("stale", object_id)
    assert await s3.storage.abort_stale_multipart_uploads("stale", older_than=timedelta(0)) == 3
    assert await s3.storage.list_multipart_uploads("stale") == []
    assert await s3.storage.abort_stale_multipart_uploads("stale", older_than=timedelta(0)) == 0


async def test_a_long_limit_keeps_fresh_uploads(s3: S3Fixture) -> None:
    await s3.populate_buckets(["stale"])
    upload = await s3.storage.init_multipart_upload("stale", "a")
    aborted = await s3.storage.abort_stale_multipart_uploads("stale", older_than=timedelta(days=1))
    if s3.server.reports_upload_start:
        assert aborted == 0
        assert await s3.storage.list_multipart_uploads("stale") == [upload]
    else:
        assert aborted == 1  # moto's fixed 2010 start date


async def test_bad_arguments_are_refused(s3: S3Fixture) -> None:
    with pytest.raises(BucketNotFoundError):
        await s3.storage.abort_stale_multipart_uploads("missing", older_than=timedelta(0))
    with pytest.raises(BucketIdValidationError):
        await s3.storage.abort_stale_multipart_uploads("No_Such", older_than=timedelta(0))
    await s3.populate_buckets(["stale"])
    with pytest.raises(ValueError, match="older_than"):
        await s3.storage.abort_stale_multipart_uploads("stale", older_than=timedelta(seconds=-1))

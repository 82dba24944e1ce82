"""The complete example test of the README, verbatim, so the documentation keeps working."""

import pytest

from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture


@pytest.mark.asyncio
async def test_a_client_uploads_through_a_presigned_post(s3: S3Fixture) -> None:
    await s3.populate_buckets(["inbox"])
    post = await s3.storage.get_object_upload_url("inbox", "report.csv", max_upload_size=1024)

    await HttpTransfer().upload_post(post, b"a,b\n1,2\n")

    assert await s3.storage.get_object_size("inbox", "report.csv") == 8
    url = await s3.storage.get_object_download_url("inbox", "report.csv")
    assert await HttpTransfer().download(url) == b"a,b\n1,2\n"

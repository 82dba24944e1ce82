"""s3_checksums: botocore's CRC headers on uploads can be limited to where S3 needs them."""

from __future__ import annotations

from typing import Any

import pytest

from hexkit.providers.s3.testutils import S3Fixture

from ._helpers import drain

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("checksums", [None, "when_supported", "when_required"])
async def test_checksum_headers_follow_the_setting(s3: S3Fixture, checksums: str | None) -> None:
    await s3.populate_buckets(["headers"])
    sent: list[set[str]] = []

    def record(request: Any, **_: Any) -> None:
        sent.append({name.lower() for name in request.headers if "checksum" in name.lower()})

    async with s3.open_storage(s3_checksums=checksums) as storage:
        storage._client.meta.events.register("before-send.s3.PutObject", record)
        await storage.put_object("headers", "c", b"data")
        assert await drain(storage.get_object("headers", "c")) == b"data"
    if checksums == "when_required":
        assert sent == [set()]
    else:
        assert len(sent) == 1
        assert "x-amz-sdk-checksum-algorithm" in sent[0]

"""copy_object: one CopyObject up to the threshold, UploadPartCopy ranges above it."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError

from hexkit.protocols.objstorage import StorageUnavailableError
from hexkit.providers.s3.testutils import S3Fixture

from ._helpers import MIB, after_call, drain, on_call, payload

pytestmark = pytest.mark.asyncio

SMALL_COPY = {"s3_copy_threshold": 5 * MIB, "s3_copy_part_size": 5 * MIB}


def _break_part_two(params: dict[str, Any], **_: Any) -> None:
    if params["PartNumber"] == 2:
        raise ConnectionClosedError(endpoint_url="http://injected-failure")


async def test_objects_up_to_the_threshold_take_one_copy_object(s3: S3Fixture) -> None:
    data = payload(5 * MIB, seed=1)
    await s3.populate_file("source", "orig", data)
    await s3.populate_buckets(["dest"])
    calls: list[str] = []
    async with s3.open_storage(**SMALL_COPY) as storage:
        after_call(storage, "CopyObject", lambda **_: calls.append("copy"))
        after_call(storage, "UploadPartCopy", lambda **_: calls.append("part"))
        await storage.copy_object("source", "orig", "dest", "copy")
    assert calls == ["copy"]
    assert await drain(s3.storage.get_object("dest", "copy")) == data


async def test_larger_objects_are_copied_in_byte_ranges(s3: S3Fixture) -> None:
    data = payload(11 * MIB + 5, seed=2)
    await s3.populate_file("source", "orig", data, content_type="application/x-test")
    await s3.populate_buckets(["dest"])
    ranges: list[str] = []
    async with s3.open_storage(**SMALL_COPY) as storage:
        on_call(
            storage, "UploadPartCopy", lambda params, **_: ranges.append(params["CopySourceRange"])
        )
        await storage.copy_object("source", "orig", "dest", "copy")
    end = len(data) - 1
    assert sorted(ranges, key=lambda text: int(text[6:].split("-")[0])) == [
        f"bytes=0-{5 * MIB - 1}",
        f"bytes={5 * MIB}-{10 * MIB - 1}",
        f"bytes={10 * MIB}-{end}",
    ]
    metadata = await s3.storage.get_object_metadata("dest", "copy")
    assert metadata.etag.endswith("-3")
    assert metadata.content_type == "application/x-test"
    assert await drain(s3.storage.get_object("dest", "copy")) == data
    assert await s3.storage.list_multipart_uploads("dest") == []


async def test_a_failed_multipart_copy_is_aborted_by_default(s3: S3Fixture) -> None:
    await s3.populate_file("source", "orig", payload(11 * MIB))
    await s3.populate_buckets(["dest"])
    async with s3.open_storage(**SMALL_COPY) as storage:
        on_call(storage, "UploadPartCopy", _break_part_two)
        with pytest.raises(StorageUnavailableError):
            await storage.copy_object("source", "orig", "dest", "copy")
    assert await s3.storage.list_multipart_uploads("dest") == []
    assert not await s3.storage.does_object_exist("dest", "copy")


async def test_a_failed_multipart_copy_stays_open_without_abort_failed(s3: S3Fixture) -> None:
    await s3.populate_file("source", "orig", payload(11 * MIB))
    await s3.populate_buckets(["dest"])
    async with s3.open_storage(**SMALL_COPY) as storage:
        on_call(storage, "UploadPartCopy", _break_part_two)
        with pytest.raises(StorageUnavailableError):
            await storage.copy_object("source", "orig", "dest", "copy", abort_failed=False)
    uploads = await s3.storage.list_multipart_uploads("dest", "copy")
    assert len(uploads) == 1
    await s3.storage.abort_multipart_upload(uploads[0], "dest", "copy")

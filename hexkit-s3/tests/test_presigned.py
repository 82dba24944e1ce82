"""Presigned URLs over real HTTP: the POST policy, signed Content-MD5 and signatures."""

from __future__ import annotations

import base64
import datetime
import json

import pytest

from hexkit.protocols.objstorage import TransferRejectedError
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture

from ._helpers import MIB, payload

pytestmark = pytest.mark.asyncio


def _md5(data: bytes) -> str:
    import hashlib  # noqa: PLC0415

    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


async def test_the_post_policy_carries_a_content_length_range(s3: S3Fixture) -> None:
    await s3.populate_buckets(["posts"])
    limited = await s3.storage.get_object_upload_url("posts", "a", max_upload_size=1000)
    unlimited = await s3.storage.get_object_upload_url("posts", "b")
    policy = json.loads(base64.b64decode(limited.fields["policy"]))
    assert ["content-length-range", 0, 1000] in policy["conditions"]
    assert {"key": "a"} in policy["conditions"]
    open_policy = json.loads(base64.b64decode(unlimited.fields["policy"]))
    assert not [c for c in open_policy["conditions"] if isinstance(c, list)]


async def test_the_post_policy_expires_after_15_minutes_unless_told_otherwise(
    s3: S3Fixture,
) -> None:
    await s3.populate_buckets(["posts"])
    before = datetime.datetime.now(datetime.UTC)
    default = await s3.storage.get_object_upload_url("posts", "a")
    chosen = await s3.storage.get_object_upload_url("posts", "b", expires_after=3 * 3600)
    after = datetime.datetime.now(datetime.UTC)
    for post, seconds in ((default, 900), (chosen, 3 * 3600)):
        expiration = json.loads(base64.b64decode(post.fields["policy"]))["expiration"]
        expires = datetime.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        window = datetime.timedelta(seconds=seconds)
        assert before + window - datetime.timedelta(seconds=1) <= expires <= after + window


async def test_a_post_can_be_replayed_until_it_expires(s3: S3Fixture) -> None:
    # The documented replay window: the POST is a bearer credential, not a one-time token.
    await s3.populate_buckets(["posts"])
    post = await s3.storage.get_object_upload_url("posts", "again")
    await HttpTransfer().upload_post(post, b"first")
    await HttpTransfer().upload_post(post, b"second")
    assert await s3.storage.get_object_size("posts", "again") == len(b"second")


async def test_uploads_over_the_limit_are_refused_over_http(s3: S3Fixture) -> None:
    await s3.populate_buckets(["posts"])
    post = await s3.storage.get_object_upload_url("posts", "limited", max_upload_size=MIB)
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().upload_post(post, payload(MIB + 1))
    assert info.value.status == 400
    assert "EntityTooLarge" in info.value.detail
    assert not await s3.storage.does_object_exist("posts", "limited")
    await HttpTransfer().upload_post(post, payload(MIB))
    assert await s3.storage.get_object_size("posts", "limited") == MIB


async def test_a_post_for_one_key_cannot_write_another(s3: S3Fixture) -> None:
    await s3.populate_buckets(["posts"])
    post = await s3.storage.get_object_upload_url("posts", "mine")
    post.fields["key"] = "theirs"
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().upload_post(post, b"data")
    assert info.value.status == 403
    assert not await s3.storage.does_object_exist("posts", "theirs")


async def test_a_part_url_signed_with_an_md5_needs_that_header(s3: S3Fixture) -> None:
    await s3.populate_buckets(["parts"])
    part = payload(1000, seed=1)
    upload_id = await s3.storage.init_multipart_upload("parts", "p")
    url = await s3.storage.get_part_upload_url(upload_id, "parts", "p", 1, part_md5=_md5(part))
    assert "content-md5" in url
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().upload_part(url, part)
    assert info.value.status == 403
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().upload_part(url, payload(1000, seed=2), content_md5=_md5(part))
    assert info.value.status == 400  # BadDigest: the header does not match the body
    await HttpTransfer().upload_part(url, part, content_md5=_md5(part))
    await s3.storage.complete_multipart_upload(upload_id, "parts", "p")
    assert await s3.storage.get_object_size("parts", "p") == 1000


async def test_tampered_download_urls_are_refused(s3: S3Fixture) -> None:
    await s3.populate_file("urls", "public", b"public data")
    await s3.populate_file("urls", "private", b"private data")
    url = await s3.storage.get_object_download_url("urls", "public", expires_after=60)
    assert await HttpTransfer().download(url) == b"public data"
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().download(url.replace("/public?", "/private?"))
    assert info.value.status == 403


async def test_a_download_url_of_a_deleted_object_gives_404(s3: S3Fixture) -> None:
    await s3.populate_file("urls", "gone", b"x")
    url = await s3.storage.get_object_download_url("urls", "gone")
    await s3.storage.delete_object("urls", "gone")
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().download(url)
    assert info.value.status == 404
    assert "NoSuchKey" in info.value.detail

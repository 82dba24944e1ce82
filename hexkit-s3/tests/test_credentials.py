"""Signatures count: a second identity the server knows signs, a wrong secret does not.

The checks are made on presigned URLs and POST policies, which every test backend
verifies (moto through the strict layer; moto takes any header-signed request). The
provider checks that an object exists before it presigns a download, which a real server
refuses with a wrong secret, so the forged URLs come straight from boto3.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config

from hexkit.protocols.objstorage import TransferRejectedError
from hexkit.providers.s3 import S3CredentialsError
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture

pytestmark = pytest.mark.asyncio

WRONG = "not-the-secret-of-this-key"


def _signer(s3: S3Fixture, *, key_id: str | None = None, secret: str = WRONG) -> Any:
    """A boto3 client that signs for the test server with the given credentials."""
    return boto3.client(
        "s3",
        endpoint_url=s3.server.endpoint_url,
        region_name=s3.server.region,
        aws_access_key_id=key_id or s3.server.access_key_id,
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def _forged_url(s3: S3Fixture, bucket_id: str, object_id: str, **credentials: Any) -> str:
    url: str = _signer(s3, **credentials).generate_presigned_url(
        "get_object", Params={"Bucket": bucket_id, "Key": object_id}, ExpiresIn=60
    )
    return url


async def test_urls_signed_by_a_second_identity_the_server_knows_work(s3: S3Fixture) -> None:
    try:
        other = s3.server.other_config_values()
    except LookupError as error:
        pytest.skip(str(error))  # a running server given without a second identity
    await s3.populate_file("others", "x", b"shared")
    async with s3.open_storage(**other) as st:
        assert st is not s3.storage
        url = await st.get_object_download_url("others", "x", expires_after=60)
        post = await st.get_object_upload_url("others", "posted", max_upload_size=10)
    assert f"Credential={other['s3_access_key_id']}" in url.replace("%2F", "/")
    assert await HttpTransfer().download(url) == b"shared"
    await HttpTransfer().upload_post(post, b"from B")
    assert await s3.storage.get_object_size("others", "posted") == len(b"from B")


async def test_a_download_url_signed_with_a_wrong_secret_is_refused(s3: S3Fixture) -> None:
    await s3.populate_file("wrong", "x", b"data")
    right = _forged_url(s3, "wrong", "x", secret=s3.server.secret_access_key.get_secret_value())
    assert await HttpTransfer().download(right) == b"data"  # the way the URLs are made works
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().download(_forged_url(s3, "wrong", "x"))
    assert info.value.status == 403
    assert "SignatureDoesNotMatch" in info.value.detail


async def test_a_post_policy_signed_with_a_wrong_secret_is_refused(s3: S3Fixture) -> None:
    await s3.populate_buckets(["wrong"])
    post = await s3.storage.get_object_upload_url("wrong", "forged")
    forged = _signer(s3).generate_presigned_post("wrong", "forged", ExpiresIn=60)
    post.fields.update(forged["fields"])  # the same policy fields, signed with WRONG
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().upload_post(post, b"data")
    assert info.value.status == 403
    assert not await s3.storage.does_object_exist("wrong", "forged")


async def test_a_url_of_an_unknown_access_key_is_refused(s3: S3Fixture) -> None:
    await s3.populate_file("unknown", "x", b"data")
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().download(_forged_url(s3, "unknown", "x", key_id="nobody-knows-me"))
    assert info.value.status == 403


async def test_the_provider_with_a_wrong_secret_gets_a_credentials_error(s3: S3Fixture) -> None:
    await s3.populate_file("refused", "x", b"data")
    async with s3.open_storage(s3_secret_access_key=WRONG) as storage:
        if not s3.server.checks_header_signatures:
            # moto accepts any header signature (README, "The moto backend"): pin that, so
            # this test fails, and the README is fixed, the day moto starts to check.
            assert await storage.does_object_exist("refused", "x")
            return
        for call in (
            storage.does_object_exist("refused", "x"),  # a HEAD: a bare 403, no error code
            storage.put_object("refused", "y", b"data"),
            storage.create_bucket("refused-too"),
        ):
            with pytest.raises(S3CredentialsError) as info:
                await call
            assert WRONG not in str(info.value)
            assert "secret access key" in str(info.value)

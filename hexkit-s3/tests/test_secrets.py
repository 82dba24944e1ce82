"""Secrets stay out of logs, even at DEBUG level, through a whole flow."""

from __future__ import annotations

import logging

import pytest

from hexkit.protocols.objstorage import ObjectNotFoundError, ObjectStorageError
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture

from ._helpers import MIB, chunks, drain, payload

pytestmark = pytest.mark.asyncio


async def test_no_secret_in_debug_logs_or_errors(
    s3: S3Fixture, caplog: pytest.LogCaptureFixture
) -> None:
    secret = s3.server.secret_access_key.get_secret_value()
    caplog.set_level(logging.DEBUG)
    async with s3.open_storage(s3_multipart_threshold=1) as st:
        await st.create_bucket("logs")
        await st.put_object("logs", "big", chunks(payload(6 * MIB), MIB))
        post = await st.get_object_upload_url("logs", "posted", max_upload_size=10)
        await HttpTransfer().upload_post(post, b"0123456789")
        assert await drain(st.get_object("logs", "posted")) == b"0123456789"
        with pytest.raises(ObjectNotFoundError) as info:
            await st.get_object_metadata("logs", "missing")
    assert "Signature" in caplog.text  # botocore did log its signing at DEBUG level
    for text in (caplog.text, str(info.value), repr(info.value.__cause__)):
        assert secret not in text


async def test_a_session_token_is_sent_but_never_logged_or_echoed(
    s3: S3Fixture, caplog: pytest.LogCaptureFixture
) -> None:
    # A real server refuses a token it did not issue and moto takes any: either way the
    # token goes out in X-Amz-Security-Token, and neither a log line nor an error shows it.
    token = "token-abc-123"  # noqa: S105 - made up, to see that it never leaks
    caplog.set_level(logging.DEBUG)
    errors: list[ObjectStorageError] = []
    async with s3.open_storage(s3_session_token=token) as st:
        for bucket_id in ("tokens", "no-such-bucket"):
            try:
                await st.get_object_metadata(bucket_id, "missing")
            except ObjectStorageError as error:
                errors.append(error)
    assert len(errors) == 2  # a missing object or a refused token: both are errors
    assert "X-Amz-Security-Token" in caplog.text
    for text in (caplog.text, *map(str, errors), *(repr(e.__cause__) for e in errors)):
        assert token not in text

"""Secrets stay out of logs, even at DEBUG level, through a whole flow."""

from __future__ import annotations

import logging

import pytest

from hexkit.protocols.objstorage import ObjectNotFoundError
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture

from ._helpers import MIB, chunks, drain, payload


@pytest.mark.asyncio
async def test_no_secret_in_debug_logs_or_errors(
    s3: S3Fixture, caplog: pytest.LogCaptureFixture
) -> None:
    secret = s3.server.secret_access_key.get_secret_value()
    caplog.set_level(logging.DEBUG)
    token = "token-abc-123"  # noqa: S105 - made up, to see that it never leaks
    async with s3.open_storage(s3_multipart_threshold=1, s3_session_token=token) as st:
        await st.create_bucket("logs")
        await st.put_object("logs", "big", chunks(payload(6 * MIB), MIB))
        post = await st.get_object_upload_url("logs", "posted", max_upload_size=10)
        await HttpTransfer().upload_post(post, b"0123456789")
        assert await drain(st.get_object("logs", "posted")) == b"0123456789"
        with pytest.raises(ObjectNotFoundError) as info:
            await st.get_object_metadata("logs", "missing")
    assert caplog.records  # botocore did log at DEBUG level
    for text in (caplog.text, str(info.value), repr(info.value.__cause__)):
        assert secret not in text
        assert token not in text

"""The S3 provider passes the core's conformance kit, over real HTTP to the test server."""

from __future__ import annotations

import pytest_asyncio

from hexkit.providers.s3 import S3ObjectStorage
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture
from hexkit.testing import ObjectStorageConformance


class TestS3Conformance(ObjectStorageConformance):
    """Every protocol rule against the session's S3 server (moto unless told otherwise).

    The capability flags stay at their defaults: S3 enforces 5 MiB parts, the POST
    policy's size limit and signed Content-MD5, and so does the embedded server.
    """

    @pytest_asyncio.fixture
    async def storage(self, s3: S3Fixture) -> S3ObjectStorage:
        return s3.storage

    @pytest_asyncio.fixture
    async def transfer(self) -> HttpTransfer:
        return HttpTransfer()

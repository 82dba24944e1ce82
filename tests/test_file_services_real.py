"""The file services end to end over MongoDB and S3, on the servers the fixtures start.

Part URLs, downloads and the registry's copies all go over real HTTP to the S3 server;
records go over the wire protocol to the MongoDB-compatible server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

import pytest_asyncio
from file_services_flows import FileServiceFlows
from file_services_harness import FileServices, run_file_services

from hexkit.providers.mongodb.testutils import MongoDbFixture
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture

PART_SIZE = 5 * 1024 * 1024  # S3's smallest part other than the last


class TestFileServicesOverMongoDbAndS3(FileServiceFlows):
    file_size: ClassVar[int] = 2 * PART_SIZE + 1234

    @pytest_asyncio.fixture
    async def services(self, mongodb: MongoDbFixture, s3: S3Fixture) -> AsyncIterator[FileServices]:
        async with run_file_services(
            mongodb.dao_factory, s3.storage, HttpTransfer(), part_size=PART_SIZE
        ) as services:
            yield services

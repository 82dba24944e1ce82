"""The file services end to end over a real database and S3, on the servers the fixtures start.

The same flows run over MongoDB and over PostgreSQL; only the DAO factory handed to the
wiring differs. Part URLs, downloads and the registry's copies all go over real HTTP to
the S3 server; records go over the wire protocol to the database server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

import pytest
import pytest_asyncio
from file_services_flows import FileServiceFlows
from file_services_harness import FileServices, run_file_services
from file_services_race_flows import RaceFlows
from file_services_security_flows import SecurityFlows

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.providers.postgres.testutils import PostgresFixture
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture

PART_SIZE = 5 * 1024 * 1024  # S3's smallest part other than the last
# The DAO backends, by the name of the fixture that yields their per-test handle.
DATABASES = ["mongodb", "postgres"]


class TestFileServicesOverDatabaseAndS3(FileServiceFlows):
    file_size: ClassVar[int] = 2 * PART_SIZE + 1234

    @pytest.fixture(params=DATABASES)
    def dao_factory(self, request: pytest.FixtureRequest) -> DaoFactoryProtocol:
        """The DAO factory of the backend this run is parametrized with."""
        factory: DaoFactoryProtocol = request.getfixturevalue(request.param).dao_factory
        return factory

    @pytest_asyncio.fixture
    async def services(
        self, dao_factory: DaoFactoryProtocol, s3: S3Fixture
    ) -> AsyncIterator[FileServices]:
        async with run_file_services(
            dao_factory, s3.storage, HttpTransfer(), part_size=PART_SIZE
        ) as services:
            yield services


class TestFileServiceSecurityOverPostgresAndS3(SecurityFlows):
    """The forgeries and races over PostgreSQL and S3, where races are real."""

    file_size: ClassVar[int] = 2 * PART_SIZE + 1234

    @pytest_asyncio.fixture
    async def services(
        self, postgres: PostgresFixture, s3: S3Fixture
    ) -> AsyncIterator[FileServices]:
        async with run_file_services(
            postgres.dao_factory, s3.storage, HttpTransfer(), part_size=PART_SIZE
        ) as services:
            yield services


class TestFileServiceRacesOverPostgresAndS3(RaceFlows):
    """Complete against cancel and concurrent completes, where requests really overlap."""

    @pytest_asyncio.fixture
    async def services(
        self, postgres: PostgresFixture, s3: S3Fixture
    ) -> AsyncIterator[FileServices]:
        async with run_file_services(
            postgres.dao_factory, s3.storage, HttpTransfer(), part_size=PART_SIZE
        ) as services:
            yield services

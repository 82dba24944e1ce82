"""The PostgreSQL provider passes the core's DAO conformance kit on a real server."""

from __future__ import annotations

import pytest_asyncio

from hexkit.providers.postgres import PostgresDaoFactory
from hexkit.providers.postgres.testutils import PostgresFixture
from hexkit.testing import DaoConformance


class TestPostgresConformance(DaoConformance):
    """Every DAO protocol rule, on the session's server (embedded PostgreSQL by default)."""

    @pytest_asyncio.fixture
    async def dao_factory(self, postgres: PostgresFixture) -> PostgresDaoFactory:
        return postgres.dao_factory

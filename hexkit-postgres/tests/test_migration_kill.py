"""A runner process SIGKILLed mid-migration on PostgreSQL: the rerun loses and repeats nothing.

The server stays up; the runner dies with its connections, its half-written staging table
and its lock.
"""

from __future__ import annotations

import pytest

from hexkit.providers.postgres import PostgresDaoFactory
from hexkit.providers.postgres.testutils import PostgresFixture
from hexkit.testing import MigrationProcessTests


class TestPostgresRunnerKilled(MigrationProcessTests):
    """The kit's real-process crash test against embedded PostgreSQL."""

    provider = "postgres"

    @pytest.fixture
    def dao_factory(self, postgres: PostgresFixture) -> PostgresDaoFactory:
        return postgres.dao_factory

    @pytest.fixture
    def runner_environment(self, postgres: PostgresFixture) -> dict[str, str]:
        return {
            "HEXKIT_POSTGRES_POSTGRES_DSN": postgres.config.postgres_dsn.get_secret_value(),
            "HEXKIT_POSTGRES_POSTGRES_SCHEMA": postgres.schema,
        }

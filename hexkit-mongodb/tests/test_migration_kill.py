"""A runner process SIGKILLed mid-migration on MongoDB: the rerun loses and repeats nothing."""

from __future__ import annotations

import pytest

from hexkit.providers.mongodb import MongoDbDaoFactory
from hexkit.providers.mongodb.testutils import MongoDbFixture
from hexkit.testing import MigrationProcessTests


class TestMongoDbRunnerKilled(MigrationProcessTests):
    """The kit's real-process crash test against the embedded server."""

    provider = "mongodb"

    @pytest.fixture
    def dao_factory(self, mongodb: MongoDbFixture) -> MongoDbDaoFactory:
        return mongodb.dao_factory

    @pytest.fixture
    def runner_environment(self, mongodb: MongoDbFixture) -> dict[str, str]:
        return {
            "HEXKIT_MONGODB_MONGO_DSN": mongodb.config.mongo_dsn.get_secret_value(),
            "HEXKIT_MONGODB_DB_NAME": mongodb.config.db_name,
        }

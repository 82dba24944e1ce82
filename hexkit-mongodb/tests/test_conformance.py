"""The MongoDB provider passes the core's DAO conformance kit, with both drivers."""

from __future__ import annotations

import pytest

from hexkit.providers.mongodb import MongoDbDaoFactory
from hexkit.providers.mongodb.testutils import MongoDbFixture
from hexkit.testing import DaoConformance


class TestMongoDbConformance(DaoConformance):
    """Every DAO protocol rule against the embedded server (a single-node replica set)."""

    supports_transactions = True

    @pytest.fixture(params=["pymongo", "motor"])
    def mongodb_driver(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    def dao_factory(self, mongodb: MongoDbFixture) -> MongoDbDaoFactory:
        return mongodb.dao_factory

"""The DAO state machine: MongoDB, with both drivers, against the memory reference."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.providers.mongodb.testutils import MongoDbFixture, MongoDbServer
from hexkit.testing.stateful import DaoStatefulTests, OpenDaoFactory


class TestMongoDbDaoMachine(DaoStatefulTests):
    """Each example gets a fresh database on the session's server, dropped afterwards."""

    @pytest.fixture(params=["pymongo", "motor"])
    def mongodb_driver(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    def open_dao_factory(
        self, mongodb_server: MongoDbServer, mongodb_driver: str
    ) -> OpenDaoFactory:
        @asynccontextmanager
        async def open_factory() -> AsyncIterator[DaoFactoryProtocol]:
            name = f"hexkit_machine_{uuid.uuid4().hex[:12]}"
            fixture = MongoDbFixture(mongodb_server.config(name, driver=mongodb_driver))
            await fixture.open()
            try:
                yield fixture.dao_factory
            finally:
                await fixture.close()

        return open_factory

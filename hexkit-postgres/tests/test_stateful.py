"""The DAO state machine: PostgreSQL against the memory reference, operation by operation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.providers.postgres.testutils import PostgresFixture, PostgresServer
from hexkit.testing.stateful import DaoStatefulTests, OpenDaoFactory


class TestPostgresDaoMachine(DaoStatefulTests):
    """Each example gets a fresh schema on the session's server, dropped afterwards."""

    @pytest.fixture
    def open_dao_factory(self, postgres_server: PostgresServer) -> OpenDaoFactory:
        @asynccontextmanager
        async def open_factory() -> AsyncIterator[DaoFactoryProtocol]:
            async with PostgresFixture.open(postgres_server) as fixture:
                yield fixture.dao_factory

        return open_factory

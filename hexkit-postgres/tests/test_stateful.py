"""The DAO state machine: PostgreSQL against the memory reference, operation by operation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from pydantic import SecretStr

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.providers.postgres.testutils import EmbeddedPostgres, PostgresFixture, PostgresServer
from hexkit.testing.stateful import DaoStatefulTests, OpenDaoFactory, ServerFaults


class TestPostgresDaoMachine(DaoStatefulTests):
    """Each example gets a fresh schema on the session's server, dropped afterwards."""

    @pytest.fixture
    def open_dao_factory(self, postgres_server: PostgresServer) -> OpenDaoFactory:
        @asynccontextmanager
        async def open_factory() -> AsyncIterator[DaoFactoryProtocol]:
            async with PostgresFixture.open(postgres_server) as fixture:
                yield fixture.dao_factory

        return open_factory


FAULT_TIMEOUT = 1.5  # postgres_timeout of the machine with faults, seconds


@pytest.fixture
def own_server() -> Iterator[EmbeddedPostgres]:
    """A server of this test's own: the machine kills and freezes it."""
    with EmbeddedPostgres() as server:
        yield server


class TestPostgresDaoMachineWithFaults(DaoStatefulTests):
    """The machine against a server it may SIGKILL (then restart) or SIGSTOP (then resume)."""

    max_examples = 12  # faults cost seconds each; about one example in four has one

    @pytest.fixture
    def open_dao_factory(self, own_server: EmbeddedPostgres) -> OpenDaoFactory:
        server = PostgresServer(backend="embedded", dsn=SecretStr(own_server.dsn))

        @asynccontextmanager
        async def open_factory() -> AsyncIterator[DaoFactoryProtocol]:
            async with PostgresFixture.open(server, postgres_timeout=FAULT_TIMEOUT) as fixture:
                yield fixture.dao_factory

        return open_factory

    @pytest.fixture
    def server_faults(self, own_server: EmbeddedPostgres) -> ServerFaults:
        return ServerFaults.of_server(own_server, call_timeout=FAULT_TIMEOUT)

"""The DAO state machine: MongoDB, with both drivers, against the memory reference."""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from hypothesis import strategies as st

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.providers.mongodb import MongoDbConfig, MongoDbDaoFactory
from hexkit.providers.mongodb.testutils import EmbeddedMongoDb, MongoDbFixture, MongoDbServer
from hexkit.testing.stateful import (
    FIELD_KINDS,
    DaoStatefulTests,
    FieldKind,
    OpenDaoFactory,
    ServerFaults,
)


def secantus_field_kinds() -> tuple[FieldKind, ...]:
    """The field kinds, with floats kept within 1e-100..1e100 in magnitude (or 0).

    SecantusDB's unique indexes take doubles of extreme exponents as equal (1e-200 and
    1e200 collide, so do -1e-300 and -2e-300), a deviation of that server, not of
    MongoDB: the machine keeps away from it there and draws every float on ``mongod``.
    """
    moderate = st.one_of(
        st.just(0.0),
        st.floats(min_value=1e-100, max_value=1e100),
        st.floats(min_value=-1e100, max_value=-1e-100),
    )
    refused = st.sampled_from([math.inf, math.nan])
    floats = st.integers(0, 9).flatmap(lambda n: refused if n == 0 else moderate)
    return tuple(
        dataclasses.replace(kind, values=floats) if kind.annotation is float else kind
        for kind in FIELD_KINDS
    )


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

    @pytest.fixture
    def field_kinds(self, mongodb_server: MongoDbServer) -> tuple[FieldKind, ...]:
        return secantus_field_kinds() if mongodb_server.backend == "embedded" else FIELD_KINDS


FAULT_TIMEOUT = 1  # mongo_timeout of the machine with faults, seconds (an int)


@pytest.fixture
def own_server() -> Iterator[EmbeddedMongoDb]:
    """A server of this test's own: the machine kills and freezes it."""
    with EmbeddedMongoDb() as server:
        yield server


class TestMongoDbDaoMachineWithFaults(DaoStatefulTests):
    """The machine against a server it may SIGKILL (then restart) or SIGSTOP (then resume)."""

    max_examples = 12  # faults cost seconds each; about one example in four has one

    @pytest.fixture(params=["pymongo", "motor"])
    def mongodb_driver(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    def open_dao_factory(self, own_server: EmbeddedMongoDb, mongodb_driver: str) -> OpenDaoFactory:
        @asynccontextmanager
        async def open_factory() -> AsyncIterator[DaoFactoryProtocol]:
            config = MongoDbConfig(
                # A short heartbeat lets the driver notice a restart promptly.
                mongo_dsn=f"{own_server.dsn}?heartbeatFrequencyMS=500",  # type: ignore[arg-type]
                db_name=f"hexkit_machine_{uuid.uuid4().hex[:12]}",
                mongo_timeout=FAULT_TIMEOUT,
                mongo_driver=mongodb_driver,  # type: ignore[arg-type]
            )
            async with MongoDbDaoFactory.construct(config=config) as factory:
                yield factory

        return open_factory

    @pytest.fixture
    def field_kinds(self) -> tuple[FieldKind, ...]:
        return secantus_field_kinds()  # its own server is SecantusDB

    @pytest.fixture
    def server_faults(self, own_server: EmbeddedMongoDb) -> ServerFaults:
        # SecantusDB writes a committed transaction to disk up to ~0.3 s after it
        # acknowledged the commit, journal=True or not (single writes it journals
        # first); real mongod journals before acknowledging a journaled commit.
        return ServerFaults.of_server(own_server, call_timeout=FAULT_TIMEOUT, durable_after=1.0)

"""Pytest fixtures for code that uses the MongoDB provider.

Enable them in a ``conftest.py``::

    pytest_plugins = ["hexkit.providers.mongodb.testutils"]

Fixtures:

- ``mongodb_server`` (session scope): a running server, a :class:`MongoDbServer`.
- ``mongodb`` (function scope): a :class:`MongoDbFixture` with ``.config``,
  ``.dao_factory`` and ``await .reset()``, on a fresh database per test that is
  dropped afterwards.
- ``mongodb_driver`` (function scope): ``"pymongo"`` unless
  ``HEXKIT_TEST_MONGODB_DRIVER`` says ``"motor"``; override it (for example with
  ``params=["pymongo", "motor"]``) to run tests against both drivers.

The server comes from ``HEXKIT_TEST_MONGODB``:

- ``auto`` (default): ``testcontainers`` when a Docker daemon answers, else ``embedded``;
- ``testcontainers``: the official ``mongo`` image (``HEXKIT_TEST_MONGODB_IMAGE``,
  default ``mongo:8.0``) as a single-node replica set, so transactions work;
- ``embedded``: SecantusDB in a child process on a free loopback port;
- a ``mongodb://`` or ``mongodb+srv://`` DSN: an existing server (each test uses
  its own database and drops it afterwards).

``EmbeddedMongoDb`` starts a SecantusDB server process of your own, for tests that
kill and restart the database (``kill()``, ``start()`` on the same port and data).

The driver client is bound to one event loop, so ``mongodb`` builds and closes its
factory in the loop the test runs in, whether pytest-asyncio gives the test a
function-scoped or a wider loop (``@pytest.mark.asyncio(loop_scope="session")``).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from pydantic import SecretStr
from pymongo.errors import PyMongoError

from ._config import MongoDbConfig
from ._factory import MongoDbDaoFactory
from ._servers import EmbeddedMongoDb, docker_answers, mongo_container

__all__ = [
    "BACKEND_ENV",
    "DRIVER_ENV",
    "EmbeddedMongoDb",
    "MongoDbFixture",
    "MongoDbServer",
    "mongodb",
    "mongodb_driver",
    "mongodb_server",
    "running_server",
]

BACKEND_ENV = "HEXKIT_TEST_MONGODB"
DRIVER_ENV = "HEXKIT_TEST_MONGODB_DRIVER"
_TEST_TIMEOUT = 10  # seconds: a test against a dead server fails fast, not after 30 s


@dataclass(frozen=True)
class MongoDbServer:
    """A running server for tests: its DSN (secret) and which backend runs it."""

    dsn: SecretStr
    backend: Literal["testcontainers", "embedded", "dsn"]

    def config(
        self, db_name: str, *, driver: Literal["pymongo", "motor"] = "pymongo"
    ) -> MongoDbConfig:
        """Return provider settings for database ``db_name`` on this server."""
        return MongoDbConfig(
            mongo_dsn=self.dsn,
            db_name=db_name,
            mongo_timeout=_TEST_TIMEOUT,
            mongo_driver=driver,
        )


@contextmanager
def running_server(choice: str | None = None) -> Iterator[MongoDbServer]:
    """Provide a server as ``HEXKIT_TEST_MONGODB`` (or ``choice``) says; see the module doc."""
    choice = (choice if choice is not None else os.environ.get(BACKEND_ENV, "")) or "auto"
    if choice.startswith(("mongodb://", "mongodb+srv://")):
        yield MongoDbServer(dsn=SecretStr(choice), backend="dsn")
        return
    if choice == "auto":
        choice = "testcontainers" if docker_answers() else "embedded"
    if choice == "testcontainers":
        with mongo_container() as dsn:
            yield MongoDbServer(dsn=SecretStr(dsn), backend="testcontainers")
    elif choice == "embedded":
        with EmbeddedMongoDb() as server:
            yield MongoDbServer(dsn=SecretStr(server.dsn), backend="embedded")
    else:
        raise ValueError(
            f"{BACKEND_ENV} must be 'auto', 'testcontainers', 'embedded' or a mongodb:// DSN,"
            f" got {choice!r}; fix the environment variable."
        )


class MongoDbFixture:
    """One test's database: settings, an open DAO factory, and a way to empty it."""

    def __init__(self, config: MongoDbConfig) -> None:
        self.config = config
        self._stack = AsyncExitStack()
        self._factory: MongoDbDaoFactory | None = None

    @property
    def dao_factory(self) -> MongoDbDaoFactory:
        """The factory over this test's database, open for the whole test."""
        if self._factory is None:
            raise RuntimeError("The mongodb fixture is not open; request it as a fixture.")
        return self._factory

    async def open(self) -> None:
        """Construct the factory; call it in the event loop that will use it."""
        construct: AbstractAsyncContextManager[MongoDbDaoFactory] = MongoDbDaoFactory.construct(
            config=self.config
        )
        self._factory = await self._stack.enter_async_context(construct)

    async def reset(self) -> None:
        """Delete every document of this test's database, keeping collections and indexes.

        DAOs obtained before stay valid, including their unique indexes.
        """
        database = self.dao_factory._database
        for name in await database.list_collection_names():
            await database[name].delete_many({})

    async def close(self) -> None:
        """Drop this test's database and close the factory's client."""
        if self._factory is not None:
            try:
                await self._factory._client.drop_database(self.config.db_name)
            except PyMongoError:
                pass  # the test took the server away; its database goes with the server
            finally:
                self._factory = None
                await self._stack.aclose()


def _test_runner(request: pytest.FixtureRequest) -> asyncio.Runner:
    """Return pytest-asyncio's runner of the loop this test runs in."""
    marker = request.node.get_closest_marker("asyncio")
    scope: Any = None
    if marker is not None:
        scope = marker.kwargs.get("loop_scope") or marker.kwargs.get("scope")
    scope = scope or request.config.getini("asyncio_default_test_loop_scope") or "function"
    try:
        runner: asyncio.Runner = request.getfixturevalue(f"_{scope}_scoped_runner")
    except pytest.FixtureLookupError:
        raise RuntimeError(
            "The mongodb fixture needs pytest-asyncio>=1.0 (its loop runners);"
            ' run `pip install "hexkit-mongodb[testing]"`.'
        ) from None
    return runner


@pytest.fixture(scope="session")
def mongodb_server() -> Iterator[MongoDbServer]:
    """Yield a running MongoDB-compatible server for the whole test session."""
    with running_server() as server:
        yield server


@pytest.fixture
def mongodb_driver() -> Literal["pymongo", "motor"]:
    """Return the driver the ``mongodb`` fixture uses; override it to test both."""
    driver = os.environ.get(DRIVER_ENV, "pymongo")
    if driver not in ("pymongo", "motor"):
        raise ValueError(f"{DRIVER_ENV} must be 'pymongo' or 'motor', got {driver!r}.")
    return driver  # type: ignore[return-value]


@pytest.fixture
def mongodb(
    mongodb_server: MongoDbServer,
    mongodb_driver: Literal["pymongo", "motor"],
    request: pytest.FixtureRequest,
) -> Iterator[MongoDbFixture]:
    """Yield a fresh database and an open DAO factory, built in the test's event loop."""
    runner = _test_runner(request)
    db_name = f"hexkit_test_{uuid.uuid4().hex[:16]}"
    fixture = MongoDbFixture(mongodb_server.config(db_name, driver=mongodb_driver))
    runner.run(fixture.open())
    try:
        yield fixture
    finally:
        runner.run(fixture.close())

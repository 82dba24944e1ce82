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

``HEXKIT_TEST_MONGODB`` picks the server: ``auto`` (default), ``embedded``,
``testcontainers`` or a ``mongodb://`` DSN; see
:mod:`hexkit.providers.mongodb.testutils._backends`. :class:`EmbeddedMongoDb` starts a
SecantusDB server process of your own, for tests that kill and restart the database
(``kill()``, ``start()`` on the same port and data). Needs ``hexkit-mongodb[testing]``.

The driver client is bound to one event loop, so ``mongodb`` builds and closes its
factory in the loop the test runs in, whether pytest-asyncio gives the test a
function-scoped or a wider loop (``@pytest.mark.asyncio(loop_scope="session")``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Literal

try:
    import pytest
except ImportError as _missing:  # the [testing] extra is not installed
    raise ImportError(
        f"{__name__} needs the testing extra ({_missing.name} is not installed);"
        " run: pip install 'hexkit-mongodb[testing]'",
        name=_missing.name,
    ) from _missing

from ._backends import BACKEND_ENV, EmbeddedMongoDb, MongoDbServer, running_server
from ._dev import MongoDbDevServer, dev_server
from ._fixture import DRIVER_ENV, MongoDbFixture, loop_runner

__all__ = [
    "BACKEND_ENV",
    "DRIVER_ENV",
    "EmbeddedMongoDb",
    "MongoDbDevServer",
    "MongoDbFixture",
    "MongoDbServer",
    "dev_server",
    "mongodb",
    "mongodb_driver",
    "mongodb_server",
    "running_server",
]


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
    runner = loop_runner(request)
    db_name = f"hexkit_test_{uuid.uuid4().hex[:16]}"
    fixture = MongoDbFixture(mongodb_server.config(db_name, driver=mongodb_driver))
    runner.run(fixture.open())
    try:
        yield fixture
    finally:
        runner.run(fixture.close())

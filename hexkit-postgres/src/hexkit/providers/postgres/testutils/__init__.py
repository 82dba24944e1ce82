"""Pytest fixtures for code that uses the PostgreSQL provider.

Enable them in a ``conftest.py``::

    pytest_plugins = ["hexkit.providers.postgres.testutils"]

then use ``postgres`` (function scope: a :class:`PostgresFixture` with ``.config``,
``.dao_factory``, ``.schema``, ``.connect()``, ``.open_factory(**overrides)`` and
``.reset()``, on a schema of its own that is dropped afterwards), ``postgres_server``
(session scope: a :class:`PostgresServer`) and ``postgres_dsn`` (session scope: the
server's DSN as a plain string, for tools of your own). ``HEXKIT_TEST_POSTGRES`` picks
the server: ``auto`` (default), ``embedded``, ``testcontainers`` or a DSN; see
:mod:`hexkit.providers.postgres.testutils._backends`. :class:`EmbeddedPostgres` runs a
server of your own, for tests that kill, pause and restart it. Needs
``hexkit-postgres[testing]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

try:
    import pytest
    import pytest_asyncio
except ImportError as _missing:  # the [testing] extra is not installed
    raise ImportError(
        f"{__name__} needs the testing extra ({_missing.name} is not installed);"
        " run: pip install 'hexkit-postgres[testing]'",
        name=_missing.name,
    ) from _missing

from ._backends import (
    BACKEND_ENV,
    IMAGE_ENV,
    EmbeddedPostgres,
    PostgresServer,
    start_server,
)
from ._dev import PostgresDevServer, dev_server
from ._fixture import PostgresFixture

__all__ = [
    "BACKEND_ENV",
    "IMAGE_ENV",
    "EmbeddedPostgres",
    "PostgresDevServer",
    "PostgresFixture",
    "PostgresServer",
    "dev_server",
    "postgres",
    "postgres_dsn",
    "postgres_server",
    "start_server",
]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start the PostgreSQL test server once per session (see ``HEXKIT_TEST_POSTGRES``)."""
    with start_server() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """Return the DSN of the session's server (it is a test server's, so not secret)."""
    return postgres_server.dsn.get_secret_value()


@pytest_asyncio.fixture
async def postgres(postgres_server: PostgresServer) -> AsyncIterator[PostgresFixture]:
    """Yield a factory on a fresh schema; the schema is dropped afterwards."""
    async with PostgresFixture.open(postgres_server) as fixture:
        yield fixture

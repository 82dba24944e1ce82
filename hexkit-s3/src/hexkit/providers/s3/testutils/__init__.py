"""Pytest fixtures for the S3 provider, and a real-HTTP ``PresignedTransfer``.

Enable the fixtures in a ``conftest.py``::

    pytest_plugins = ["hexkit.providers.s3.testutils"]

then use ``s3`` (function scope: ``.config``, ``.storage``, ``.populate_buckets()``,
``.populate_file()``, ``.reset()``, ``.open_storage(**overrides)``) and ``s3_server``
(session scope: where the server listens). ``HEXKIT_TEST_S3`` picks the server:
``auto`` (default), ``embedded`` (= ``seaweedfs``), ``moto``, ``testcontainers`` or an
``http(s)://`` endpoint; see :mod:`hexkit.providers.s3.testutils._backends`.
:class:`SeaweedServer` runs SeaweedFS on its own, for tests that stop or kill it;
``s3_cluster`` (function scope) yields a :class:`SeaweedCluster`, a master, three volume
servers keeping every object twice and a filer with the S3 gateway, each a process of its
own, for tests that crash one node. Needs ``hexkit-s3[testing]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

try:
    import pytest
    import pytest_asyncio
except ImportError as _missing:  # the [testing] extra is not installed
    raise ImportError(
        f"{__name__} needs the testing extra ({_missing.name} is not installed);"
        " run: pip install 'hexkit-s3[testing]'",
        name=_missing.name,
    ) from _missing

from ._backends import BACKEND_ENV, S3Server, seaweed_identities, start_server
from ._cluster import SeaweedCluster, SeaweedNode
from ._dev import S3DevServer, dev_server
from ._fixture import S3Fixture
from ._http import HttpTransfer
from ._seaweedfs import SeaweedIdentity, SeaweedServer

__all__ = [
    "BACKEND_ENV",
    "HttpTransfer",
    "S3DevServer",
    "S3Fixture",
    "S3Server",
    "SeaweedCluster",
    "SeaweedIdentity",
    "SeaweedNode",
    "SeaweedServer",
    "dev_server",
    "s3",
    "s3_cluster",
    "s3_server",
    "start_server",
]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """Start the S3 test server once per session (see ``HEXKIT_TEST_S3``)."""
    with start_server() as server:
        yield server


@pytest_asyncio.fixture
async def s3(s3_server: S3Server) -> AsyncIterator[S3Fixture]:
    """Yield a storage on an empty server; everything it stored is deleted afterwards."""
    async with S3Fixture.open(s3_server) as fixture:
        await fixture.reset()
        yield fixture
        await fixture.reset()


@pytest.fixture
def s3_cluster() -> Iterator[SeaweedCluster]:
    """Start a SeaweedFS cluster for one test; every process and file is gone afterwards."""
    with SeaweedCluster(seaweed_identities()) as cluster:
        yield cluster

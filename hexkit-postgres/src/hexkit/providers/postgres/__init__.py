"""The PostgreSQL provider of hexkit's DAO protocol.

Build the factory with ``PostgresDaoFactory.construct(config=PostgresConfig(...))``
or through the registry as the ``dao`` provider named ``"postgres"``. Test fixtures
live in :mod:`hexkit.providers.postgres.testutils` (a pytest plugin package).

``encode_document`` is the provider's encoding of a DTO (its ID and JSONB text) and
``FIND_BATCH_SIZE`` the rows per round trip of a streamed find, public for raw-driver
interop and benchmarks.

The public names load on first access: the registry imports this package's
``_plugin`` module to list providers, and listing must not import asyncpg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hexkit.registry import lazy_exports

if TYPE_CHECKING:
    from ._codec import encode_document
    from ._config import PostgresConfig
    from ._dao import PostgresDao, PostgresDaoSurrogateId
    from ._factory import PostgresDaoFactory
    from ._find import FIND_BATCH_SIZE

__all__ = [
    "FIND_BATCH_SIZE",
    "PostgresConfig",
    "PostgresDao",
    "PostgresDaoFactory",
    "PostgresDaoSurrogateId",
    "encode_document",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "FIND_BATCH_SIZE": "._find",
        "PostgresConfig": "._config",
        "PostgresDao": "._dao",
        "PostgresDaoFactory": "._factory",
        "PostgresDaoSurrogateId": "._dao",
        "encode_document": "._codec",
    },
)

"""The PostgreSQL provider of hexkit's DAO protocol.

Build the factory with ``PostgresDaoFactory.construct(config=PostgresConfig(...))``
or through the registry as the ``dao`` provider named ``"postgres"``. Test fixtures
live in :mod:`hexkit.providers.postgres.testutils` (a pytest plugin package).

The public names load on first access: the registry imports this package's
``_plugin`` module to list providers, and listing must not import asyncpg.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._config import PostgresConfig
    from ._dao import PostgresDao, PostgresDaoSurrogateId
    from ._factory import PostgresDaoFactory

__all__ = ["PostgresConfig", "PostgresDao", "PostgresDaoFactory", "PostgresDaoSurrogateId"]

_HOMES = {
    "PostgresConfig": "._config",
    "PostgresDao": "._dao",
    "PostgresDaoFactory": "._factory",
    "PostgresDaoSurrogateId": "._dao",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

"""The MongoDB provider of hexkit's DAO protocol.

Build the factory with ``MongoDbDaoFactory.construct(config=MongoDbConfig(...))``
or through the registry as the ``dao`` provider named ``"mongodb"``. Test fixtures
live in :mod:`hexkit.providers.mongodb.testutils` (a pytest plugin package).

The public names load on first access: the registry imports this package's
``_plugin`` module to list providers, and listing must not import pymongo.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._config import MongoDbConfig
    from ._dao import MongoDbDao, MongoDbDaoSurrogateId
    from ._factory import MongoDbDaoFactory

__all__ = ["MongoDbConfig", "MongoDbDao", "MongoDbDaoFactory", "MongoDbDaoSurrogateId"]

_HOMES = {
    "MongoDbConfig": "._config",
    "MongoDbDao": "._dao",
    "MongoDbDaoFactory": "._factory",
    "MongoDbDaoSurrogateId": "._dao",
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

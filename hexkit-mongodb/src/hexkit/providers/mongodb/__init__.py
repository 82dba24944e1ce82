"""The MongoDB provider of hexkit's DAO protocol.

Build the factory with ``MongoDbDaoFactory.construct(config=MongoDbConfig(...))``
or through the registry as the ``dao`` provider named ``"mongodb"``. Test fixtures
live in :mod:`hexkit.providers.mongodb.testutils` (a pytest plugin package).

``encode_document`` and ``to_decimal`` are the provider's encoding of a DTO and its
decoding of a stored ``Decimal128``, public for raw-driver interop and benchmarks.

The public names load on first access: the registry imports this package's
``_plugin`` module to list providers, and listing must not import pymongo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hexkit.registry import lazy_exports

if TYPE_CHECKING:
    from ._codec import encode_document, to_decimal
    from ._config import MongoDbConfig
    from ._dao import MongoDbDao, MongoDbDaoSurrogateId
    from ._factory import MongoDbDaoFactory

__all__ = [
    "MongoDbConfig",
    "MongoDbDao",
    "MongoDbDaoFactory",
    "MongoDbDaoSurrogateId",
    "encode_document",
    "to_decimal",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "MongoDbConfig": "._config",
        "MongoDbDao": "._dao",
        "MongoDbDaoFactory": "._factory",
        "MongoDbDaoSurrogateId": "._dao",
        "encode_document": "._codec",
        "to_decimal": "._codec",
    },
)

"""The MongoDB provider of hexkit's DAO protocol.

Build the factory with ``MongoDbDaoFactory.construct(config=MongoDbConfig(...))``
or through the registry as the ``dao`` provider named ``"mongodb"``. Test fixtures
live in :mod:`hexkit.providers.mongodb.testutils` (a pytest plugin module).
"""

from ._config import MongoDbConfig
from ._dao import MongoDbDao, MongoDbDaoSurrogateId
from ._factory import MongoDbDaoFactory

__all__ = ["MongoDbConfig", "MongoDbDao", "MongoDbDaoFactory", "MongoDbDaoSurrogateId"]

"""In-memory providers: full protocol semantics without infrastructure.

Use them as test doubles in application unit tests; every factory or storage
instance has its own state, and nothing a caller holds aliases stored state.
"""

from ._dao import MemoryDao, MemoryDaoConfig, MemoryDaoFactory
from ._objstorage import MemoryObjectStorage, MemoryObjectStorageConfig
from ._urls import MemoryTransfer

__all__ = [
    "MemoryDao",
    "MemoryDaoConfig",
    "MemoryDaoFactory",
    "MemoryObjectStorage",
    "MemoryObjectStorageConfig",
    "MemoryTransfer",
]

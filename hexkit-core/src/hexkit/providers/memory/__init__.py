"""In-memory providers: full protocol semantics without infrastructure.

Use them as test doubles in application unit tests; every factory or storage
instance has its own state, and nothing a caller holds aliases stored state.
The public names load on first access, as in every provider package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hexkit.registry import lazy_exports

if TYPE_CHECKING:
    from ._config import MemoryDaoConfig, MemoryObjectStorageConfig
    from ._dao import MemoryDao
    from ._factory import MemoryDaoFactory
    from ._objstorage import MemoryObjectStorage
    from ._urls import MemoryTransfer

__all__ = [
    "MemoryDao",
    "MemoryDaoConfig",
    "MemoryDaoFactory",
    "MemoryObjectStorage",
    "MemoryObjectStorageConfig",
    "MemoryTransfer",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "MemoryDao": "._dao",
        "MemoryDaoConfig": "._config",
        "MemoryDaoFactory": "._factory",
        "MemoryObjectStorage": "._objstorage",
        "MemoryObjectStorageConfig": "._config",
        "MemoryTransfer": "._urls",
    },
)

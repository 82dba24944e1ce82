"""The state machines run the memory providers against themselves: a check of the machines."""

from __future__ import annotations

import pytest

from hexkit.providers.memory import (
    MemoryDaoConfig,
    MemoryDaoFactory,
    MemoryObjectStorage,
    MemoryObjectStorageConfig,
    MemoryTransfer,
)
from hexkit.testing.stateful import (
    DaoStatefulTests,
    ObjectStorageStatefulTests,
    OpenDaoFactory,
    OpenObjectStorage,
)


class TestMemoryDaoMachine(DaoStatefulTests):
    @pytest.fixture
    def open_dao_factory(self) -> OpenDaoFactory:
        return lambda: MemoryDaoFactory.construct(config=MemoryDaoConfig())


class TestMemoryObjectStorageMachine(ObjectStorageStatefulTests):
    @pytest.fixture
    def open_object_storage(self) -> OpenObjectStorage:
        # The reference's own minimum part size, so the rare 5 MiB part is exercised too.
        config = MemoryObjectStorageConfig(min_part_size=5 * 1024 * 1024)
        return lambda: MemoryObjectStorage.construct(config=config)

    @pytest.fixture
    def transfer(self) -> MemoryTransfer:
        return MemoryTransfer()

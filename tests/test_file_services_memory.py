"""The file services end to end over the memory providers (fast)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from file_services_flows import FileServiceFlows
from file_services_harness import FileServices, run_file_services

from hexkit.providers.memory import (
    MemoryDaoFactory,
    MemoryObjectStorage,
    MemoryObjectStorageConfig,
    MemoryTransfer,
)

PART_SIZE = 4096


class TestFileServicesOverMemory(FileServiceFlows):
    @pytest_asyncio.fixture
    async def services(self) -> AsyncIterator[FileServices]:
        storage = MemoryObjectStorage(MemoryObjectStorageConfig(min_part_size=PART_SIZE))
        async with run_file_services(
            MemoryDaoFactory(), storage, MemoryTransfer(), part_size=PART_SIZE
        ) as services:
            yield services

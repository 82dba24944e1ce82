"""The memory providers pass the conformance kits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from hexkit.providers.memory import (
    MemoryDaoConfig,
    MemoryDaoFactory,
    MemoryObjectStorage,
    MemoryObjectStorageConfig,
    MemoryTransfer,
)
from hexkit.testing import DaoConformance, MigrationConformance, ObjectStorageConformance


class TestMemoryDaoConformance(DaoConformance):
    @pytest_asyncio.fixture
    async def dao_factory(self) -> AsyncIterator[MemoryDaoFactory]:
        async with MemoryDaoFactory.construct(config=MemoryDaoConfig()) as factory:
            yield factory


class TestMemoryMigrationConformance(MigrationConformance):
    @pytest_asyncio.fixture
    async def dao_factory(self) -> AsyncIterator[MemoryDaoFactory]:
        async with MemoryDaoFactory.construct(config=MemoryDaoConfig()) as factory:
            yield factory


class TestMemoryObjectStorageConformance(ObjectStorageConformance):
    @pytest_asyncio.fixture
    async def storage(self) -> AsyncIterator[MemoryObjectStorage]:
        async with MemoryObjectStorage.construct(config=MemoryObjectStorageConfig()) as storage:
            yield storage

    @pytest_asyncio.fixture
    async def transfer(self) -> MemoryTransfer:
        return MemoryTransfer()

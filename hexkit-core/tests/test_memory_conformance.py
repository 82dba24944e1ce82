"""The memory providers pass the conformance kits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import pytest_asyncio

from hexkit.protocols.dao import DaoFactoryProtocol
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

    def open_shared_factory(
        self, dao_factory: DaoFactoryProtocol
    ) -> AbstractAsyncContextManager[DaoFactoryProtocol]:
        # Memory factories share no storage: the races run their tasks on one factory.
        return contextlib.nullcontext(dao_factory)


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

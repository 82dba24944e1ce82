"""The file services end to end over the memory providers (fast)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio
from file_services_flows import FileServiceFlows
from file_services_harness import FileServices, run_file_services
from file_services_security_flows import SecurityFlows

from hexkit.protocols.objstorage import UploadedPart
from hexkit.providers.memory import (
    MemoryDaoFactory,
    MemoryObjectStorage,
    MemoryObjectStorageConfig,
    MemoryTransfer,
)

PART_SIZE = 4096


class YieldingStorage(MemoryObjectStorage):
    """Memory storage that lets other tasks run inside its calls, as network I/O would.

    Without it, concurrent requests in these tests would run one after the other, and the
    races the services guard against (two attempts, two cleanups) could not happen.
    """

    async def _init_multipart_upload(self, bucket_id: str, object_id: str) -> str:
        await asyncio.sleep(0)
        return await super()._init_multipart_upload(bucket_id, object_id)

    async def _delete_object(self, bucket_id: str, object_id: str) -> None:
        await asyncio.sleep(0)
        await super()._delete_object(bucket_id, object_id)

    async def _complete_multipart_upload(
        self, upload_id: str, bucket_id: str, object_id: str, parts: list[UploadedPart]
    ) -> None:
        await asyncio.sleep(0)
        await super()._complete_multipart_upload(upload_id, bucket_id, object_id, parts)

    async def _abort_multipart_upload(self, upload_id: str, bucket_id: str, object_id: str) -> None:
        await asyncio.sleep(0)
        await super()._abort_multipart_upload(upload_id, bucket_id, object_id)


class TestFileServicesOverMemory(FileServiceFlows):
    @pytest_asyncio.fixture
    async def services(self) -> AsyncIterator[FileServices]:
        storage = YieldingStorage(MemoryObjectStorageConfig(min_part_size=PART_SIZE))
        async with run_file_services(
            MemoryDaoFactory(), storage, MemoryTransfer(), part_size=PART_SIZE
        ) as services:
            yield services


class TestFileServiceSecurityOverMemory(SecurityFlows):
    @pytest_asyncio.fixture
    async def services(self) -> AsyncIterator[FileServices]:
        storage = YieldingStorage(MemoryObjectStorageConfig(min_part_size=PART_SIZE))
        async with run_file_services(
            MemoryDaoFactory(), storage, MemoryTransfer(), part_size=PART_SIZE
        ) as services:
            yield services

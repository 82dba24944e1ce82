"""The file services end to end over the memory providers (fast)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from file_services_flows import FileServiceFlows
from file_services_harness import FileServices, run_file_services
from file_services_race_flows import RaceFlows
from file_services_security_flows import SecurityFlows

from hexkit.protocols.dao import DaoSpec
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


class _YieldingDao:
    """A DAO whose awaited calls let other tasks run first, as a database round trip would."""

    _AWAITED = frozenset({"get_by_id", "insert", "update", "upsert", "delete", "find_one"})

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name not in self._AWAITED:
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(0)
            return await attribute(*args, **kwargs)

        return call


class YieldingDaoFactory(MemoryDaoFactory):
    """Memory DAOs that yield before each call, so a read and a write can interleave.

    ``versioned=False`` drops every ``version_field``: the services' writes become
    unconditional, which the race flows must catch.
    """

    def __init__(self, *, versioned: bool = True) -> None:
        super().__init__()
        self._versioned = versioned

    async def _get_dao(self, spec: DaoSpec[Any]) -> Any:
        if not self._versioned:
            spec = replace(spec, version_field=None)
        return _YieldingDao(await super()._get_dao(spec))


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


class TestFileServiceRacesOverMemory(RaceFlows):
    @pytest_asyncio.fixture
    async def services(self) -> AsyncIterator[FileServices]:
        storage = YieldingStorage(MemoryObjectStorageConfig(min_part_size=PART_SIZE))
        async with run_file_services(
            YieldingDaoFactory(), storage, MemoryTransfer(), part_size=PART_SIZE
        ) as services:
            yield services


class TestTheRaceFlowsCatchUnconditionalWrites(RaceFlows):
    """The same races over DAOs without version fields: the flows must see them break."""

    race_trials = 6
    crowd_trials = 1
    # Deletion needs versions (delete(version=)): that race is checked against old code by hand.
    test_staging_against_deletion_leaves_nothing_behind = None  # type: ignore[assignment]

    @pytest_asyncio.fixture
    async def services(self) -> AsyncIterator[FileServices]:
        storage = YieldingStorage(MemoryObjectStorageConfig(min_part_size=PART_SIZE))
        async with run_file_services(
            YieldingDaoFactory(versioned=False), storage, MemoryTransfer(), part_size=PART_SIZE
        ) as services:
            yield services

    async def test_complete_against_cancel_has_exactly_one_winner(
        self, services: FileServices
    ) -> None:
        with pytest.raises(AssertionError, match="trials inconsistent"):
            await super().test_complete_against_cancel_has_exactly_one_winner(services)

    async def test_concurrent_completes_have_exactly_one_winner(
        self, services: FileServices
    ) -> None:
        with pytest.raises(AssertionError, match="trials inconsistent"):
            await super().test_concurrent_completes_have_exactly_one_winner(services)

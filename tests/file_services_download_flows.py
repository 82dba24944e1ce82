"""End-to-end flows of downloads: staging through the outbox bucket, cleanup, deletion."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from file_services.download_controller.core.models import CleanupClaim
from file_services_harness import DOWNLOADS, REGISTRY, FileServices, md5_of

__all__ = ["DownloadFlows", "FlowBase"]

LATER = datetime.now(UTC) + timedelta(days=2)  # past the default outbox_max_age of one day


class FlowBase:
    """What every flow class shares; each test gets a ``services`` fixture."""

    pytestmark: ClassVar[Any] = [pytest.mark.asyncio]
    file_size: ClassVar[int] = 10_000
    small_file_size: ClassVar[int] = 2_000  # one part: download flows need no multipart

    def data(self) -> bytes:
        return os.urandom(self.file_size)

    async def registered(self, services: FileServices, file_id: str) -> bytes:
        """Upload a small file and settle until it is registered; return its content."""
        data = os.urandom(self.small_file_size)
        await services.upload(file_id, data)
        await services.settle()
        return data

    async def staged(self, services: FileServices, file_id: str) -> None:
        """Ask for the file once, so it gets staged to the outbox bucket."""
        assert (await services.downloads.get(f"/objects/{file_id}")).status_code == 202
        await services.settle()

    async def outbox_copies(self, services: FileServices) -> list[str]:
        listed = services.storage.list_object_ids(services.outbox_bucket)
        return sorted([object_id async for object_id in listed])


class DownloadFlows(FlowBase):
    async def test_download_is_answered_202_until_staged_then_200_from_the_outbox(
        self, services: FileServices
    ) -> None:
        data = await self.registered(services, "file-2")
        first = await services.downloads.get("/objects/file-2")
        assert first.status_code == 202
        assert first.headers["Retry-After"] == "1"
        assert await self.outbox_copies(services) == []
        [owed] = await services.owed(DOWNLOADS)
        assert owed.topic == "stage_file"
        again = await services.downloads.get("/objects/file-2")
        assert again.status_code == 202
        assert len(await services.owed(DOWNLOADS)) == 1  # asked once, not per request
        await services.settle()
        [copy] = await self.outbox_copies(services)
        assert copy.startswith("file-2/")
        staged = await services.downloads.get("/objects/file-2")
        assert staged.status_code == 200, staged.text
        drs = staged.json()
        assert (drs["id"], drs["size"]) == ("file-2", len(data))
        assert drs["checksums"] == [{"type": "md5", "checksum": md5_of(data)}]
        url = drs["access_methods"][0]["access_url"]["url"]
        assert services.outbox_bucket in url
        assert services.permanent_bucket not in url
        assert await services.transfer.download(url) == data

    async def test_cleanup_removes_old_outbox_copies_and_keeps_young_ones(
        self, services: FileServices
    ) -> None:
        data = await self.registered(services, "old")
        await self.registered(services, "young")
        await self.staged(services, "old")
        assert await services.download_service.cleanup() == []  # nothing is a day old yet
        assert len(await self.outbox_copies(services)) == 1
        assert await services.download_service.cleanup(now=LATER) == ["old"]
        assert await self.outbox_copies(services) == []
        assert (await services.downloads.get("/objects/old")).status_code == 202
        await services.settle()
        assert await services.download("old") == data
        assert await services.storage.does_object_exist(services.permanent_bucket, "old")

    async def test_a_claim_left_by_a_crashed_cleanup_is_taken_over_once_stale(
        self, services: FileServices
    ) -> None:
        await self.registered(services, "orphan")
        await self.staged(services, "orphan")
        service = services.download_service
        stage_id = (await service._files.get_by_id("orphan")).stage_id  # behind the API
        assert stage_id is not None
        # A cleanup that died after taking its claim never released it.
        crashed = CleanupClaim(stage_id=stage_id, file_id="orphan", claimed=LATER)
        await service._claims.insert(crashed)
        assert await service.cleanup(now=LATER) == []  # a fresh claim is respected
        assert len(await self.outbox_copies(services)) == 1
        assert await service.cleanup(now=LATER + timedelta(hours=1)) == ["orphan"]
        assert await self.outbox_copies(services) == []

    async def test_two_cleanups_at_once_remove_each_copy_exactly_once(
        self, services: FileServices
    ) -> None:
        file_ids = [f"many-{n}" for n in range(6)]
        for file_id in file_ids:
            await self.registered(services, file_id)
            await self.staged(services, file_id)
        assert len(await self.outbox_copies(services)) == len(file_ids)
        first, second = await asyncio.gather(
            services.download_service.cleanup(now=LATER),
            services.download_service.cleanup(now=LATER),
        )
        assert not set(first) & set(second), "a copy was removed by both instances"
        assert sorted(first + second) == file_ids
        assert await self.outbox_copies(services) == []
        for file_id in file_ids:
            assert (await services.downloads.get(f"/objects/{file_id}")).status_code == 202

    async def test_a_late_staging_message_leaves_no_stray_copy(
        self, services: FileServices
    ) -> None:
        data = await self.registered(services, "stale")
        await self.staged(services, "stale")
        [copy] = await self.outbox_copies(services)
        stage_id = copy.split("/", 1)[1]
        await services.download_service.cleanup(now=LATER)
        stale = {"file_id": "stale", "stage_id": stage_id}
        envelope = {"message_id": "late", "topic": "file_staged", "payload": stale}
        assert (await services.deliver(DOWNLOADS, REGISTRY, envelope)).status_code == 204
        assert (await services.downloads.get("/objects/stale")).status_code == 202
        await services.settle()
        assert await services.download("stale") == data
        assert len(await self.outbox_copies(services)) == 1

    async def test_deleting_a_file_removes_it_everywhere_and_can_be_repeated(
        self, services: FileServices
    ) -> None:
        await self.registered(services, "gone")
        await self.staged(services, "gone")
        assert (await services.registry.delete("/files/gone")).status_code == 204
        assert [m.topic for m in await services.owed(REGISTRY)] == ["file_deleted"]
        await services.settle()
        assert (await services.registry.get("/files/gone")).status_code == 404
        assert (await services.downloads.get("/objects/gone")).status_code == 404
        assert not await services.storage.does_object_exist(services.permanent_bucket, "gone")
        assert await self.outbox_copies(services) == []
        assert (await services.registry.delete("/files/gone")).status_code == 204
        await services.settle()

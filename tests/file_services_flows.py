"""End-to-end flows of the file services; subclassed once per provider setup."""

from __future__ import annotations

import hashlib
import os
from typing import Any, ClassVar

import httpx
import pytest
from file_services_harness import FileServices

from hexkit.protocols.objstorage import TransferRejectedError

__all__ = ["FileServiceFlows"]


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class FileServiceFlows:
    """Each test gets a ``services`` fixture (see ``file_services_harness``)."""

    pytestmark: ClassVar[Any] = [pytest.mark.asyncio]
    file_size: ClassVar[int] = 10_000

    def data(self) -> bytes:
        return os.urandom(self.file_size)

    async def test_upload_register_and_download_round_trip(self, services: FileServices) -> None:
        data = self.data()
        response = await services.upload("file-1", data)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "registered"
        drs = (await services.downloads.get("/objects/file-1")).json()
        assert drs["size"] == len(data)
        assert drs["checksums"] == [{"type": "md5", "checksum": _md5(data)}]
        assert drs["id"] == "file-1"
        assert await services.download("file-1") == data
        storage = services.storage
        assert not await storage.does_object_exist(services.inbox_bucket, "file-1")
        assert await storage.does_object_exist(services.permanent_bucket, "file-1")
        assert (await services.registry.get("/files/file-1")).json()["md5"] == _md5(data)

    async def test_a_second_upload_for_an_active_file_is_refused(
        self, services: FileServices
    ) -> None:
        data = self.data()
        assert (await services.start_upload("busy", data)).status_code == 201
        second = await services.start_upload("busy", data)
        assert second.status_code == 409
        assert "busy" in second.json()["detail"]

    async def test_wrong_part_count_is_refused_and_nothing_changes(
        self, services: FileServices
    ) -> None:
        data = self.data()
        (await services.start_upload("parts", data)).raise_for_status()
        part_count = await services.upload_parts("parts", data)
        wrong = await services.complete("parts", part_count + 1, _md5(data))
        assert wrong.status_code == 422
        assert "expected" in wrong.json()["detail"]
        assert (await services.uploads.get("/uploads/parts")).json()["status"] == "pending"
        right = await services.complete("parts", part_count, _md5(data))
        assert right.status_code == 200, right.text
        assert await services.download("parts") == data

    async def test_checksum_mismatch_keeps_the_inbox_object(self, services: FileServices) -> None:
        data = self.data()
        (await services.start_upload("bad-sum", data)).raise_for_status()
        part_count = await services.upload_parts("bad-sum", data)
        response = await services.complete("bad-sum", part_count, _md5(b"something else"))
        assert response.status_code == 422
        assert response.json()["retryable"] is False
        assert "MD5" in response.json()["detail"]
        assert await services.storage.does_object_exist(services.inbox_bucket, "bad-sum")
        assert not await services.storage.does_object_exist(services.permanent_bucket, "bad-sum")
        assert (await services.downloads.get("/objects/bad-sum")).status_code == 404
        aborted = await services.uploads.delete("/uploads/bad-sum")
        assert aborted.json()["status"] == "aborted"
        assert not await services.storage.does_object_exist(services.inbox_bucket, "bad-sum")

    async def test_a_failing_registry_step_loses_nothing_and_a_retry_completes(
        self, services: FileServices
    ) -> None:
        data = self.data()
        failures = {"left": 1}

        def refuse_publish_once(request: httpx.Request) -> httpx.Response | None:
            if request.method == "PUT" and failures["left"] > 0:
                failures["left"] -= 1
                return httpx.Response(503, json={"detail": "down for maintenance"})
            return None

        services.download_interceptors.append(refuse_publish_once)
        first = await services.upload("flaky", data)
        assert first.status_code == 502
        assert first.json()["retryable"] is True
        assert await services.storage.does_object_exist(services.inbox_bucket, "flaky")
        assert (await services.uploads.get("/uploads/flaky")).json()["status"] == "uploaded"
        retry = await services.complete("flaky", -(-len(data) // services.part_size), _md5(data))
        assert retry.status_code == 200, retry.text
        assert retry.json()["status"] == "registered"
        assert not await services.storage.does_object_exist(services.inbox_bucket, "flaky")
        assert await services.download("flaky") == data

    async def test_abort_of_a_pending_upload_closes_it(self, services: FileServices) -> None:
        data = self.data()
        (await services.start_upload("dropped", data)).raise_for_status()
        url = (await services.uploads.post("/uploads/dropped/parts/1")).json()["url"]
        assert (await services.uploads.delete("/uploads/dropped")).json()["status"] == "aborted"
        assert await services.storage.list_multipart_uploads(services.inbox_bucket, "dropped") == []
        with pytest.raises(TransferRejectedError):
            await services.transfer.upload_part(url, data[: services.part_size])
        again = await services.start_upload("dropped", data)
        assert again.status_code == 201

    async def test_bad_requests_get_clear_4xx_answers(self, services: FileServices) -> None:
        assert (await services.uploads.get("/uploads/nobody")).status_code == 404
        assert (await services.downloads.get("/objects/nobody")).status_code == 404
        bad_size = await services.uploads.post("/uploads", json={"file_id": "x", "size": 0})
        assert bad_size.status_code == 422
        bad_id = await services.uploads.post("/uploads", json={"file_id": "a b", "size": 5})
        assert bad_id.status_code == 422
        data = self.data()
        (await services.start_upload("numbers", data)).raise_for_status()
        beyond = await services.uploads.post("/uploads/numbers/parts/999")
        assert beyond.status_code == 422
        assert "999" in beyond.json()["detail"]

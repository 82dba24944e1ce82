"""End-to-end flows of the file services; subclassed once per provider setup.

Uploads and registration live here, downloads and the outbox bucket in
``file_services_download_flows``; :class:`FileServiceFlows` runs both.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from file_services_download_flows import DownloadFlows, FlowBase
from file_services_harness import DOWNLOADS, REGISTRY, UPLOADS, FileServices, md5_of

from hexkit.protocols.objstorage import TransferRejectedError

__all__ = ["FileServiceFlows"]


def refuse(service_path: str, times: int) -> Any:
    """Return an interceptor that answers 503 to the first ``times`` posts to a path."""
    left = {"count": times}

    def intercept(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == service_path and left["count"] > 0:
            left["count"] -= 1
            return httpx.Response(503, json={"detail": "down for maintenance"})
        return None

    return intercept


class UploadFlows(FlowBase):
    async def test_upload_is_accepted_registered_and_the_inbox_emptied(
        self, services: FileServices
    ) -> None:
        data = self.data()
        attempt = await services.upload("file-1", data)
        assert attempt["status"] == "uploaded"
        assert len(await services.owed(UPLOADS)) == 1  # the registration, owed not yet sent
        await services.settle()
        assert (await services.attempt(attempt["attempt_id"]))["status"] == "accepted"
        storage = services.storage
        assert [x async for x in storage.list_object_ids(services.inbox_bucket)] == []
        assert await storage.does_object_exist(services.permanent_bucket, "file-1")
        assert (await services.registry.get("/files/file-1")).json()["md5"] == md5_of(data)
        for service in (UPLOADS, REGISTRY, DOWNLOADS):
            assert await services.owed(service) == []

    async def test_a_second_attempt_while_one_holds_the_file_is_refused(
        self, services: FileServices
    ) -> None:
        data = self.data()
        (await services.announce("busy", data)).raise_for_status()
        first = await services.start_attempt("busy")
        assert first.status_code == 201
        second = await services.start_attempt("busy")
        assert second.status_code == 409
        assert first.json()["attempt_id"] in second.json()["detail"]
        cancelled = await services.uploads.delete(f"/attempts/{first.json()['attempt_id']}")
        assert cancelled.json()["status"] == "cancelled"
        assert (await services.start_attempt("busy")).status_code == 201

    async def test_concurrent_attempts_for_one_file_let_exactly_one_start(
        self, services: FileServices
    ) -> None:
        data = self.data()
        (await services.announce("race", data)).raise_for_status()
        answers = await asyncio.gather(*(services.start_attempt("race") for _ in range(6)))
        assert sorted(answer.status_code for answer in answers) == [201] + [409] * 5
        view = (await services.uploads.get("/files/race")).json()
        assert [a["status"] for a in view["attempts"]] == ["pending"]

    async def test_an_accepted_file_takes_no_further_attempt(self, services: FileServices) -> None:
        data = self.data()
        await services.upload("done", data)
        await services.settle()
        again = await services.start_attempt("done")
        assert again.status_code == 409
        assert "accepted" in again.json()["detail"]

    async def test_wrong_part_count_is_refused_and_nothing_changes(
        self, services: FileServices
    ) -> None:
        data = self.data()
        (await services.announce("parts", data)).raise_for_status()
        attempt_id = (await services.start_attempt("parts")).json()["attempt_id"]
        part_count = await services.upload_parts(attempt_id, data)
        wrong = await services.complete(attempt_id, part_count + 1, md5_of(data))
        assert wrong.status_code == 422
        assert "expected" in wrong.json()["detail"]
        assert (await services.attempt(attempt_id))["status"] == "pending"
        right = await services.complete(attempt_id, part_count, md5_of(data))
        assert right.status_code == 200, right.text
        await services.settle()
        assert (await services.attempt(attempt_id))["status"] == "accepted"

    async def test_checksum_mismatch_rejects_the_attempt_and_frees_the_file(
        self, services: FileServices
    ) -> None:
        data = self.data()
        attempt = await services.upload("bad-sum", data, md5=md5_of(b"something else"))
        await services.settle()
        rejected = await services.attempt(attempt["attempt_id"])
        assert rejected["status"] == "rejected"
        assert "MD5" in rejected["reason"]
        storage = services.storage
        assert [x async for x in storage.list_object_ids(services.inbox_bucket)] == []
        assert not await storage.does_object_exist(services.permanent_bucket, "bad-sum")
        assert (await services.downloads.get("/objects/bad-sum")).status_code == 404
        retry = (await services.start_attempt("bad-sum")).json()["attempt_id"]
        part_count = await services.upload_parts(retry, data)
        (await services.complete(retry, part_count, md5_of(data))).raise_for_status()
        await services.settle()
        assert (await services.attempt(retry))["status"] == "accepted"
        assert await services.download("bad-sum") == data

    async def test_a_registry_that_is_down_loses_nothing(self, services: FileServices) -> None:
        data = self.data()
        services.interceptors[REGISTRY].append(refuse("/messages", times=1))
        attempt = await services.upload("flaky", data)
        await services.settle()
        assert (await services.attempt(attempt["attempt_id"]))["status"] == "uploaded"
        [owed] = await services.owed(UPLOADS)
        assert (owed.topic, owed.attempts) == ("file_upload_completed", 1)
        assert await services.storage.does_object_exist(
            services.inbox_bucket, owed.payload["object_id"]
        )
        await services.settle()
        assert (await services.attempt(attempt["attempt_id"]))["status"] == "accepted"
        assert await services.owed(UPLOADS) == []
        assert await services.download("flaky") == data

    async def test_a_download_controller_that_is_down_gets_the_file_later(
        self, services: FileServices
    ) -> None:
        data = self.data()
        services.interceptors[DOWNLOADS].append(refuse("/messages", times=1000))
        attempt = await services.upload("late", data)
        await services.settle()
        assert (await services.attempt(attempt["attempt_id"]))["status"] == "accepted"
        [owed] = await services.owed(REGISTRY)
        assert owed.topic == "file_registered"
        assert owed.attempts >= 1
        assert (await services.downloads.get("/objects/late")).status_code == 404
        services.interceptors[DOWNLOADS].clear()  # back up
        await services.settle()
        assert await services.download("late") == data

    async def test_a_repeated_registration_does_nothing_twice(self, services: FileServices) -> None:
        data = self.data()
        await services.upload("twice", data)
        [owed] = await services.owed(UPLOADS)
        envelope = {"message_id": owed.message_id, "topic": owed.topic, "payload": owed.payload}
        await services.settle()
        before = (await services.registry.get("/files/twice")).json()
        replayed = await services.deliver(REGISTRY, UPLOADS, envelope)
        assert replayed.status_code == 403, "a message delivered already is a replay"
        # A repeated complete owes the registration again, under a new message ID.
        again = await services.deliver(REGISTRY, UPLOADS, {**envelope, "message_id": "again"})
        assert again.status_code == 204
        await services.settle()
        assert (await services.registry.get("/files/twice")).json() == before
        view = (await services.uploads.get("/files/twice")).json()
        assert [a["status"] for a in view["attempts"]] == ["accepted"]
        assert await services.download("twice") == data

    async def test_cancelling_a_pending_attempt_closes_its_upload(
        self, services: FileServices
    ) -> None:
        data = self.data()
        (await services.announce("dropped", data)).raise_for_status()
        attempt_id = (await services.start_attempt("dropped")).json()["attempt_id"]
        url = (await services.uploads.post(f"/attempts/{attempt_id}/parts/1")).json()["url"]
        cancelled = await services.uploads.delete(f"/attempts/{attempt_id}")
        assert cancelled.json()["status"] == "cancelled"
        assert (
            await services.storage.list_multipart_uploads(services.inbox_bucket, attempt_id) == []
        )
        with pytest.raises(TransferRejectedError):
            await services.transfer.upload_part(url, data[: services.part_size])
        assert (await services.uploads.delete(f"/attempts/{attempt_id}")).status_code == 200
        assert (await services.start_attempt("dropped")).status_code == 201

    async def test_bad_requests_get_clear_4xx_answers(self, services: FileServices) -> None:
        assert (await services.uploads.get("/files/nobody")).status_code == 404
        # An unknown attempt is refused like another file's: a token reveals no other IDs.
        assert (await services.uploads.get("/attempts/nobody")).status_code == 403
        assert (await services.start_attempt("nobody")).status_code == 404
        assert (await services.downloads.get("/objects/nobody")).status_code == 404
        bad_size = await services.uploads.post("/files", json={"file_id": "x", "size": 0})
        assert bad_size.status_code == 422
        bad_id = await services.uploads.post("/files", json={"file_id": "a b", "size": 5})
        assert bad_id.status_code == 422
        data = self.data()
        (await services.announce("numbers", data)).raise_for_status()
        other_size = await services.uploads.post("/files", json={"file_id": "numbers", "size": 1})
        assert other_size.status_code == 409
        attempt_id = (await services.start_attempt("numbers")).json()["attempt_id"]
        beyond = await services.uploads.post(f"/attempts/{attempt_id}/parts/999")
        assert beyond.status_code == 422
        assert "999" in beyond.json()["detail"]
        unknown = {"message_id": "m", "topic": "no_such_topic", "payload": {}}
        assert (await services.deliver(REGISTRY, UPLOADS, unknown)).status_code == 403


class FileServiceFlows(UploadFlows, DownloadFlows):
    """Every end-to-end flow."""

"""A hand-off survives a service killed between its write and the delivery.

The services run as uvicorn subprocesses over PostgreSQL and S3 on the fixtures' loopback
servers. A service started with ``RELAY_ENABLED=false`` writes its state change and the
message it owes, and cannot deliver it; it is then killed with SIGKILL and restarted with
its relay on. The test shows the hand-off still happens, once: the upload controller's
registration request, and the registry's answers to both other services.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from file_services.common.issuer import WorkOrderIssuer
from file_services.common.outbox import OwedMessage
from file_services.file_registry.core.models import FileMetadata
from file_services_harness import GrantAllAt, Keys
from pydantic import SecretStr

from hexkit.providers.postgres.testutils import PostgresFixture
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture
from hexkit.testing import free_port

pytestmark = pytest.mark.asyncio

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SERVICES = ("upload_controller", "file_registry", "download_controller")
PART_SIZE = 5 * 1024 * 1024


async def eventually(check: Callable[[], Awaitable[bool]], what: str, within: float = 30) -> None:
    """Wait until ``check`` holds, or fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within} s")
        await asyncio.sleep(0.1)


class Cluster:
    """The three services as subprocesses on fixed loopback ports, each restartable."""

    def __init__(self, env: dict[str, str], keys: Keys) -> None:
        self.keys = keys
        self.ports = {name: free_port() for name in SERVICES}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.env = {
            **env,
            "UPLOAD_CONTROLLER_URL": self.urls["upload_controller"],
            "FILE_REGISTRY_URL": self.urls["file_registry"],
            "DOWNLOAD_CONTROLLER_URL": self.urls["download_controller"],
            "RELAY_INTERVAL_SECONDS": "0.1",
        }
        self.processes: dict[str, asyncio.subprocess.Process] = {}

    async def start(self, name: str, *, relay: bool = True) -> None:
        command = [
            sys.executable, "-m", "uvicorn", f"file_services.{name}.wiring:create_service_app",
            "--factory", "--host", "127.0.0.1", "--port", str(self.ports[name]),
            "--log-level", "warning",
        ]  # fmt: skip
        env = {**self.env, **self.keys.env(name), "RELAY_ENABLED": str(relay).lower()}
        process = await asyncio.create_subprocess_exec(*command, env=env)
        self.processes[name] = process

        async def up() -> bool:
            assert process.returncode is None, f"{name} exited with {process.returncode}"
            try:
                async with httpx.AsyncClient(timeout=1) as http:
                    return (await http.get(f"{self.urls[name]}/openapi.json")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(up, f"{name} answering")

    async def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(process.wait(), 10) == -signal.SIGKILL

    async def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            await asyncio.wait_for(process.wait(), 10)


@pytest.fixture
def service_env(postgres: PostgresFixture, s3: S3Fixture) -> dict[str, str]:
    """The environment that points the services at this test's schema and fresh buckets."""
    dao_config = {
        "postgres_dsn": postgres.config.postgres_dsn.get_secret_value(),
        "postgres_schema": postgres.schema,
    }
    s3_config = {
        key: value.get_secret_value() if isinstance(value, SecretStr) else value
        for key, value in s3.server.config_values().items()
    }
    suffix = uuid.uuid4().hex[:8]
    return {
        **os.environ,
        "PYTHONPATH": str(EXAMPLES),
        "DAO_PROVIDER": "postgres",
        "DAO_CONFIG": json.dumps(dao_config),
        "OBJSTORAGE_PROVIDER": "s3",
        "OBJSTORAGE_CONFIG": json.dumps(s3_config),
        "INBOX_BUCKET": f"inbox-{suffix}",
        "PERMANENT_BUCKET": f"permanent-{suffix}",
        "OUTBOX_BUCKET": f"outbox-{suffix}",
        "DEFAULT_PART_SIZE": str(PART_SIZE),
    }


async def test_killed_services_hand_off_after_restart_nothing_lost_nothing_twice(
    service_env: dict[str, str], postgres: PostgresFixture, s3: S3Fixture
) -> None:
    factory = postgres.dao_factory
    owed_by = {
        name: await factory.get_dao(
            name=f"{name}_outbox", dto_model=OwedMessage, id_field="message_id"
        )
        for name in ("upload_controller", "file_registry")
    }
    files = await factory.get_dao(name="files", dto_model=FileMetadata, id_field="file_id")

    async def owed(name: str) -> list[Any]:
        return [m.topic for m in await owed_by[name].find_all(mapping={}).to_list()]

    data = os.urandom(PART_SIZE + 4321)
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    keys = Keys.generate()
    cluster = Cluster(service_env, keys)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(cluster.stop_all)
        grant = GrantAllAt(WorkOrderIssuer(keys.work_orders.private_pem), cluster.urls)
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30, auth=grant))
        await cluster.start("download_controller")
        await cluster.start("file_registry", relay=False)
        await cluster.start("upload_controller", relay=False)
        uploads = cluster.urls["upload_controller"]
        body = {"file_id": "crash-1", "size": len(data)}
        (await http.post(f"{uploads}/files", json=body)).raise_for_status()
        attempt = (await http.post(f"{uploads}/files/crash-1/attempts", json={})).json()
        attempt_url = f"{uploads}/attempts/{attempt['attempt_id']}"
        for number in (1, 2):
            url = (await http.post(f"{attempt_url}/parts/{number}")).json()["url"]
            await HttpTransfer().upload_part(url, data[(number - 1) * PART_SIZE :][:PART_SIZE])
        completion = {"part_count": 2, "md5": md5}
        assert (await http.post(f"{attempt_url}/complete", json=completion)).status_code == 200

        # The upload controller wrote "uploaded" and owes the registration; kill it.
        assert await owed("upload_controller") == ["file_upload_completed"]
        await cluster.kill("upload_controller")
        await cluster.start("upload_controller")

        async def registry_owes_both() -> bool:
            return sorted(await owed("file_registry")) == ["file_accepted", "file_registered"]

        # The registry took the file and owes both answers; kill it before it sends them.
        await eventually(registry_owes_both, "the registration after the restart")

        async def registration_acknowledged() -> bool:
            return await owed("upload_controller") == []  # the 204 may still be on its way

        await eventually(registration_acknowledged, "the registry's acknowledgement")
        [record] = await files.find_all(mapping={}).to_list()
        await cluster.kill("file_registry")
        await cluster.start("file_registry")

        async def accepted() -> bool:
            return (await http.get(attempt_url)).json()["status"] == "accepted"

        await eventually(accepted, "the acceptance after the registry's restart")
        downloads = cluster.urls["download_controller"]

        async def served() -> bool:
            answer = await http.get(f"{downloads}/objects/crash-1")
            return answer.status_code == 200

        await eventually(served, "staging and serving the file")
        drs = (await http.get(f"{downloads}/objects/crash-1")).json()
        assert await HttpTransfer().download(drs["access_methods"][0]["access_url"]["url"]) == data

        # Nothing lost, nothing done twice.
        assert await files.find_all(mapping={}).to_list() == [record]
        view = (await http.get(f"{uploads}/files/crash-1")).json()
        assert [a["status"] for a in view["attempts"]] == ["accepted"]
        storage = s3.storage
        assert [x async for x in storage.list_object_ids(service_env["INBOX_BUCKET"])] == []
        permanent = [x async for x in storage.list_object_ids(service_env["PERMANENT_BUCKET"])]
        assert permanent == ["crash-1"]
        await eventually(lambda: _empty(owed_by.values()), "the outboxes emptying after delivery")


async def _empty(outboxes: Any) -> bool:
    for outbox in outboxes:
        if await outbox.find_all(mapping={}).total_count():
            return False
    return True

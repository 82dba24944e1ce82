"""Backends: MinIO without Docker, SeaweedFS's process handle, and expiry on the server's clock."""

from __future__ import annotations

import asyncio
import base64
import datetime
import email.utils
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from hexkit.protocols.objstorage import ObjectStorageError, TransferRejectedError
from hexkit.providers.s3.testutils import (
    HttpTransfer,
    S3Fixture,
    SeaweedIdentity,
    SeaweedServer,
    start_server,
)
from hexkit.providers.s3.testutils import _backends as backends
from hexkit.providers.s3.testutils import _seaweedfs as seaweedfs


class _Live(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []  # noqa: RUF012 - shared on purpose: what the fake MinIO was asked

    def do_GET(self) -> None:
        self.paths.append(self.path)
        self.send_response(200 if self.path == "/minio/health/live" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def fake_minio() -> Iterator[int]:
    """An HTTP server that answers MinIO's health check, standing in for the container."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Live)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


class _FakeContainer:
    """Records how the backend configures its container; publishes ``port`` as 9000."""

    instances: list[_FakeContainer] = []  # noqa: RUF012 - shared on purpose
    port = 0

    def __init__(self, image: str) -> None:
        self.image = image
        self.env: dict[str, str] = {}
        self.command = ""
        self.exposed: tuple[int, ...] = ()
        self.running = False
        self.instances.append(self)

    def with_command(self, command: str) -> _FakeContainer:
        self.command = command
        return self

    def with_env(self, key: str, value: str) -> _FakeContainer:
        self.env[key] = value
        return self

    def with_exposed_ports(self, *ports: int) -> _FakeContainer:
        self.exposed = ports
        return self

    def __enter__(self) -> _FakeContainer:
        self.running = True
        return self

    def __exit__(self, *_: object) -> None:
        self.running = False

    def get_container_host_ip(self) -> str:
        return "127.0.0.1"

    def get_exposed_port(self, port: int) -> int:
        assert port == 9000
        return self.port


def test_the_testcontainers_backend_starts_minio_and_waits_until_live(
    monkeypatch: pytest.MonkeyPatch, fake_minio: int
) -> None:
    import testcontainers.core.container as containers  # noqa: PLC0415

    monkeypatch.setattr(containers, "DockerContainer", _FakeContainer)
    monkeypatch.setattr(_FakeContainer, "port", fake_minio)
    _FakeContainer.instances.clear()
    with start_server("testcontainers") as server:
        (container,) = _FakeContainer.instances
        assert container.running
        assert server.backend == "testcontainers"
        assert server.endpoint_url == f"http://127.0.0.1:{fake_minio}"
        assert container.image == backends.MINIO_IMAGE
        assert container.command == "server /data"
        assert container.exposed == (9000,)
        assert container.env["MINIO_ROOT_USER"] == server.access_key_id
        assert container.env["MINIO_ROOT_PASSWORD"] == (server.secret_access_key.get_secret_value())
        assert "/minio/health/live" in _Live.paths
    assert not container.running


@pytest.mark.asyncio
async def test_auto_picks_seaweedfs_without_docker_and_hands_out_its_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backends, "docker_available", lambda: False)
    quick = {"s3_read_timeout": 1.0, "s3_connect_timeout": 1.0, "s3_max_attempts": 1}
    with start_server("auto") as server:
        assert server.backend == "seaweedfs"
        process = server.process
        assert process is not None
        assert process.pid is not None
        assert process.log_path is not None
        directory = process.log_path.parent
        async with S3Fixture.open(server, **quick) as s3:
            await s3.populate_file("kept", "x", b"survives a crash")
            process.pause()  # SIGSTOP: a hung server
            with pytest.raises(ObjectStorageError):
                await s3.storage.does_bucket_exist("kept")
            process.resume()
            assert await s3.storage.does_bucket_exist("kept")
            process.kill()  # SIGKILL: a crash
            with pytest.raises(ObjectStorageError):
                await s3.storage.does_bucket_exist("kept")
            process.restart()  # same ports, same data
            assert await s3.storage.get_object_size("kept", "x") == len(b"survives a crash")
    assert process.pid is None
    assert not directory.exists()


def test_a_seaweedfs_port_has_a_free_grpc_twin() -> None:
    taken: list[int] = []
    for _ in range(4):
        port = seaweedfs.twin_free_port(taken)
        assert port + 10_000 <= 65_535
        assert not {port, port + 10_000} & set(taken)
        assert seaweedfs._bindable(port)
        assert seaweedfs._bindable(port + 10_000)
        taken += [port, port + 10_000]


def test_a_seaweedfs_that_fails_to_start_is_cleaned_up_and_shows_its_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = "a-secret-of-the-identity"  # noqa: S105 - made up, to see that it never leaks
    fake = tmp_path / "weed"
    # A "server" that prints its identities file (with the secret) and exits.
    fake.write_text(
        '#!/bin/sh\nfor a in "$@"; do case $a in -s3.config=*) cat "${a#*=}";; esac; done\n'
        "echo 'bind: address already in use'\nexit 3\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(seaweedfs, "weed_binary", lambda: fake)
    server = SeaweedServer([SeaweedIdentity("someone", "key-id", SecretStr(secret))])
    # Other test processes start servers meanwhile: follow this server's directory only.
    made: list[str] = []
    mkdtemp = seaweedfs.tempfile.mkdtemp

    def recorded_mkdtemp(*args: Any, **kwargs: Any) -> str:
        made.append(mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(seaweedfs.tempfile, "mkdtemp", recorded_mkdtemp)
    with pytest.raises(RuntimeError, match="exited with status 3") as info:
        server.start()
    message = str(info.value)
    assert "address already in use" in message
    assert "key-id" in message  # the log's tail is there ...
    assert secret not in message  # ... without the secret
    assert server.process is None
    assert made  # the server made its directory ...
    assert not any(Path(directory).exists() for directory in made)  # ... and deleted it


def test_a_minio_that_never_gets_live_fails_with_advice() -> None:
    with pytest.raises(RuntimeError, match="HEXKIT_TEST_S3=embedded"):
        backends._wait_until_live("http://127.0.0.1:9/minio/health/live", timeout=0.3)


async def _server_time(endpoint_url: str) -> datetime.datetime:
    """The time on the S3 server's clock: the ``Date`` header of any of its answers."""
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(endpoint_url)
    return email.utils.parsedate_to_datetime(answer.headers["Date"])


async def _wait_until_server_time_passes(s3: S3Fixture, moment: datetime.datetime) -> None:
    """Poll the server's clock until it is past ``moment`` (1 s granularity), or fail."""
    deadline = time.monotonic() + 30
    while await _server_time(s3.server.endpoint_url) <= moment:
        assert time.monotonic() < deadline, f"the server's clock did not pass {moment}"
        await asyncio.sleep(0.2)  # polling the server's clock


@pytest.mark.asyncio
async def test_expired_download_urls_are_refused(s3: S3Fixture) -> None:
    await s3.populate_file("expiry", "x", b"data")
    url = await s3.storage.get_object_download_url("expiry", "x", expires_after=2)
    assert await HttpTransfer().download(url) == b"data"  # valid while it lasts
    query = parse_qs(urlsplit(url).query)
    signed_at = datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    expires = signed_at.replace(tzinfo=datetime.UTC) + datetime.timedelta(seconds=2)
    await _wait_until_server_time_passes(s3, expires)
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().download(url)
    assert info.value.status == 403
    assert "expired" in info.value.detail.lower()


@pytest.mark.asyncio
async def test_expired_post_policies_are_refused(s3: S3Fixture) -> None:
    await s3.populate_buckets(["expiry"])
    post = await s3.storage.get_object_upload_url("expiry", "late", expires_after=2)
    expiration = json.loads(base64.b64decode(post.fields["policy"]))["expiration"]
    await _wait_until_server_time_passes(
        s3, datetime.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    )
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().upload_post(post, b"data")
    assert info.value.status == 403
    assert "expired" in info.value.detail.lower()
    assert not await s3.storage.does_object_exist("expiry", "late")

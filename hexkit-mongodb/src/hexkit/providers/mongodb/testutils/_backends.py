"""MongoDB-compatible servers for tests: SecantusDB in a subprocess, a container, or a DSN.

``HEXKIT_TEST_MONGODB`` picks the backend:

- ``auto`` (default): ``testcontainers`` when a Docker daemon answers, else ``embedded``.
- ``testcontainers``: the official ``mongo`` image (``HEXKIT_TEST_MONGODB_IMAGE``,
  default ``mongo:8.0``) as a single-node replica set, so transactions work.
- ``embedded``: SecantusDB in a child process on a free loopback port (no Docker).
- a ``mongodb://`` or ``mongodb+srv://`` DSN: an existing server; each test uses its
  own database and drops it afterwards.

Everything here blocks (process start, Docker calls); it runs in session fixtures
outside any event loop, or through ``asyncio.to_thread`` from async tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from hexkit.testing import docker_available, free_port

from .._config import MongoDbConfig

__all__ = [
    "BACKEND_ENV",
    "EmbeddedMongoDb",
    "MongoDbServer",
    "mongo_container",
    "running_server",
]

BACKEND_ENV = "HEXKIT_TEST_MONGODB"
_TEST_TIMEOUT = 10  # seconds: a test against a dead server fails fast, not after 30 s
_HOST = "127.0.0.1"


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((_HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


class EmbeddedMongoDb:
    """A SecantusDB server (MongoDB wire protocol) in a child process on loopback.

    It advertises a single-node replica set, so transactions work; pass
    ``standalone=True`` for a server that cannot run them. ``stop``/``kill`` keep the
    data directory, so ``start`` brings the same data back on the same port;
    ``close`` stops the server and deletes its data (not a ``directory`` given). With
    ``auth=True`` (read at each ``start``) it requires SCRAM-SHA-256 authentication:
    create users while it runs without, then stop it, set ``auth`` and start it again.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        standalone: bool = False,
        auth: bool = False,
        directory: str | os.PathLike[str] | None = None,
    ) -> None:
        """Keep the data in ``directory`` (never deleted) or in a temporary one."""
        self.port = port or free_port(_HOST)
        self.standalone = standalone
        self.auth = auth
        self._own_dir = directory is None
        if directory is None:
            self._dir = Path(tempfile.mkdtemp(prefix="hexkit-secantus-"))
        else:
            self._dir = Path(directory).resolve()
            self._dir.mkdir(parents=True, exist_ok=True)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def dsn(self) -> str:
        """The connection string of this server (no credentials needed)."""
        return f"mongodb://{_HOST}:{self.port}/"

    @property
    def pid(self) -> int | None:
        """The server's process ID while it runs."""
        return None if self._process is None else self._process.pid

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until it accepts connections."""
        if self._process is not None and self._process.poll() is None:
            raise RuntimeError(f"The embedded server on port {self.port} runs already.")
        if _accepts(self.port):
            raise RuntimeError(
                f"Port {self.port} on {_HOST} is in use by another process; pick another"
                " port (or leave port=None for a free one)."
            )
        command = [
            sys.executable,
            "-m",
            "secantus",
            "--host",
            _HOST,
            "--port",
            str(self.port),
            "--storage-path",
            str(self._dir / "data"),
            "--log-level",
            "WARNING",
        ]
        if self.standalone:
            command.append("--standalone")
        if self.auth:
            command.append("--auth")
        log = (self._dir / "server.log").open("ab")
        try:
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                command, cwd=self._dir, stdout=log, stderr=subprocess.STDOUT
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while not _accepts(self.port):
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"SecantusDB exited with code {self._process.returncode} before accepting"
                    f" connections on port {self.port}; its log says:\n{self._log_tail()}\n"
                    "Check that `pip install SecantusDB` worked and the port is free."
                )
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(
                    f"SecantusDB did not accept connections on port {self.port} within"
                    f" {timeout} s; its log says:\n{self._log_tail()}"
                )
            time.sleep(0.05)  # polling a condition with a deadline, not a fixed wait

    def _log_tail(self) -> str:
        try:
            return (self._dir / "server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return "<no log>"

    def kill(self) -> None:
        """Kill the server abruptly (SIGKILL), as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def pause(self, timeout: float = 5.0) -> None:
        """Freeze the server (SIGSTOP) and wait until it stopped, as a hung server.

        Connections stay open and new ones are still accepted by the kernel, but
        nothing is answered until :meth:`resume`. POSIX only.
        """
        if self._process is None:
            raise RuntimeError(f"The embedded server on port {self.port} is not running.")
        os.kill(self._process.pid, signal.SIGSTOP)
        stat = Path(f"/proc/{self._process.pid}/stat")
        if not stat.exists():
            return  # no procfs: the signal is delivered promptly anyway
        deadline = time.monotonic() + timeout
        # The state is the field after the parenthesized command name.
        while stat.read_text().rsplit(")", 1)[1].split()[0] not in ("T", "t"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"The embedded server did not stop within {timeout} s.")
            time.sleep(0.01)  # polling a condition with a deadline, not a fixed wait

    def resume(self) -> None:
        """Let a server frozen by :meth:`pause` run again (SIGCONT)."""
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGCONT)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server gracefully, killing it if it does not exit in time."""
        if self._process is not None:
            self.resume()  # a paused server would not see SIGTERM
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def close(self) -> None:
        """Stop the server and delete its data directory, unless it was given."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> EmbeddedMongoDb:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextmanager
def mongo_container(image: str | None = None, timeout: float = 120.0) -> Iterator[str]:
    """Run the official ``mongo`` image as a single-node replica set; yield its DSN.

    ``image`` defaults to ``$HEXKIT_TEST_MONGODB_IMAGE`` or ``mongo:8.0``. The replica
    set is initiated through the driver (no mongosh needed), and the DSN uses
    ``directConnection=true`` because the member's own address is the container's.
    """
    try:
        from testcontainers.core.container import (  # noqa: PLC0415 - optional
            DockerContainer,
        )
    except ImportError:
        raise ImportError(
            "The testcontainers backend needs testcontainers; run"
            ' `pip install --index-url <your hexkit index>/simple/ "hexkit-mongodb[testing]"`.'
        ) from None
    from pymongo import MongoClient  # noqa: PLC0415 - only for this blocking setup

    # A local socket that does not answer is a clear mistake; other hosts (ssh://, TLS)
    # cannot be pinged without the SDK, so testcontainers reports on its own for them.
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if host.startswith("unix://") and not docker_available():
        raise RuntimeError(
            "HEXKIT_TEST_MONGODB=testcontainers needs a running Docker daemon, and none"
            f" answers at {host}; start Docker, or use HEXKIT_TEST_MONGODB=embedded (or auto)."
        )

    image = image or os.environ.get("HEXKIT_TEST_MONGODB_IMAGE", "mongo:8.0")
    container: Any = (
        DockerContainer(image).with_command("--replSet rs0 --bind_ip_all").with_exposed_ports(27017)
    )
    container.start()
    try:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(27017)
        dsn = f"mongodb://{host}:{port}/?directConnection=true"
        deadline = time.monotonic() + timeout
        client: MongoClient[dict[str, Any]] = MongoClient(dsn, serverSelectionTimeoutMS=2000)
        with client:
            initiated = False
            while True:
                try:
                    if not initiated:
                        client.admin.command(
                            "replSetInitiate",
                            {"_id": "rs0", "members": [{"_id": 0, "host": "localhost:27017"}]},
                        )
                        initiated = True
                    if client.admin.command("hello").get("isWritablePrimary"):
                        break
                except Exception as error:  # retried until the deadline
                    if "already initialized" in str(error):
                        initiated = True
                    elif time.monotonic() > deadline:
                        raise RuntimeError(
                            f"The {image} container did not become a replica set primary"
                            f" within {timeout} s ({error}); check `docker logs`."
                        ) from error
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"The {image} container did not become primary within {timeout} s."
                    )
                time.sleep(0.2)  # polling a condition with a deadline
        yield dsn
    finally:
        container.stop()


@dataclass(frozen=True)
class MongoDbServer:
    """A running server for tests: its DSN (secret) and which backend runs it."""

    dsn: SecretStr
    backend: Literal["testcontainers", "embedded", "dsn"]

    def config(
        self, db_name: str, *, driver: Literal["pymongo", "motor"] = "pymongo"
    ) -> MongoDbConfig:
        """Return provider settings for database ``db_name`` on this server."""
        return MongoDbConfig(
            mongo_dsn=self.dsn,
            db_name=db_name,
            mongo_timeout=_TEST_TIMEOUT,
            mongo_driver=driver,
        )


@contextmanager
def running_server(choice: str | None = None) -> Iterator[MongoDbServer]:
    """Provide a server as ``HEXKIT_TEST_MONGODB`` (or ``choice``) says; see the module doc."""
    choice = (choice if choice is not None else os.environ.get(BACKEND_ENV, "")) or "auto"
    if choice.startswith(("mongodb://", "mongodb+srv://")):
        yield MongoDbServer(dsn=SecretStr(choice), backend="dsn")
        return
    if choice == "auto":
        choice = "testcontainers" if docker_available() else "embedded"
    if choice == "testcontainers":
        with mongo_container() as dsn:
            yield MongoDbServer(dsn=SecretStr(dsn), backend="testcontainers")
    elif choice == "embedded":
        with EmbeddedMongoDb() as server:
            yield MongoDbServer(dsn=SecretStr(server.dsn), backend="embedded")
    else:
        raise ValueError(
            f"{BACKEND_ENV} must be 'auto', 'testcontainers', 'embedded' or a mongodb:// DSN,"
            f" got {choice!r}; fix the environment variable."
        )

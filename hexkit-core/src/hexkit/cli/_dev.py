"""``hexkit dev [NAME ...]``: run the servers a service needs, locally, until Ctrl-C.

Each plugin exposes a dev-server starter from its ``testutils`` under the entry point
group ``hexkit.dev`` (see :mod:`hexkit.registry`); this command finds them by name and
never imports a provider. The data of each server stays in ``--dir`` (``.hexkit/<name>``),
so a restart finds it again. The settings that point the providers at the servers go to
standard output, as ``export`` lines or as a ``.env`` file, and to ``<dir>/dev.env``;
progress goes to standard error. The servers start (and stop) side by side. SIGINT
(Ctrl-C) and SIGTERM stop the servers cleanly.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from hexkit.registry import DevServer, dev_server_starters

from ._migrate import CliError

__all__ = ["add_dev_parser", "run_dev"]

READY = "# hexkit dev: ready; Ctrl-C or SIGTERM stops the servers"
"""The last line printed to standard output once every server answers."""

# Where each first-party dev server comes from, for the hint when one is missing.
_DISTRIBUTIONS = {"postgres": "hexkit-postgres", "mongodb": "hexkit-mongodb", "s3": "hexkit-s3"}


def add_dev_parser(commands: Any) -> None:
    """Add ``dev`` to the console script's parser."""
    parser = commands.add_parser(
        "dev", help="run local servers (PostgreSQL, MongoDB, S3) for development until Ctrl-C"
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="servers to run, e.g. postgres s3 (default: all)"
    )
    parser.add_argument(
        "--dir", default=".hexkit", help="where the servers keep their data (default: .hexkit)"
    )
    parser.add_argument(
        "--format",
        choices=("export", "dotenv"),
        default="export",
        help="print the settings as shell export lines (default) or as a .env file",
    )


def _line(name: str, value: str, style: str) -> str:
    if style == "export":
        return f"export {name}={shlex.quote(value)}"
    return f"{name}={shlex.quote(value)}"


def _chosen(names: list[str]) -> dict[str, Any]:
    found = dev_server_starters()
    if not found:
        raise CliError(
            "No dev servers are installed; install a provider with its testing extra,"
            " e.g. pip install 'hexkit-postgres[testing]'."
        )
    unknown = [name for name in names if name not in found]
    if unknown:
        hints = [
            f"pip install '{_DISTRIBUTIONS[name]}[testing]'"
            for name in unknown
            if name in _DISTRIBUTIONS
        ]
        raise CliError(
            f"No dev server named {', '.join(map(repr, unknown))} is installed (installed:"
            f" {', '.join(found)})." + (f" Install it: {'; '.join(hints)}." if hints else "")
        )
    return {name: found[name] for name in (names or found)}


def _load(name: str, point: Any, directory: Path) -> DevServer:
    try:
        starter = point.load()
    except ImportError as error:  # the testing extra names itself in the message
        raise CliError(f"The {name} dev server cannot be loaded: {error}") from None
    server = starter(directory / name)
    if not isinstance(server, DevServer):
        raise CliError(f"The {name} dev server ({point.value}) is not a DevServer.")
    return server


@contextmanager
def _stop_signals() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt (as Ctrl-C), so both stop the servers."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _say(text: str) -> None:
    print(f"hexkit dev: {text}", file=sys.stderr, flush=True)


def _start_all(servers: Mapping[str, DevServer]) -> dict[str, str]:
    """Start the servers side by side; return their settings, in the order of ``servers``.

    A Ctrl-C while they start still waits for every start to return (the pool's exit),
    so the caller can stop each one.
    """
    with ThreadPoolExecutor(max_workers=len(servers), thread_name_prefix="hexkit-dev") as pool:
        started = {name: pool.submit(server.start) for name, server in servers.items()}
        environment: dict[str, str] = {}
        for future in started.values():
            environment.update(future.result())
    return environment


def _stop_all(servers: Mapping[str, DevServer]) -> None:
    """Stop every server, side by side; one that fails to stop is reported, not raised."""

    def stop(name: str, server: DevServer) -> None:
        try:
            server.stop()
        except Exception as error:  # noqa: BLE001 - stop the others regardless
            _say(f"stopping {name} failed: {type(error).__name__}: {error}")

    with ThreadPoolExecutor(max_workers=len(servers), thread_name_prefix="hexkit-dev") as pool:
        for name, server in servers.items():
            pool.submit(stop, name, server)


def _serve(servers: Mapping[str, DevServer], directory: Path, style: str) -> None:
    try:
        for name, server in servers.items():
            _say(f"starting {server.title} in {directory / name} ...")
        environment = _start_all(servers)
        dotenv = "".join(f"{_line(k, v, 'dotenv')}\n" for k, v in environment.items())
        env_file = directory / "dev.env"
        env_file.touch(mode=0o600)  # it holds the dev servers' credentials
        env_file.write_text(dotenv)
        for key, value in environment.items():
            print(_line(key, value, style))
        print(READY, flush=True)
        _say(f"{', '.join(servers)} running; settings also in {env_file}")
        while True:
            signal.pause()
    except KeyboardInterrupt:
        _say("stopping ...")
    finally:
        _stop_all(servers)
    _say("stopped; the data stays in " + str(directory))


def run_dev(args: argparse.Namespace) -> int:
    """Run ``hexkit dev``; return the exit status."""
    directory = Path(args.dir).resolve()
    try:
        with _stop_signals():
            chosen = _chosen(list(args.names))
            directory.mkdir(parents=True, exist_ok=True)
            servers = {name: _load(name, point, directory) for name, point in chosen.items()}
            _serve(servers, directory, args.format)
    except CliError as error:
        print(f"hexkit dev: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except Exception as error:  # noqa: BLE001 - a server that fails to start: one line, not a traceback
        print(f"hexkit dev: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0

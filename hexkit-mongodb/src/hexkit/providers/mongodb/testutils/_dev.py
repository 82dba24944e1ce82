"""``hexkit dev mongodb``: SecantusDB (MongoDB wire protocol) whose data outlives the command."""

from __future__ import annotations

import os
from pathlib import Path

from hexkit.testing import free_port

from ._backends import EmbeddedMongoDb

__all__ = ["MongoDbDevServer", "dev_server"]

_DB_NAME = "dev"


def _port(directory: Path) -> int:
    """Return the port this directory's server used before, or remember a free one."""
    path = directory / "port"
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        port = free_port("127.0.0.1")
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(str(port))
        return port


class MongoDbDevServer:
    """SecantusDB as a single-node replica set on loopback, its data in ``directory``.

    The port is chosen once per directory, so the printed DSN stays the same.
    """

    title = "MongoDB-compatible (SecantusDB)"

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        path = Path(directory)
        self._server = EmbeddedMongoDb(port=_port(path), directory=path)

    def start(self) -> dict[str, str]:
        """Start the server; return the MongoDB provider's DSN and database settings."""
        self._server.start()
        return {"HEXKIT_MONGODB_MONGO_DSN": self._server.dsn, "HEXKIT_MONGODB_DB_NAME": _DB_NAME}

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and keep its data."""
        self._server.stop()


def dev_server(directory: Path) -> MongoDbDevServer:
    """Build the MongoDB dev server over ``directory`` (the ``hexkit.dev`` entry point)."""
    return MongoDbDevServer(directory)

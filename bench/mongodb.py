"""Benchmark: the MongoDB DAO against the raw AsyncMongoClient doing the same work.

Runs against one embedded SecantusDB server (a child process, so its CPU time is not
counted) in one run, and rewrites the text between ``<!-- mongodb:start -->`` and
``<!-- mongodb:end -->`` in ``bench/README.md``. The main figure is client-process CPU
time per operation (``time.process_time``), which does not depend on how fast the server
is; wall time is reported too. Raw and DAO operations alternate one by one and the median
counts, so drift and noise from other processes hit both alike.

Usage: ``python bench/mongodb.py [--ops 2000] [--rounds 7] [--small 10000] [--big 100000]``
(``nox -s bench`` runs it with the defaults). Never part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient
from support import (
    Operation,
    Order,
    Row,
    Timing,
    fill,
    machine,
    make_order,
    median,
    peak_memory,
    ratio_table,
    timed,
    write_section,
)

from hexkit.protocols.dao import Dao, Index
from hexkit.providers.mongodb import (
    MongoDbConfig,
    MongoDbDaoFactory,
    encode_document,
    to_decimal,
)
from hexkit.providers.mongodb.testutils import EmbeddedMongoDb

PACKAGES = ["pymongo", "pydantic", "SecantusDB"]  # versions named in the results


async def interleaved(
    count: int, raw_op: Operation, dao_op: Operation, raw_base: int, dao_base: int
) -> tuple[list[Timing], list[Timing]]:
    """Time raw and DAO operations one by one, alternating, so drift hits both alike."""
    raw_times, dao_times = [], []
    gc.collect()
    for index in range(count):
        if index % 2:
            dao_times.append(await timed(dao_op, dao_base + index))
            raw_times.append(await timed(raw_op, raw_base + index))
        else:
            raw_times.append(await timed(raw_op, raw_base + index))
            dao_times.append(await timed(dao_op, dao_base + index))
    return raw_times, dao_times


async def single_document_rows(dao: Dao[Order], raw: Any, ops: int) -> list[Row]:
    """insert, get_by_id, upsert and find_one on an indexed field, raw vs DAO.

    The raw side inserts keys [0, ops) and the DAO side [ops, 2*ops); reads and
    upserts then use the keys each side inserted. Each row is the median per operation.
    """
    orders = {key: make_order(key) for key in range(4 * ops)}
    raw_docs = {key: encode_document(orders[key], "order_id") for key in range(ops)}

    async def raw_insert(key: int) -> None:
        await raw.insert_one(dict(raw_docs[key]))

    async def dao_insert(key: int) -> None:
        await dao.insert(orders[key])

    def checked(key: int) -> dict[str, Any]:
        """The pydantic work the DAO contract asks of a write: validate again, then encode."""
        return encode_document(Order.model_validate(orders[key].model_dump()), "order_id")

    async def raw_insert_checked(key: int) -> None:
        await raw.insert_one(checked(key))

    async def raw_upsert_checked(key: int) -> None:
        document = checked(key)
        await raw.replace_one({"_id": document["_id"]}, document, upsert=True)

    async def raw_get(key: int) -> Any:
        return await raw.find_one({"_id": f"order-{key:07d}"})

    async def dao_get(key: int) -> Order:
        return await dao.get_by_id(f"order-{key:07d}")

    async def raw_upsert(key: int) -> None:
        document = raw_docs[key]
        await raw.replace_one({"_id": document["_id"]}, document, upsert=True)

    async def dao_upsert(key: int) -> None:
        await dao.upsert(orders[key])

    async def raw_find_one(key: int) -> Any:
        return await raw.find_one({"number": key})

    async def dao_find_one(key: int) -> Order:
        return await dao.find_one(mapping={"number": key})

    # Writes are paired twice: against pre-encoded raw documents (the driver alone, for
    # comparison) and against a raw side doing the pydantic work the DAO contract asks of
    # every write (validate again, encode); the target applies to the second.
    plan: list[tuple[str, Operation, Operation, float | None, int, int]] = [
        ("insert (raw: pre-encoded)", raw_insert, dao_insert, None, 0, ops),
        ("insert (raw: validate + encode)", raw_insert_checked, dao_insert, 1.25, 2 * ops, 3 * ops),
        ("get_by_id", raw_get, dao_get, 1.25, 0, ops),
        ("upsert (raw: pre-encoded)", raw_upsert, dao_upsert, None, 0, ops),
        ("upsert (raw: validate + encode)", raw_upsert_checked, dao_upsert, 1.25, 0, ops),
        ("find_one (indexed field)", raw_find_one, dao_find_one, 1.25, 0, ops),
    ]
    rows = []
    for name, raw_op, dao_op, target, raw_base, dao_base in plan:
        raw_times, dao_times = await interleaved(ops, raw_op, dao_op, raw_base, dao_base)
        rows.append(Row(name, median(raw_times), median(dao_times), target))
    return rows


def encoded_order(key: int) -> dict[str, Any]:
    """An order as the DAO stores it, for the raw collections."""
    return encode_document(make_order(key), "order_id")


def validated(document: dict[str, Any]) -> Order:
    """The least a hand-written reader does to turn a raw document into an ``Order``."""
    document["order_id"] = document.pop("_id")
    document["amount"] = to_decimal(document["amount"])
    return Order.model_validate(document)


async def find_all_rows(dao: Dao[Order], raw: Any, size: int, rounds: int) -> list[Row]:
    """Stream every document of a ``size``-document collection: raw, raw + validate, DAO.

    The three scans alternate in each round (their order rotates), so drift hits all
    alike; each figure is the median over the rounds. The "raw + validate" baseline
    is the raw client plus the same ``model_validate`` per document, with the least
    conversion that lets it validate (``_id`` renamed, the fastest Decimal128 to
    Decimal): what the DAO costs beyond that is its own overhead.
    """
    times: dict[str, list[Timing]] = {"raw": [], "validate": [], "dao": []}

    async def raw_scan() -> int:
        return sum([1 async for _ in raw.find({})])

    async def validate_scan() -> int:
        return sum([1 async for document in raw.find({}) if validated(document)])

    async def dao_scan() -> int:
        return sum([1 async for _ in dao.find_all(mapping={})])

    scans = [("raw", raw_scan), ("validate", validate_scan), ("dao", dao_scan)]
    for round_ in range(rounds):
        shift = round_ % len(scans)
        for name, scan in scans[shift:] + scans[:shift]:
            gc.collect()
            cpu, wall = time.process_time(), time.perf_counter()
            assert await scan() == size
            times[name].append(
                Timing((time.process_time() - cpu) / size, (time.perf_counter() - wall) / size)
            )
    raw_t, validate_t, dao_t = (median(times[name]) for name in ("raw", "validate", "dao"))
    return [
        Row(f"find_all over {size:,} docs, vs raw dicts (per doc)", raw_t, dao_t, 1.5),
        Row(
            f"find_all over {size:,} docs, vs raw + model_validate (per doc)",
            validate_t,
            dao_t,
            1.1,
        ),
    ]


def render(rows: list[Row], memory: tuple[int, int, int, int], args: argparse.Namespace) -> str:
    small, big, small_peak, big_peak = memory
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on: {machine(PACKAGES)}.",
        f"Server: embedded SecantusDB in a child process on loopback; driver: PyMongo"
        f" `AsyncMongoClient`. Single-document rows: median of {args.ops} raw and {args.ops} DAO"
        " operations timed one by one, alternating; find_all: median of"
        f" {args.rounds} rounds of full scans (raw, raw + validate, DAO; order rotating)."
        " CPU = client-process CPU time"
        " (`time.process_time`).",
        "",
        *ratio_table(rows),
    ]
    lines += [
        "",
        "Writes are paired twice. Against pre-encoded documents the raw side is the driver"
        " alone (for comparison, no target). Against validate + encode it does the pydantic"
        " work the DAO contract asks of every write (`model_validate` of the"
        " DTO's dump, then the same BSON mapping); the target applies to that row. What the"
        " DAO adds beyond it is the core's storage-rule check and its error translation.",
        "",
        "The two find_all rows time the same DAO scans against two baselines. Raw dicts"
        " only decode BSON, in C; the DAO also validates every document into the"
        " pydantic model, so that row shows the price of getting DTOs. The raw +"
        " model_validate row gives the raw cursor the same `model_validate` per document"
        " (with the least conversion that lets it validate: `_id` renamed, Decimal128 to"
        " Decimal), so its ratio is what the DAO itself adds.",
    ]
    ratio = big_peak / small_peak
    lines += [
        "",
        f"`find_all` peak traced memory while streaming (tracemalloc): {small:,} docs"
        f" {small_peak / 1024:.0f} KiB, {big:,} docs {big_peak / 1024:.0f} KiB, ratio"
        f" {ratio:.2f}x (target < 2x: {'yes' if ratio < 2 else 'no'}).",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace, dsn: str) -> str:
    config = MongoDbConfig(mongo_dsn=dsn, db_name="bench", mongo_timeout=30)
    # The raw client gets the same timeouts as the DAO's (mongo_timeout=30), so both
    # pay for the same deadline handling; it decodes to plain dicts.
    millis = 30_000
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        dsn,
        uuidRepresentation="standard",
        tz_aware=True,
        timeoutMS=millis,
        serverSelectionTimeoutMS=millis,
        connectTimeoutMS=millis,
    )
    try:
        await client.drop_database("bench")
        async with MongoDbDaoFactory.construct(config=config) as factory:
            indexes = [Index("number")]
            dao = await factory.get_dao(
                name="dao", dto_model=Order, id_field="order_id", indexes=indexes
            )
            raw = client["bench"]["raw"]
            await raw.create_index("number")
            rows = await single_document_rows(dao, raw, args.ops)

            scan_dao = await factory.get_dao(name="scan", dto_model=Order, id_field="order_id")
            scan_raw = client["bench"]["scan"]
            await fill(scan_raw, encoded_order, 0, args.small)
            rows += await find_all_rows(scan_dao, scan_raw, args.small, args.rounds)
            small_peak = await peak_memory(lambda: scan_dao.find_all(mapping={}), args.small)
            await fill(scan_raw, encoded_order, args.small, args.big)
            big_peak = await peak_memory(lambda: scan_dao.find_all(mapping={}), args.big)
        await client.drop_database("bench")
    finally:
        await client.close()
    return render(rows, (args.small, args.big, small_peak, big_peak), args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    args, _ = parser.parse_known_args()
    started = time.monotonic()
    with EmbeddedMongoDb() as server:
        section = asyncio.run(run(args, server.dsn))
    write_section("mongodb", section)
    print(section)
    print(f"bench/mongodb.py took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Measuring tools of the DAO benchmarks: the record model, paired timing, README sections.

Kept in a package so that ``nox -s bench``, which runs every ``bench/*.py``, does not run it.
``bench/postgres.py`` uses it; ``bench/mongodb.py`` holds its own copy of the model and
helpers and could switch to this one.
"""

from __future__ import annotations

import gc
import importlib.metadata
import os
import platform
import re
import statistics
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel

README = Path(__file__).resolve().parent.parent / "README.md"


class Address(BaseModel):
    street: str
    city: str
    zip_code: int


class Order(BaseModel):
    """A typical service record: a dozen fields, a nested model and a list."""

    order_id: str
    number: int
    customer: str
    amount: Decimal
    created: datetime
    paid: bool
    tags: list[str]
    address: Address
    note: str | None = None


BASE = datetime(2024, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)


def make_order(key: int, version: int = 0) -> Order:
    return Order(
        order_id=f"order-{key:07d}",
        number=key,
        customer=f"customer-{key % 97}",
        amount=Decimal(f"{key}.{version:02d}"),
        created=BASE + timedelta(seconds=key),
        paid=key % 2 == 0,
        tags=["web", f"batch-{key % 10}"],
        address=Address(street=f"Main St {key}", city="Heidelberg", zip_code=69117),
        note=None,
    )


@dataclass
class Timing:
    """Client CPU seconds and wall seconds of one operation (or per document)."""

    cpu: float
    wall: float


@dataclass
class Row:
    name: str
    raw: Timing
    dao: Timing
    target: float | None  # None: shown for comparison, no target

    @property
    def cpu_ratio(self) -> float:
        return self.dao.cpu / self.raw.cpu

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.cpu_ratio <= self.target


Operation = Callable[[int], Awaitable[Any]]


async def timed_block(operation: Operation, keys: range) -> Timing:
    """Run ``operation`` for every key; return CPU and wall time per operation."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    for key in keys:
        await operation(key)
    return Timing((time.process_time() - cpu) / len(keys), (time.perf_counter() - wall) / len(keys))


async def paired_rounds(
    rounds: int, ops: int, raw_op: Operation, dao_op: Operation, *, first_key: int = 0
) -> tuple[Timing, Timing]:
    """Time ``ops`` raw and ``ops`` DAO operations per round, alternating who goes first.

    Round ``r`` passes the keys ``first_key + [r * ops, (r + 1) * ops)`` to both sides;
    the result is the median per-operation time over the rounds, so drift and noise from
    other processes hit both sides alike.
    """
    raw_times, dao_times = [], []
    for round_number in range(rounds):
        start = first_key + round_number * ops
        keys = range(start, start + ops)
        pair = [(raw_op, raw_times), (dao_op, dao_times)]
        for operation, times in pair if round_number % 2 == 0 else reversed(pair):
            times.append(await timed_block(operation, keys))
    return median(raw_times), median(dao_times)


def median(timings: list[Timing]) -> Timing:
    return Timing(
        statistics.median(t.cpu for t in timings), statistics.median(t.wall for t in timings)
    )


async def peak_memory(stream: Callable[[], AsyncIterator[Any]], expected: int) -> int:
    """Peak bytes traced while consuming ``stream()`` without keeping its items."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        count = 0
        async for _ in stream():
            count += 1
        assert count == expected, (count, expected)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def machine(packages: list[str]) -> str:
    """Describe the CPU, Python and the versions of ``packages``."""
    model = "unknown CPU"
    try:
        found = re.search(
            r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE
        )
        if found:
            model = found.group(1).strip()
    except OSError:
        model = platform.processor() or model
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in packages)
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"
        f" ({platform.system()}), {versions}"
    )


def ratio_table(rows: list[Row]) -> list[str]:
    """Markdown table of raw vs DAO CPU and wall time per row, with the target."""
    lines = [
        "| operation | raw CPU µs/op | DAO CPU µs/op | CPU DAO/raw | raw wall µs/op"
        " | DAO wall µs/op | wall DAO/raw | target (CPU) | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        wall_ratio = row.dao.wall / row.raw.wall
        target = "—" if row.target is None else f"<= {row.target:.2f}x"
        met = {None: "—", True: "yes", False: "no"}[row.met]
        lines.append(
            f"| {row.name} | {row.raw.cpu * 1e6:.1f} | {row.dao.cpu * 1e6:.1f}"
            f" | {row.cpu_ratio:.2f}x | {row.raw.wall * 1e6:.1f} | {row.dao.wall * 1e6:.1f}"
            f" | {wall_ratio:.2f}x | {target} | {met} |"
        )
    return lines


def write_section(name: str, section: str) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    start_mark, end_mark = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = README.read_text()
    start, end = text.index(start_mark) + len(start_mark), text.index(end_mark)
    README.write_text(text[:start] + "\n" + section + "\n" + text[end:])

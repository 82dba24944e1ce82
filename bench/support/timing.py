"""Timing raw against provider operations: client CPU and wall time, medians, peak memory."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any


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


async def timed(operation: Callable[..., Awaitable[Any]], *args: Any) -> Timing:
    """Run ``operation(*args)`` once; return its CPU and wall time (no gc.collect first)."""
    cpu, wall = time.process_time(), time.perf_counter()
    await operation(*args)
    return Timing(time.process_time() - cpu, time.perf_counter() - wall)


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
    raw_times: list[Timing] = []
    dao_times: list[Timing] = []
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

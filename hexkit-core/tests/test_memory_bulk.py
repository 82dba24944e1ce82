"""Bulk writes of the memory provider stream their input: memory stays flat."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from hexkit.providers.memory import MemoryDaoConfig, MemoryDaoFactory

pytestmark = pytest.mark.asyncio


class Item(BaseModel):
    id: str
    payload: str


def _items(count: int) -> Iterator[Item]:
    # A few IDs over and over: what is stored stays the same size however long the input.
    for number in range(count):
        yield Item(id=f"k{number % 50}", payload=f"{number:08d}" * 8)


async def _peak(count: int) -> int:
    async with MemoryDaoFactory.construct(config=MemoryDaoConfig()) as factory:
        dao = await factory.get_dao(name="flat", dto_model=Item, id_field="id")
        await dao.upsert_many(_items(2000))  # warm caches outside the measurement
        tracemalloc.start()
        try:
            result = await dao.upsert_many(_items(count), batch_size=500)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert result.written == count
    return peak


async def test_upsert_many_of_a_generator_keeps_memory_flat() -> None:
    small = await _peak(5_000)
    large = await _peak(50_000)
    # Ten times the input, about the same peak: one batch is held at a time.
    assert large < small * 1.5 + 256 * 1024, (small, large)


async def test_a_materialising_implementation_would_fail_this_measurement() -> None:
    # The measurement can fail: holding the whole input grows the peak with it.
    tracemalloc.start()
    try:
        held = list(_items(5_000))
        _, small = tracemalloc.get_traced_memory()
        held += list(_items(45_000))
        _, large = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(held) == 50_000
    assert large > small * 1.5 + 256 * 1024

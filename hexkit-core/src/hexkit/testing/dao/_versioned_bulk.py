"""Conformance tests: ``upsert_many`` on a versioned DAO (each item a versioned upsert)."""

from __future__ import annotations

import asyncio

import pytest

from hexkit.protocols.dao import (
    BulkWriteError,
    DaoFactoryProtocol,
    ResourceChangedError,
    TransactionError,
)

from ._base import DaoKitBase, unique_name
from ._versions import Counter, DaoVersionTests

__all__ = ["DaoVersionedBulkTests"]


def _changes(error: BulkWriteError) -> list[tuple[int, object, int, int | None]]:
    """Return each failure as (position, ID, expected version, stored version)."""
    found = []
    for failure in error.failures:
        assert isinstance(failure.error, ResourceChangedError), failure.error
        found.append((failure.position, failure.id, failure.error.expected, failure.error.stored))
    return found


class DaoVersionedBulkTests(DaoKitBase):
    """A versioned ``upsert_many`` checks every item as ``upsert`` does, in input order."""

    @pytest.mark.parametrize("batch_size", [None, 2])
    async def test_versioned_upsert_many_checks_each_item_in_input_order(
        self, dao_factory: DaoFactoryProtocol, batch_size: int | None
    ) -> None:
        dao = await DaoVersionTests.counter_dao(dao_factory)
        a = await dao.insert(Counter(id="a"))
        b = await dao.insert(Counter(id="b"))
        await dao.update(b.model_copy(update={"value": 1}))  # b is at version 2
        items = [
            Counter(id="n", value=1),  # version 0: created at version 1
            a.model_copy(update={"value": 5}),  # the stored version: written, now 2
            b,  # stale: version 2 is stored
            Counter(id="gone", version=3),  # not stored: stays gone
            Counter(id="a", value=6, version=2),  # expects what the item before stored
            Counter(id="n", value=9),  # version 0 again: "create", but item 0 created it
        ]
        with pytest.raises(BulkWriteError) as info:
            await dao.upsert_many(items, batch_size=batch_size)
        error = info.value
        assert not error.rolled_back
        assert (error.attempted, error.written) == (6, 3)
        assert _changes(error) == [(2, "b", 1, 2), (3, "gone", 3, None), (5, "n", 0, 1)]
        stored = {c.id: (c.value, c.version) for c in await dao.find_all(mapping={}).to_list()}
        assert stored == {"a": (6, 3), "b": (1, 2), "n": (1, 1)}

    async def test_versioned_upsert_many_without_conflicts_bumps_every_version(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await DaoVersionTests.counter_dao(dao_factory)
        created = await dao.upsert_many(Counter(id=f"c{n:03d}") for n in range(120))
        assert created.written == 120
        current = await dao.find_all(mapping={}, sort=["id"]).to_list()
        assert {c.version for c in current} == {1}
        bumped = (c.model_copy(update={"value": c.value + 1}) for c in current)
        assert (await dao.upsert_many(bumped, batch_size=50)).written == 120
        after = await dao.find_all(mapping={}, sort=["id"]).to_list()
        assert {(c.value, c.version) for c in after} == {(1, 2)}

    async def test_racing_versioned_upsert_many_calls_write_each_item_once(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        # Every caller read version 1 of the same items: each item has exactly one winner.
        name = unique_name("ver")
        dao = await DaoVersionTests.counter_dao(dao_factory, name)
        await dao.insert_many(Counter(id=f"r{n}") for n in range(20))
        read = await dao.find_all(mapping={}).to_list()

        async def caller(task: int) -> tuple[set[str], set[type]]:
            items = [c.model_copy(update={"value": task}) for c in read]
            try:
                await dao.upsert_many(items, batch_size=7)
            except BulkWriteError as error:
                lost = {f.id for f in error.failures}
                return {c.id for c in read} - lost, {type(f.error) for f in error.failures}
            return {c.id for c in read}, set()

        outcomes = await asyncio.gather(*(caller(task) for task in range(1, 6)))
        assert set().union(*(kinds for _, kinds in outcomes)) == {ResourceChangedError}
        won = [ids for ids, _ in outcomes]
        assert sorted(id_ for ids in won for id_ in ids) == sorted(c.id for c in read)
        winners = {id_: task for task, ids in enumerate(won, start=1) for id_ in ids}
        final = await dao.find_all(mapping={}).to_list()
        assert {c.id: (c.value, c.version) for c in final} == {
            id_: (task, 2) for id_, task in winners.items()
        }

    async def test_a_stale_item_in_a_transaction_rolls_the_call_back(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        if not self.supports_transactions:
            pytest.skip("the provider declares supports_transactions = False")
        dao = await DaoVersionTests.counter_dao(dao_factory)
        a = await dao.insert(Counter(id="a"))
        items = [Counter(id="new"), a.model_copy(update={"value": 1}), Counter(id="a", value=2)]
        try:
            async with dao_factory.transaction():
                with pytest.raises(BulkWriteError) as info:
                    await dao.upsert_many(items)
        except TransactionError:
            pass  # MongoDB: the refused create aborted the transaction
        assert info.value.rolled_back
        assert info.value.written == 0
        # Stored: 2 as the transaction saw it, or 1 where the refusal aborted it (MongoDB).
        assert [change[:3] for change in _changes(info.value)] == [(2, "a", 0)]
        assert _changes(info.value)[0][3] in (1, 2)
        assert await dao.get_by_id("a") == a
        assert not await dao.exists("new")
        async with dao_factory.transaction():
            assert (await dao.upsert_many([a.model_copy(update={"value": 3})])).written == 1
        assert await dao.get_by_id("a") == Counter(id="a", value=3, version=2)

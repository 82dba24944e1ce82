"""Conformance tests: minimal cases the state machines of ``hexkit.testing.stateful`` found.

Each test is the shrunk example of one divergence between a provider and the memory
reference, kept so that it can never come back unnoticed. (Read-back cases the machines
found live with the read-back rule, in ``_dao_readback``.)
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from hexkit.protocols.dao import (
    DaoFactoryProtocol,
    Index,
    TransactionError,
    UniqueConstraintViolationError,
)

from ._base import DaoKitBase, unique_name
from ._readback import ReadBack

__all__ = ["DaoFoundTests"]


class DaoFoundTests(DaoKitBase):
    """Divergences the DAO machine found, each pinned as its minimal example."""

    async def test_a_stale_write_that_breaks_a_unique_index_too_fails_the_block(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        """The block fails with either error and nothing of it is committed.

        PostgreSQL reports the write conflict (``TransactionError``), SecantusDB the unique
        index it would also break (``UniqueConstraintViolationError``); the rule allows
        both. Memory reports the conflict, as PostgreSQL does, checked at every write.
        """
        if not self.supports_transactions:
            pytest.skip("the provider declares supports_transactions = False")
        dao = await dao_factory.get_dao(
            name=unique_name(),
            dto_model=ReadBack,
            id_field="id",
            indexes=[Index("text", unique=True)],
        )
        await dao.insert(ReadBack(id="a", text="taken"))
        read_done = asyncio.Event()

        async def outside_writer() -> None:
            await read_done.wait()
            await dao.upsert(ReadBack(id="b", text="free"))

        writer = asyncio.create_task(outside_writer())
        with pytest.raises((TransactionError, UniqueConstraintViolationError)):  # noqa: PT012 - the whole block is under test
            async with dao_factory.transaction():
                assert await dao.find_all(mapping={"id": "b"}).total_count() == 0
                read_done.set()
                await writer  # its failure fails the test at once, not after a wait
                await dao.upsert(ReadBack(id="b", text="taken"))
        await writer
        assert (await dao.get_by_id("b")).text == "free"

    async def test_naive_and_aware_datetimes_sort_together_naive_first_at_the_same_time(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        """Found by the machine: memory raised ``TypeError`` comparing them; backends sort text.

        Datetimes sort by their stored text: aware ones in UTC, by instant; a naive one
        before an aware one of the same wall time (its text is a prefix of the other's).
        """
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=ReadBack, id_field="id")
        await dao.insert(ReadBack(id="a", when=datetime(2000, 1, 1, tzinfo=UTC)))
        await dao.insert(ReadBack(id="b", when=datetime(2000, 1, 1)))
        await dao.insert(ReadBack(id="c", when=datetime(1999, 12, 31, 23, 59)))
        for sort, expected in (
            (["when"], ["c", "b", "a"]),
            (["-when"], ["a", "b", "c"]),
            (["id", "when"], ["a", "b", "c"]),
        ):
            hits = await dao.find_all(mapping={}, sort=sort).to_list()
            assert [hit.id for hit in hits] == expected, sort

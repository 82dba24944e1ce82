"""Conformance tests: transactions across DAOs of one factory."""

from __future__ import annotations

import asyncio

import pytest

from hexkit.protocols.dao import (
    DaoFactoryProtocol,
    Index,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    TransactionError,
    TransactionsNotSupportedError,
)

from ._base import DaoKitBase
from ._models import make_everything

__all__ = ["DaoTransactionTests"]


class _Planned(Exception):
    """Raised inside a transaction block to force a rollback."""


class DaoTransactionTests(DaoKitBase):
    """Commit, rollback, isolation, and the behaviour without transaction support."""

    def _need_transactions(self) -> None:
        if not self.supports_transactions:
            pytest.skip("the provider declares supports_transactions = False")

    async def test_entering_a_transaction_matches_the_declared_support(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        if self.supports_transactions:
            async with dao_factory.transaction():
                pass
            return
        with pytest.raises(TransactionsNotSupportedError):
            async with dao_factory.transaction():
                pass

    async def test_a_taken_id_in_a_transaction_is_reported_as_such(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        # The insert breaks the unique index too; a server may name that index first, and
        # the failed write ends the transaction, but the taken ID is what gets reported,
        # as outside a transaction.
        self._need_transactions()
        dao = await self.everything_dao(dao_factory, [Index("number", unique=True)])
        await dao.insert(make_everything("a", 1))
        with pytest.raises(ResourceAlreadyExistsError):
            async with dao_factory.transaction():
                await dao.insert(make_everything("a", 1))
        assert (await dao.get_by_id("a")).number == 1

    async def test_writes_to_several_daos_commit_together(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        self._need_transactions()
        first = await self.everything_dao(dao_factory)
        second = await self.everything_dao(dao_factory)
        async with dao_factory.transaction():
            await first.insert(make_everything("one", 1))
            await second.insert(make_everything("two", 2))
            assert (await first.get_by_id("one")).number == 1
        assert (await first.get_by_id("one")).number == 1
        assert (await second.get_by_id("two")).number == 2

    async def test_an_exception_rolls_every_write_back(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        self._need_transactions()
        first = await self.everything_dao(dao_factory)
        second = await self.everything_dao(dao_factory)
        await first.insert(make_everything("kept", 1))
        await second.insert(make_everything("doomed", 2))
        with pytest.raises(_Planned):  # noqa: PT012 - the whole block is under test
            async with dao_factory.transaction():
                await first.insert(make_everything("new", 3))
                await first.update(make_everything("kept", 10))
                await second.delete("doomed")
                raise _Planned
        with pytest.raises(ResourceNotFoundError):
            await first.get_by_id("new")
        assert (await first.get_by_id("kept")).number == 1
        assert (await second.get_by_id("doomed")).number == 2

    async def test_uncommitted_writes_are_invisible_outside(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        self._need_transactions()
        dao = await self.everything_dao(dao_factory)
        written = asyncio.Event()
        looked = asyncio.Event()

        async def outside_reader() -> int:
            await written.wait()
            try:
                return await dao.find_all(mapping={}).total_count()
            finally:
                looked.set()

        reader = asyncio.create_task(outside_reader())
        async with dao_factory.transaction():
            await dao.insert(make_everything("hidden", 1))
            written.set()
            await asyncio.wait_for(looked.wait(), timeout=30)
        assert await reader == 0
        assert (await dao.get_by_id("hidden")).number == 1

    async def test_nested_transactions_are_refused(self, dao_factory: DaoFactoryProtocol) -> None:
        self._need_transactions()
        dao = await self.everything_dao(dao_factory)
        with pytest.raises(TransactionError):  # noqa: PT012 - the whole block is under test
            async with dao_factory.transaction():
                await dao.insert(make_everything("outer", 1))
                async with dao_factory.transaction():
                    pass
        with pytest.raises(ResourceNotFoundError):
            await dao.get_by_id("outer")

    async def test_a_write_based_on_a_stale_read_is_never_applied(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        """Snapshot semantics: no lost update through a transaction's stale read.

        A resource changed outside after the transaction read it cannot be overwritten
        by the transaction: the write or the commit raises ``TransactionError``.
        """
        self._need_transactions()
        dao = await self.everything_dao(dao_factory)
        await dao.insert(make_everything("x", 1))
        read_done, outside_done = asyncio.Event(), asyncio.Event()

        async def outside_writer() -> None:  # started before the block: not in the transaction
            await read_done.wait()
            await dao.update(make_everything("x", 2))
            outside_done.set()

        writer = asyncio.create_task(outside_writer())
        with pytest.raises(TransactionError):  # noqa: PT012 - the whole block is under test
            async with dao_factory.transaction():
                stale = await dao.get_by_id("x")
                read_done.set()
                await asyncio.wait_for(outside_done.wait(), 30)
                await dao.update(stale.model_copy(update={"text": "from a stale read"}))
        await writer
        assert await dao.get_by_id("x") == make_everything("x", 2)

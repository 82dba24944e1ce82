"""Conformance tests: bulk writes and their outcome rule, counts and existence checks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from hexkit.protocols.dao import (
    BulkResult,
    BulkWriteError,
    DaoFactoryProtocol,
    Index,
    InvalidDocumentError,
    InvalidFindMappingError,
    InvalidIdError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    TransactionError,
    UniqueConstraintViolationError,
)

from ._base import DaoKitBase, unique_name
from ._models import Everything, EverythingCreation, UuidKeyed, UuidKeyedCreation, make_everything

__all__ = ["DaoBulkTests"]

# Out of the signed 64-bit range: every provider refuses it before any I/O.
_TOO_BIG = 2**63


class _Planned(Exception):
    """Raised inside a transaction block to force a rollback."""


def _invalid(id_: str) -> Everything:
    """Return a DTO that validates but breaks a storage rule (a 65-bit integer)."""
    return make_everything(id_, 5).model_copy(update={"number": _TOO_BIG})


def _numbered(count: int, prefix: str = "b") -> Iterator[Everything]:
    for number in range(count):
        yield make_everything(f"{prefix}{number:03d}", number)


async def _streamed(count: int) -> AsyncIterator[Everything]:
    for dto in _numbered(count):
        yield dto


class DaoBulkTests(DaoKitBase):
    """insert_many, upsert_many, delete_many, count and exists on every provider."""

    async def test_insert_many_streams_iterables_across_batches(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        result = await dao.insert_many(_numbered(7), batch_size=3)
        assert isinstance(result, BulkResult)
        assert result.written == 7
        streamed = await self.everything_dao(dao_factory)
        assert (await streamed.insert_many(_streamed(5), batch_size=2)).written == 5
        assert sorted([dto.id async for dto in dao.find_all(mapping={})]) == [
            f"b{n:03d}" for n in range(7)
        ]
        assert await dao.get_by_id("b004") == make_everything("b004", 4)
        assert await streamed.count(mapping={}) == 5

    async def test_insert_many_reports_each_item_not_written_and_writes_the_rest(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory, [Index("number", unique=True)])
        await dao.insert(make_everything("taken", 100))
        items = [
            make_everything("a", 1),
            make_everything("taken", 2),  # existing ID
            make_everything("b", 100),  # unique index
            _invalid("c"),  # invalid document
            make_everything("a", 3),  # duplicate ID within the input
            make_everything("d", 4),
        ]
        with pytest.raises(BulkWriteError) as info:
            await dao.insert_many(items, batch_size=4)
        error = info.value
        assert (error.attempted, error.written, error.rolled_back) == (6, 2, False)
        outcome = [(f.position, f.id, type(f.error)) for f in error.failures]
        assert outcome == [
            (1, "taken", ResourceAlreadyExistsError),
            (2, "b", UniqueConstraintViolationError),
            (3, "c", InvalidDocumentError),
            (4, "a", ResourceAlreadyExistsError),
        ]
        unique = error.failures[1].error
        assert isinstance(unique, UniqueConstraintViolationError)
        assert unique.fields == ("number",)
        assert await dao.get_by_id("a") == make_everything("a", 1)
        assert await dao.get_by_id("d") == make_everything("d", 4)
        assert (await dao.get_by_id("taken")).number == 100
        assert not await dao.exists("b")
        assert not await dao.exists("c")
        assert await dao.count(mapping={}) == 3

    async def test_rerunning_insert_many_reports_present_items_as_existing(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        await dao.insert_many(_numbered(4), batch_size=3)
        with pytest.raises(BulkWriteError) as info:
            await dao.insert_many(_numbered(6), batch_size=3)
        error = info.value
        assert error.written == 2
        assert [f.position for f in error.failures] == [0, 1, 2, 3]
        assert all(isinstance(f.error, ResourceAlreadyExistsError) for f in error.failures)
        assert await dao.count(mapping={}) == 6

    async def test_bulk_error_messages_are_short(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self.everything_dao(dao_factory)
        await dao.insert_many(_numbered(20))
        with pytest.raises(BulkWriteError) as info:
            await dao.insert_many(_numbered(20))
        message = str(info.value)
        assert "20 of 20" in message
        assert "and 15 more" in message
        assert "b019" not in message  # only the first failures are listed
        assert "ünïcode" not in message  # documents are never quoted
        assert len(info.value.failures) == 20

    async def test_upsert_many_inserts_replaces_and_converges(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        await dao.insert(make_everything("b001", 50))
        items = [*_numbered(3), make_everything("b000", 99)]  # a later duplicate wins
        assert (await dao.upsert_many(items, batch_size=2)).written == 4
        assert (await dao.upsert_many(items, batch_size=3)).written == 4
        assert (await dao.get_by_id("b000")).number == 99
        assert (await dao.get_by_id("b001")).number == 1
        assert await dao.count(mapping={}) == 3

    async def test_upsert_many_reports_unique_and_invalid_items(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory, [Index("number", unique=True)])
        await dao.insert(make_everything("other", 7))
        items = [make_everything("x", 1), make_everything("y", 7), _invalid("z")]
        with pytest.raises(BulkWriteError) as info:
            await dao.upsert_many(items)
        outcome = [(f.position, f.id, type(f.error)) for f in info.value.failures]
        assert outcome == [
            (1, "y", UniqueConstraintViolationError),
            (2, "z", InvalidDocumentError),
        ]
        assert info.value.written == 1
        assert await dao.exists("x")
        assert not await dao.exists("y")

    async def test_delete_many_reports_missing_ids(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self.everything_dao(dao_factory)
        await dao.insert_many(_numbered(5))
        assert (await dao.delete_many(["b000", "b001"])).written == 2
        with pytest.raises(BulkWriteError) as info:
            await dao.delete_many(iter(["b002", "gone", "b003", "b002"]), batch_size=3)
        outcome = [(f.position, f.id, type(f.error)) for f in info.value.failures]
        assert outcome == [(1, "gone", ResourceNotFoundError), (3, "b002", ResourceNotFoundError)]
        assert info.value.written == 2
        assert not await dao.exists("b002")
        assert not await dao.exists("b000")
        assert await dao.exists("b004")

    async def test_surrogate_insert_many_returns_created_dtos_in_input_order(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(
            name=unique_name(),
            dto_model=UuidKeyed,
            id_field="key",
            dto_creation_model=UuidKeyedCreation,
        )
        creations = [UuidKeyedCreation(name=f"n{i}", rank=i) for i in range(5)]
        result = await dao.insert_many(creations, batch_size=2)
        assert result.written == 5
        assert [(dto.name, dto.rank) for dto in result.dtos] == [(f"n{i}", i) for i in range(5)]
        assert len({dto.key for dto in result.dtos}) == 5
        for dto in result.dtos:
            assert await dao.get_by_id(dto.key) == dto
        flat = await dao.insert_many(creations, return_dtos=False)
        assert (flat.written, flat.dtos) == (5, [])
        assert await dao.count(mapping={}) == 10

    async def test_surrogate_insert_many_reports_invalid_creations(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(
            name=unique_name(),
            dto_model=Everything,
            id_field="id",
            dto_creation_model=EverythingCreation,
        )
        good = EverythingCreation(**make_everything("x", 1).model_dump(exclude={"id"}))
        bad = good.model_copy(update={"number": _TOO_BIG})
        with pytest.raises(BulkWriteError) as info:
            await dao.insert_many([good, bad, good])
        assert [f.position for f in info.value.failures] == [1]
        assert isinstance(info.value.failures[0].error, InvalidDocumentError)
        assert [dto.number for dto in info.value.dtos] == [1, 1]
        assert await dao.count(mapping={}) == 2

    async def test_a_bulk_call_in_a_transaction_is_all_or_nothing(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        if not self.supports_transactions:
            pytest.skip("the provider declares supports_transactions = False")
        dao = await self.everything_dao(dao_factory)
        await dao.insert(make_everything("b003", 3))
        with pytest.raises(BulkWriteError) as info:
            async with dao_factory.transaction():
                await dao.insert_many(_numbered(6), batch_size=2)
        assert info.value.rolled_back
        assert info.value.written == 0
        assert [(f.position, f.id) for f in info.value.failures] == [(3, "b003")]
        assert await dao.count(mapping={}) == 1
        with pytest.raises(_Planned):  # noqa: PT012 - the block is under test
            async with dao_factory.transaction():
                assert (await dao.upsert_many(_numbered(6), batch_size=4)).written == 6
                raise _Planned
        assert await dao.count(mapping={}) == 1
        async with dao_factory.transaction():
            await dao.delete_many(["b003"])
        assert not await dao.exists("b003")

    async def test_a_failed_bulk_call_caught_in_a_transaction_left_nothing_behind(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        # Caught inside the block, the error must not let part of the call commit. (On
        # MongoDB the refused write aborted the transaction: the commit then fails.)
        if not self.supports_transactions:
            pytest.skip("the provider declares supports_transactions = False")
        dao = await self.everything_dao(dao_factory)
        await dao.insert(make_everything("b003", 3))
        try:
            async with dao_factory.transaction():
                with pytest.raises(BulkWriteError) as info:
                    await dao.insert_many(_numbered(6), batch_size=2)
        except TransactionError:
            pass
        assert info.value.rolled_back
        assert await dao.count(mapping={}) == 1
        # The same when the failing item is refused before I/O, after a batch was written.
        try:
            async with dao_factory.transaction():
                with pytest.raises(BulkWriteError) as info:
                    await dao.upsert_many([*_numbered(2), _invalid("bad")], batch_size=2)
        except TransactionError:
            pass
        assert info.value.rolled_back
        assert [(f.position, f.id) for f in info.value.failures] == [(2, "bad")]
        assert await dao.count(mapping={}) == 1

    async def test_invalid_items_are_refused_before_any_io_of_their_batch(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        # In a transaction a write the backend refused would abort it on some backends;
        # a batch refused before I/O leaves the transaction usable, and nothing written.
        if not self.supports_transactions:
            pytest.skip("the provider declares supports_transactions = False")
        dao = await self.everything_dao(dao_factory)
        async with dao_factory.transaction():
            with pytest.raises(BulkWriteError) as info:
                await dao.insert_many([make_everything("ok", 1), _invalid("bad")])
            await dao.insert(make_everything("after", 2))
        assert [(f.position, f.id) for f in info.value.failures] == [(1, "bad")]
        assert info.value.rolled_back
        assert not await dao.exists("ok")
        assert await dao.exists("after")

    async def test_bulk_calls_refuse_wrong_input_before_any_io(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        with pytest.raises(TypeError):
            await dao.insert_many(make_everything("one", 1))  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="batch_size"):
            await dao.upsert_many([make_everything("one", 1)], batch_size=0)
        with pytest.raises(BulkWriteError) as info:
            await dao.delete_many(["fine", 12.5])
        assert [type(f.error) for f in info.value.failures] == [
            ResourceNotFoundError,
            InvalidIdError,
        ]
        assert (await dao.insert_many([])).written == 0
        assert not await dao.exists("one")

    async def test_count_equals_the_number_of_find_all_hits(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        await dao.insert_many(
            make_everything(f"c{n}", n, city="A" if n % 3 else "B") for n in range(9)
        )
        for mapping in ({}, {"address.city": "B"}, {"number": 4}, {"number": 40}, {"flag": True}):
            hits = await dao.find_all(mapping=mapping).to_list()
            assert await dao.count(mapping=mapping) == len(hits), mapping
        with pytest.raises(InvalidFindMappingError):
            await dao.count(mapping={"nope": 1})

    async def test_exists_follows_inserts_and_deletes(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        assert not await dao.exists("e")
        await dao.insert(make_everything("e", 1))
        assert await dao.exists("e")
        await dao.delete("e")
        assert not await dao.exists("e")
        with pytest.raises(InvalidIdError):
            await dao.exists(["not", "an", "id"])

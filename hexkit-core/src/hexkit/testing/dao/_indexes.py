"""Conformance tests: unique indexes."""

from __future__ import annotations

import pytest

from hexkit.protocols.dao import (
    DaoFactoryProtocol,
    Index,
    ResourceAlreadyExistsError,
    UniqueConstraintViolationError,
)

from ._base import DaoKitBase
from ._models import make_everything

__all__ = ["DaoIndexTests"]


class DaoIndexTests(DaoKitBase):
    """Unique indexes reject duplicates, distinct from duplicate IDs."""

    async def test_unique_index_rejects_duplicate_values(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory, [Index("number", unique=True)])
        await dao.insert(make_everything("a", 1))
        with pytest.raises(UniqueConstraintViolationError) as info:
            await dao.insert(make_everything("b", 1))
        assert info.value.fields == ("number",)
        assert await dao.find_all(mapping={}).total_count() == 1

    async def test_duplicate_id_is_not_a_unique_index_violation(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory, [Index("number", unique=True)])
        await dao.insert(make_everything("a", 1))
        with pytest.raises(ResourceAlreadyExistsError):
            await dao.insert(make_everything("a", 1))

    async def test_update_and_upsert_respect_unique_indexes(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory, [Index("address.city", unique=True)])
        await dao.insert(make_everything("a", 1, city="Bonn"))
        await dao.insert(make_everything("b", 2, city="Köln"))
        with pytest.raises(UniqueConstraintViolationError):
            await dao.update(make_everything("b", 2, city="Bonn"))
        with pytest.raises(UniqueConstraintViolationError):
            await dao.upsert(make_everything("c", 3, city="Bonn"))
        await dao.upsert(make_everything("a", 5, city="Bonn"))
        assert (await dao.get_by_id("b")).address.city == "Köln"
        assert (await dao.get_by_id("a")).number == 5

    async def test_compound_unique_index_checks_the_combination(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory, [Index("text", "number", unique=True)])
        first = make_everything("a", 1)
        await dao.insert(first)
        other_number = make_everything("b", 2)
        other_number.text = first.text
        await dao.insert(other_number)
        clash = make_everything("c", 1)
        clash.text = first.text
        with pytest.raises(UniqueConstraintViolationError) as info:
            await dao.insert(clash)
        assert info.value.fields == ("text", "number")

    async def test_non_unique_index_allows_duplicates(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory, [Index("address.city")])
        await dao.insert(make_everything("a", 1))
        await dao.insert(make_everything("b", 2))
        assert await dao.find_all(mapping={"address.city": "Heidelberg"}).total_count() == 2

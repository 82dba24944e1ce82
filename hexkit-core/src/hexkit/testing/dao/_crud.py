"""Conformance tests: get_dao validation, CRUD, round trips and aliasing."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from pydantic import BaseModel

from hexkit.protocols.dao import (
    CreationModelError,
    DaoFactoryProtocol,
    DaoNameError,
    IdFieldError,
    IndexFieldError,
    InvalidDocumentError,
    InvalidIdError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)
from hexkit.protocols.dao import Index as DaoIndex

from ._base import DaoKitBase, unique_name
from ._models import Address, Everything, IntKeyed, UuidKeyed, make_everything

__all__ = ["DaoCrudTests"]


class _FloatKeyed(BaseModel):
    key: float


class _WrongCreation(BaseModel):
    text: str


class DaoCrudTests(DaoKitBase):
    """get_dao argument checks and the single-resource operations."""

    async def test_a_huge_id_is_quoted_shortened_with_its_length(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Everything, id_field="id")
        with pytest.raises(InvalidIdError) as info:
            await dao.get_by_id("x" * 2000)
        assert len(str(info.value)) < 500
        assert "2000 characters" in str(info.value)
        with pytest.raises(InvalidDocumentError) as stored:
            await dao.insert(make_everything("y" * 1_000_000))
        assert len(str(stored.value)) < 600
        assert "1000000 characters" in str(stored.value)
        assert stored.value.id == "y" * 1_000_000  # the attribute keeps the whole ID

    async def test_get_dao_rejects_missing_id_field(self, dao_factory: DaoFactoryProtocol) -> None:
        with pytest.raises(IdFieldError) as info:
            await dao_factory.get_dao(name=unique_name(), dto_model=Everything, id_field="nope")
        assert isinstance(info.value, TypeError)
        assert info.value.field == "nope"

    async def test_get_dao_rejects_unsupported_id_type(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        with pytest.raises(TypeError):
            await dao_factory.get_dao(name=unique_name(), dto_model=_FloatKeyed, id_field="key")

    async def test_get_dao_rejects_mismatched_creation_model(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        with pytest.raises(CreationModelError) as info:
            await dao_factory.get_dao(
                name=unique_name(),
                dto_model=Everything,
                id_field="id",
                dto_creation_model=_WrongCreation,
            )
        assert isinstance(info.value, TypeError)
        assert "number" in info.value.missing

    async def test_get_dao_rejects_index_on_unknown_field(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        with pytest.raises(IndexFieldError) as info:
            await dao_factory.get_dao(
                name=unique_name(),
                dto_model=Everything,
                id_field="id",
                indexes=[DaoIndex("address.country")],
            )
        assert isinstance(info.value, ValueError)
        assert info.value.field == "address.country"

    @pytest.mark.parametrize("name", ["", "a b", "x" * 65, "a.b", "a$b", "ä"])
    async def test_get_dao_rejects_invalid_names(
        self, dao_factory: DaoFactoryProtocol, name: str
    ) -> None:
        with pytest.raises(DaoNameError) as info:
            await dao_factory.get_dao(name=name, dto_model=Everything, id_field="id")
        assert isinstance(info.value, ValueError)

    async def test_round_trip_is_exact_for_every_field_type(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        original = make_everything("round-trip", 7)
        original.other_address = Address(street="Side St 3", city="Bonn", zip_code=None)
        original.maybe = -5
        await dao.insert(original)
        loaded = await dao.get_by_id("round-trip")
        assert loaded == original
        assert loaded.moment.utcoffset() is not None
        assert loaded.moment.microsecond == original.moment.microsecond
        assert loaded.amount == Decimal("1234567890.123456789012")
        assert str(loaded.amount) == str(original.amount)
        assert type(loaded.color) is type(original.color)

    async def test_int_and_uuid_ids_round_trip(self, dao_factory: DaoFactoryProtocol) -> None:
        int_dao = await dao_factory.get_dao(name=unique_name(), dto_model=IntKeyed, id_field="key")
        uuid_dao = await dao_factory.get_dao(
            name=unique_name(), dto_model=UuidKeyed, id_field="key"
        )
        await int_dao.insert(IntKeyed(key=42, name="int"))
        key = uuid.uuid4()
        await uuid_dao.insert(UuidKeyed(key=key, name="uuid"))
        assert await int_dao.get_by_id(42) == IntKeyed(key=42, name="int")
        assert await uuid_dao.get_by_id(key) == UuidKeyed(key=key, name="uuid")
        with pytest.raises(ResourceNotFoundError):
            await int_dao.get_by_id(43)

    async def test_callers_cannot_alias_stored_state(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self.everything_dao(dao_factory)
        original = make_everything("alias")
        await dao.insert(original)
        original.tags.append("changed after insert")
        original.address.city = "changed"
        loaded = await dao.get_by_id("alias")
        assert "changed after insert" not in loaded.tags
        assert loaded.address.city == "Heidelberg"
        loaded.scores["x"] = 999
        loaded.history.clear()
        again = await dao.get_by_id("alias")
        assert again.scores["x"] == 0
        assert again.history

    async def test_insert_of_existing_id_fails(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self.everything_dao(dao_factory)
        await dao.insert(make_everything("dup", 1))
        with pytest.raises(ResourceAlreadyExistsError) as info:
            await dao.insert(make_everything("dup", 2))
        assert info.value.id == "dup"
        assert (await dao.get_by_id("dup")).number == 1

    async def test_get_by_id_of_missing_id_fails(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self.everything_dao(dao_factory)
        with pytest.raises(ResourceNotFoundError) as info:
            await dao.get_by_id("missing")
        assert isinstance(info.value, LookupError)
        assert info.value.id == "missing"

    async def test_update_replaces_existing_and_rejects_missing(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        await dao.insert(make_everything("u", 1))
        changed = make_everything("u", 2, city="Mannheim")
        await dao.update(changed)
        assert await dao.get_by_id("u") == changed
        with pytest.raises(ResourceNotFoundError) as info:
            await dao.update(make_everything("not-there"))
        assert info.value.id == "not-there"
        with pytest.raises(ResourceNotFoundError):
            await dao.get_by_id("not-there")

    async def test_upsert_inserts_then_replaces(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self.everything_dao(dao_factory)
        first = make_everything("up", 1)
        await dao.upsert(first)
        assert await dao.get_by_id("up") == first
        second = make_everything("up", 2)
        await dao.upsert(second)
        assert await dao.get_by_id("up") == second
        assert await dao.find_all(mapping={}).total_count() == 1

    async def test_delete_removes_and_rejects_missing(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        await dao.insert(make_everything("d"))
        await dao.insert(make_everything("keep"))
        await dao.delete("d")
        with pytest.raises(ResourceNotFoundError):
            await dao.get_by_id("d")
        with pytest.raises(ResourceNotFoundError) as info:
            await dao.delete("d")
        assert info.value.id == "d"
        assert (await dao.get_by_id("keep")).id == "keep"

    async def test_daos_with_different_names_do_not_share_data(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        first = await self.everything_dao(dao_factory)
        second = await self.everything_dao(dao_factory)
        await first.insert(make_everything("only-in-first"))
        with pytest.raises(ResourceNotFoundError):
            await second.get_by_id("only-in-first")

    async def test_get_dao_twice_sees_the_same_data(self, dao_factory: DaoFactoryProtocol) -> None:
        name = unique_name()
        indexes = [DaoIndex("number", unique=True)]
        first = await dao_factory.get_dao(
            name=name, dto_model=Everything, id_field="id", indexes=indexes
        )
        await first.insert(make_everything("shared", 3))
        second = await dao_factory.get_dao(
            name=name, dto_model=Everything, id_field="id", indexes=indexes
        )
        assert (await second.get_by_id("shared")).number == 3

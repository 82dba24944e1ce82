"""Conformance tests: DAOs that assign IDs on insert."""

from __future__ import annotations

import itertools
import uuid

import pytest
from pydantic import BaseModel

from hexkit.protocols.dao import DaoFactoryProtocol, InvalidDocumentError, ResourceNotFoundError

from ._base import DaoKitBase, unique_name
from ._models import (
    Everything,
    EverythingCreation,
    UuidKeyed,
    UuidKeyedCreation,
    make_everything,
)

__all__ = ["DaoSurrogateIdTests"]


class _Counter(BaseModel):
    key: int
    name: str


class _CounterCreation(BaseModel):
    name: str


class DaoSurrogateIdTests(DaoKitBase):
    """Surrogate-ID DAOs: default UUID4 IDs and custom generators."""

    async def test_default_ids_are_uuid4_for_uuid_fields(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(
            name=unique_name(),
            dto_model=UuidKeyed,
            id_field="key",
            dto_creation_model=UuidKeyedCreation,
        )
        first = await dao.insert(UuidKeyedCreation(name="a", rank=1))
        second = await dao.insert(UuidKeyedCreation(name="b"))
        assert isinstance(first.key, uuid.UUID)
        assert first.key.version == 4
        assert first.key != second.key
        assert first == UuidKeyed(key=first.key, name="a", rank=1)
        assert await dao.get_by_id(first.key) == first

    async def test_default_ids_are_uuid4_strings_for_str_fields(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(
            name=unique_name(),
            dto_model=Everything,
            id_field="id",
            dto_creation_model=EverythingCreation,
        )
        template = make_everything("ignored", 4)
        creation = EverythingCreation(**template.model_dump(exclude={"id"}))
        created = await dao.insert(creation)
        assert uuid.UUID(created.id).version == 4
        assert created.model_dump(exclude={"id"}) == template.model_dump(exclude={"id"})
        assert await dao.get_by_id(created.id) == created

    async def test_sync_id_generator_is_used(self, dao_factory: DaoFactoryProtocol) -> None:
        numbers = itertools.count(100)
        dao = await dao_factory.get_dao(
            name=unique_name(),
            dto_model=_Counter,
            id_field="key",
            dto_creation_model=_CounterCreation,
            id_generator=lambda: next(numbers),
        )
        assert (await dao.insert(_CounterCreation(name="x"))).key == 100
        assert (await dao.insert(_CounterCreation(name="y"))).key == 101
        assert (await dao.get_by_id(101)).name == "y"

    async def test_async_id_generator_is_used(self, dao_factory: DaoFactoryProtocol) -> None:
        async def next_id() -> str:
            return f"generated-{uuid.uuid4().hex[:6]}"

        dao = await dao_factory.get_dao(
            name=unique_name(),
            dto_model=Everything,
            id_field="id",
            dto_creation_model=EverythingCreation,
            id_generator=next_id,
        )
        creation = EverythingCreation(**make_everything("x").model_dump(exclude={"id"}))
        created = await dao.insert(creation)
        assert created.id.startswith("generated-")
        await dao.delete(created.id)
        with pytest.raises(ResourceNotFoundError):
            await dao.get_by_id(created.id)

    async def test_int_ids_need_a_generator(self, dao_factory: DaoFactoryProtocol) -> None:
        with pytest.raises(TypeError):
            await dao_factory.get_dao(
                name=unique_name(),
                dto_model=_Counter,
                id_field="key",
                dto_creation_model=_CounterCreation,
            )

    async def test_constructed_creation_models_are_validated(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(
            name=unique_name(),
            dto_model=UuidKeyed,
            id_field="key",
            dto_creation_model=UuidKeyedCreation,
        )
        for broken in (
            UuidKeyedCreation.model_construct(name=["not", "a", "str"]),  # type: ignore[arg-type]
            UuidKeyedCreation.model_construct(rank=1),  # type: ignore[call-arg]
        ):
            with pytest.raises(InvalidDocumentError) as info:
                await dao.insert(broken)
            assert info.value.field == "name"
        assert await dao.find_all(mapping={}).total_count() == 0

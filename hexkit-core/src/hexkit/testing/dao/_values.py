"""Conformance tests: which values every provider stores, and what each refuses alike."""

from __future__ import annotations

import math
import random
import re
import string
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from hexkit.protocols.dao import (
    MAX_DOCUMENT_SIZE,
    MAX_INDEXED_SIZE,
    MAX_NESTING,
    DaoFactoryProtocol,
    DocumentTooLargeError,
    Index,
    InvalidDocumentError,
    InvalidFindMappingError,
    InvalidIdError,
    ResourceNotFoundError,
    UnsupportedFieldError,
)

from ._base import DaoKitBase, unique_name
from ._models import Extras, IntKeyed, Secretive, make_everything, make_extras

__all__ = ["DaoValueTests"]

_INT64_MAX = 2**63 - 1
# (field assignments on a valid Everything or Extras, the dotted path the error names)
_REFUSED_EVERYTHING: list[tuple[dict[str, Any], str]] = [
    ({"number": _INT64_MAX + 1}, "number"),
    ({"number": -_INT64_MAX - 2}, "number"),
    ({"scores": {"x": 2**64}}, "scores.x"),
    ({"ratio": math.nan}, "ratio"),
    ({"ratio": math.inf}, "ratio"),
    ({"amount": Decimal("NaN")}, "amount"),
    ({"amount": Decimal("1." + "1" * 40)}, "amount"),
    ({"text": "nul\x00byte"}, "text"),
    ({"tags": ["ok", "nul\x00"]}, "tags[1]"),
    ({"labels": {"nul\x00key": "x"}}, "labels.nul\x00key"),
    ({"text": "lone\ud800surrogate"}, "text"),
    ({"tags": ["ok", "\udfff"]}, "tags[1]"),
    ({"labels": {"key\ud800": "x"}}, "labels.key\ud800"),
    ({"labels": {"$where": "x"}}, "labels.$where"),
]
_REFUSED_EVERYTHING += [
    ({"moment": datetime.min.replace(tzinfo=timezone(timedelta(hours=5)))}, "moment"),
    ({"moment": datetime.max.replace(tzinfo=timezone(timedelta(hours=-5)))}, "moment"),
]
_REFUSED_EXTRAS: list[tuple[dict[str, Any], str]] = [
    ({"clock": time(12, 0, tzinfo=UTC)}, "clock"),
    ({"anything": object()}, "anything"),
    ({"anything": {"deep": [1, 2**70]}}, "anything.deep[1]"),
]


class DaoValueTests(DaoKitBase):
    """Round trips of every supported type; identical refusals of unstorable values."""

    async def test_text_and_binary_types_round_trip_and_match(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Extras, id_field="id")
        stored = make_extras("e", 3)
        await dao.insert(stored)
        await dao.insert(make_extras("other", 4))
        assert await dao.get_by_id("e") == stored
        for field in ("url", "any_url", "dsn", "path", "ip4", "ip6", "network", "duration"):
            hit = await dao.find_one(mapping={field: getattr(stored, field)})
            assert hit.id == "e", field
        for field in ("clock", "blob", "members", "anything"):
            hits = await dao.find_all(mapping={field: getattr(stored, field)}).to_list()
            assert "e" in [hit.id for hit in hits], field
        assert (await dao.find_one(mapping={"members": {"m3", "y", "x"}})).id == "e"

    async def test_secret_fields_are_refused_by_get_dao(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        with pytest.raises(UnsupportedFieldError) as info:
            await dao_factory.get_dao(name=unique_name(), dto_model=Secretive, id_field="id")
        assert info.value.field == "password"
        assert isinstance(info.value, TypeError)

    @pytest.mark.parametrize(("changes", "field"), _REFUSED_EVERYTHING)
    async def test_unstorable_values_are_refused_before_writing(
        self, dao_factory: DaoFactoryProtocol, changes: dict[str, Any], field: str
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        await dao.insert(make_everything("kept", 1))
        bad = make_everything("bad", 2).model_copy(update=changes)
        for write in (dao.insert, dao.upsert):
            with pytest.raises(InvalidDocumentError) as info:
                await write(bad)
            assert info.value.field == field
            assert isinstance(info.value, ValueError)
        with pytest.raises(InvalidDocumentError):
            await dao.update(make_everything("kept", 1).model_copy(update=changes))
        assert await dao.get_by_id("kept") == make_everything("kept", 1)
        assert await dao.find_all(mapping={}).total_count() == 1

    @pytest.mark.parametrize(("changes", "field"), _REFUSED_EXTRAS)
    async def test_unstorable_extra_values_are_refused(
        self, dao_factory: DaoFactoryProtocol, changes: dict[str, Any], field: str
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Extras, id_field="id")
        with pytest.raises(InvalidDocumentError) as info:
            await dao.insert(make_extras("bad").model_copy(update=changes))
        assert info.value.field == field
        assert await dao.find_all(mapping={}).total_count() == 0

    async def test_ids_and_indexed_values_over_the_index_limit_are_refused(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory, [Index("text", unique=True), Index("tags")])
        widest = "".join(random.choices(string.ascii_letters, k=MAX_INDEXED_SIZE))
        await dao.insert(make_everything(widest).model_copy(update={"text": widest}))
        assert (await dao.get_by_id(widest)).text == widest
        too_wide = widest + "x"
        for changes, field in [({"id": too_wide}, "id"), ({"text": too_wide}, "text")]:
            with pytest.raises(InvalidDocumentError) as info:
                await dao.insert(make_everything("other").model_copy(update=changes))
            assert info.value.field == field
        with pytest.raises(InvalidDocumentError) as info:
            await dao.insert(make_everything("tags").model_copy(update={"tags": [too_wide]}))
        assert info.value.field == "tags"
        with pytest.raises(InvalidIdError):
            await dao.get_by_id(too_wide)
        assert await dao.find_all(mapping={}).total_count() == 1

    async def test_nesting_up_to_the_limit_round_trips_and_deeper_is_refused(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        def nested(levels: int) -> Any:
            value: Any = "core"
            for _ in range(levels):
                value = [value]
            return value

        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Extras, id_field="id")
        deepest = make_extras("deep").model_copy(update={"anything": nested(MAX_NESTING - 1)})
        await dao.insert(deepest)  # the document itself is the first level
        assert (await dao.get_by_id("deep")).anything == deepest.anything
        too_deep = make_extras("too-deep").model_copy(update={"anything": nested(MAX_NESTING)})
        with pytest.raises(InvalidDocumentError) as info:
            await dao.insert(too_deep)
        assert (info.value.field or "").startswith("anything[0]")

    @pytest.mark.parametrize("number", [_INT64_MAX, -_INT64_MAX - 1, 2**31, -(2**31) - 1])
    async def test_integers_at_the_64_bit_limits_round_trip(
        self, dao_factory: DaoFactoryProtocol, number: int
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        stored = make_everything("big").model_copy(update={"number": number})
        await dao.insert(stored)
        assert await dao.get_by_id("big") == stored
        assert (await dao.find_one(mapping={"number": number})).id == "big"

    async def test_ids_and_find_values_beyond_64_bits_are_refused(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=IntKeyed, id_field="key")
        await dao.insert(IntKeyed(key=_INT64_MAX, name="max"))
        assert (await dao.get_by_id(_INT64_MAX)).name == "max"
        for id_ in (2**63, 2**70, -(2**63) - 1):
            with pytest.raises(InvalidIdError):
                await dao.get_by_id(id_)
            with pytest.raises(InvalidIdError):
                await dao.delete(id_)
        with pytest.raises(InvalidDocumentError):
            await dao.insert(IntKeyed(key=2**63, name="too big"))
        with pytest.raises(InvalidFindMappingError):
            await dao.find_one(mapping={"key": 2**64})

    async def test_ids_and_find_values_with_a_nul_or_lone_surrogate_are_refused(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        await dao.insert(make_everything("kept", 1))
        for text in ("nul\x00", "lone\ud800", "\udc80"):
            with pytest.raises(InvalidIdError):
                await dao.get_by_id(text)
            with pytest.raises(InvalidIdError):
                await dao.delete(text)
            with pytest.raises(InvalidDocumentError) as info:
                await dao.insert(make_everything("new", 2).model_copy(update={"id": text}))
            assert info.value.field == "id"
            with pytest.raises(InvalidFindMappingError):
                await dao.find_one(mapping={"text": text})
            with pytest.raises(InvalidFindMappingError):
                await dao.find_all(mapping={"tags": ["ok", text]}).to_list()
        assert await dao.find_all(mapping={}).total_count() == 1

    async def test_documents_over_the_size_limit_are_refused(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        large = make_everything("large").model_copy(update={"text": "x" * (8 * 1024 * 1024)})
        await dao.insert(large)
        assert (await dao.get_by_id("large")).text == large.text
        huge = make_everything("huge").model_copy(update={"text": "x" * (MAX_DOCUMENT_SIZE + 1)})
        for write in (dao.insert, dao.upsert):
            with pytest.raises(DocumentTooLargeError) as info:
                await write(huge)
            assert info.value.size > info.value.limit == MAX_DOCUMENT_SIZE
        with pytest.raises(ResourceNotFoundError):
            await dao.get_by_id("huge")

    async def test_constructed_dtos_are_validated_before_writing(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        values = make_everything("ok", 1).model_dump()
        unchecked = make_everything("late", 1)
        unchecked.id = re.compile("late")  # type: ignore[assignment]
        broken = [
            type(unchecked).model_construct(**{**values, "id": re.compile("x")}),
            type(unchecked).model_construct(**{**values, "number": "not a number"}),
            unchecked,
        ]
        for dto in broken:
            for write in (dao.insert, dao.upsert):
                with pytest.raises(InvalidDocumentError):
                    await write(dto)
        assert await dao.find_all(mapping={}).to_list() == []
        coerced = type(unchecked).model_construct(**{**values, "number": "7"})
        await dao.insert(coerced)
        stored = await dao.find_one(mapping={"number": 7})
        assert stored.number == 7
        assert stored.id == "ok"

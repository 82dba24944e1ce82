"""Conformance tests: literal find mappings, paging, sorting and counting."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from hexkit.protocols.dao import (
    Dao,
    DaoFactoryProtocol,
    InvalidFindMappingError,
    MultipleHitsFoundError,
    NoHitsFoundError,
)

from ._base import DaoKitBase
from ._models import Color, Everything, Level, make_everything

__all__ = ["DaoFindTests"]


class DaoFindTests(DaoKitBase):
    """find_one and find_all."""

    async def _ten(self, dao_factory: DaoFactoryProtocol) -> Dao[Everything]:
        dao = await self.everything_dao(dao_factory)
        for number in range(10):
            city = "Heidelberg" if number < 6 else "Berlin"
            await dao.insert(make_everything(f"id-{number}", number, city=city))
        return dao

    async def test_find_one_returns_the_single_hit(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self._ten(dao_factory)
        hit = await dao.find_one(mapping={"number": 3})
        assert hit == make_everything("id-3", 3)

    async def test_find_one_without_hits_fails(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self._ten(dao_factory)
        with pytest.raises(NoHitsFoundError) as info:
            await dao.find_one(mapping={"number": 99})
        assert isinstance(info.value, LookupError)
        assert info.value.mapping == {"number": 99}

    async def test_find_one_with_several_hits_fails(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self._ten(dao_factory)
        with pytest.raises(MultipleHitsFoundError) as info:
            await dao.find_one(mapping={"address.city": "Berlin"})
        assert info.value.mapping == {"address.city": "Berlin"}

    async def test_find_by_id_field_and_nested_path(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self._ten(dao_factory)
        assert (await dao.find_one(mapping={"id": "id-4"})).number == 4
        berlin = await dao.find_all(mapping={"address.city": "Berlin"}).to_list()
        assert sorted(item.number for item in berlin) == [6, 7, 8, 9]

    @pytest.mark.parametrize(
        ("key", "value", "expected"),
        [
            ("ref", uuid.UUID(int=6), [5]),
            ("color", Color.BLUE, [1, 3, 5, 7, 9]),
            ("color", "red", [0, 2, 4, 6, 8]),
            ("level", Level.HIGH, [1, 3, 5, 7, 9]),
            ("amount", Decimal("1234567890.123456789012"), list(range(10))),
            ("day", date(2024, 2, 29), list(range(10))),
            ("flag", True, [0, 2, 4, 6, 8]),
            ("maybe", None, list(range(10))),
            ("tags", ["a", "b", "n2"], [2]),
            ("scores", {"x": 8, "y": -8}, [8]),
        ],
    )
    async def test_values_match_in_the_models_python_types(
        self, dao_factory: DaoFactoryProtocol, key: str, value: object, expected: list[int]
    ) -> None:
        dao = await self._ten(dao_factory)
        hits = await dao.find_all(mapping={key: value}).to_list()
        assert sorted(hit.number for hit in hits) == expected

    async def test_datetime_values_match_what_insert_stored(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ten(dao_factory)
        moment = make_everything("x", 5).moment
        hits = await dao.find_all(mapping={"moment": moment}).to_list()
        assert [hit.number for hit in hits] == [5]

    async def test_a_dict_value_matches_whatever_order_its_keys_come_in(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        # Stored objects keep one key order (the read-back rule); a find must not depend
        # on the caller's (MongoDB compares embedded documents field by field, in order).
        dao = await self.everything_dao(dao_factory)
        scores = {"zz": 1, "a": 2, "mm": 3, "": 4, "\u00e9": 5}
        await dao.insert(make_everything("dict-order", 1).model_copy(update={"scores": scores}))
        for order in (scores, dict(reversed(scores.items())), dict(sorted(scores.items()))):
            hits = await dao.find_all(mapping={"scores": order}).to_list()
            assert [hit.id for hit in hits] == ["dict-order"], list(order)
        assert await dao.find_all(mapping={"scores": {**scores, "zz": 9}}).to_list() == []

    async def test_operator_values_never_act_as_operators(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ten(dao_factory)
        for mapping in ({"maybe": {"$ne": None}}, {"text": {"$gt": ""}}, {"number": {"$gte": 0}}):
            with pytest.raises(InvalidFindMappingError):
                await dao.find_all(mapping=mapping).to_list()
        try:
            hits = await dao.find_all(mapping={"labels": {"$ne": "x"}}).to_list()
        except InvalidFindMappingError:
            return
        assert hits == []

    @pytest.mark.parametrize("key", ["$where", "$or", "address.$ne", "nope", "address.country"])
    async def test_invalid_keys_are_rejected(
        self, dao_factory: DaoFactoryProtocol, key: str
    ) -> None:
        dao = await self._ten(dao_factory)
        with pytest.raises(InvalidFindMappingError) as info:
            await dao.find_one(mapping={key: "x"})
        assert isinstance(info.value, ValueError)
        assert key in str(info.value)

    async def test_find_all_with_empty_mapping_returns_everything(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ten(dao_factory)
        assert len(await dao.find_all(mapping={}).to_list()) == 10

    async def test_find_all_streams_as_an_async_iterator(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ten(dao_factory)
        seen = [item.number async for item in dao.find_all(mapping={}, sort=["number"])]
        assert seen == list(range(10))

    async def test_skip_limit_and_sort(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self._ten(dao_factory)
        result = dao.find_all(mapping={}, skip=2, limit=3, sort=["-number"])
        assert [item.number for item in await result.to_list()] == [7, 6, 5]
        ascending = await dao.find_all(mapping={}, limit=2, sort=["number"]).to_list()
        assert [item.number for item in ascending] == [0, 1]
        beyond = await dao.find_all(mapping={}, skip=20).to_list()
        assert beyond == []

    async def test_sort_by_several_fields_and_nested_paths(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ten(dao_factory)
        hits = await dao.find_all(mapping={}, sort=["address.city", "-number"]).to_list()
        assert [hit.number for hit in hits] == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]

    async def test_total_count_ignores_skip_and_limit(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ten(dao_factory)
        result = dao.find_all(mapping={"address.city": "Heidelberg"}, skip=1, limit=2)
        assert await result.total_count() == 6
        assert len(await result.to_list()) == 2

    @pytest.mark.parametrize(("skip", "limit"), [(-1, None), (None, -1)])
    async def test_negative_skip_or_limit_is_rejected(
        self, dao_factory: DaoFactoryProtocol, skip: int | None, limit: int | None
    ) -> None:
        dao = await self._ten(dao_factory)
        with pytest.raises(ValueError, match="-1"):
            dao.find_all(mapping={}, skip=skip, limit=limit)

    async def test_unknown_sort_field_is_rejected(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self._ten(dao_factory)
        with pytest.raises(InvalidFindMappingError):
            dao.find_all(mapping={}, sort=["-nope"])

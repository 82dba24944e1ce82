"""Conformance tests: the equality and order rules every provider keeps.

The memory provider is the reference: values compare as Python compares them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from hexkit.protocols.dao import (
    DaoFactoryProtocol,
    Index,
    InvalidFindMappingError,
    UniqueConstraintViolationError,
)

from ._base import DaoKitBase, unique_name
from ._models import Address, Extras, Level, Ranked, make_everything

__all__ = ["DaoRuleTests"]

_NOON_UTC = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _ranked(id_: str, amount: str = "0", **changes: object) -> Ranked:
    values: dict[str, object] = {"id": id_, "amount": Decimal(amount), "moment": _NOON_UTC}
    return Ranked.model_validate({**values, **changes})


class DaoRuleTests(DaoKitBase):
    """Decimals, datetimes, strings, names and None behave alike on every provider."""

    async def test_decimals_are_equal_by_value(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Ranked, id_field="id")
        await dao.insert(_ranked("a", "1.10"))
        for same in ("1.1", "1.100", "11E-1"):
            assert (await dao.find_one(mapping={"amount": Decimal(same)})).id == "a", same
        stored = await dao.get_by_id("a")
        assert str(stored.amount) == "1.10"  # the exponent round-trips too

    async def test_decimals_sort_by_value(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Ranked, id_field="id")
        for id_, amount in [("a", "9.5"), ("b", "10.1"), ("c", "1.10"), ("d", "-2"), ("e", "1E+1")]:
            await dao.insert(_ranked(id_, amount))
        ascending = [hit.id for hit in await dao.find_all(mapping={}, sort=["amount"]).to_list()]
        assert ascending == ["d", "c", "a", "e", "b"]
        descending = await dao.find_all(mapping={}, sort=["-amount"]).to_list()
        assert [hit.id for hit in descending] == ["b", "e", "a", "c", "d"]

    async def test_aware_datetimes_are_equal_and_sorted_by_instant(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Ranked, id_field="id")
        india = timezone(timedelta(hours=5, minutes=30))
        await dao.insert(_ranked("a", moment=_NOON_UTC.astimezone(india)))  # 17:30+05:30
        await dao.insert(_ranked("b", moment=datetime(2024, 5, 1, 13, 0, tzinfo=UTC)))
        eastern = timezone(-timedelta(hours=5))
        await dao.insert(_ranked("c", moment=datetime(2024, 5, 1, 6, 0, tzinfo=eastern)))
        pacific = timezone(timedelta(hours=-7))
        for same in (_NOON_UTC, _NOON_UTC.astimezone(pacific), _NOON_UTC.astimezone(india)):
            assert (await dao.find_one(mapping={"moment": same})).id == "a", same
        ordered = await dao.find_all(mapping={}, sort=["moment"]).to_list()
        assert [hit.id for hit in ordered] == ["c", "a", "b"]  # 11:00Z, 12:00Z, 13:00Z
        assert (await dao.get_by_id("a")).moment == _NOON_UTC

    async def test_naive_and_aware_datetimes_never_match(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Ranked, id_field="id")
        await dao.insert(_ranked("aware"))
        await dao.insert(_ranked("naive", moment=_NOON_UTC.replace(tzinfo=None)))
        assert (await dao.find_one(mapping={"moment": _NOON_UTC})).id == "aware"
        naive_hit = await dao.find_one(mapping={"moment": _NOON_UTC.replace(tzinfo=None)})
        assert naive_hit.id == "naive"

    async def test_strings_match_exactly_and_sort_by_code_point(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Ranked, id_field="id")
        labels = {"a": "apple", "b": "Apple", "c": "Zebra", "d": "éclair", "e": "\uff5e", "f": "😀"}
        for id_, label in labels.items():
            await dao.insert(_ranked(id_, label=label))
        assert (await dao.find_one(mapping={"label": "apple"})).id == "a"
        ordered = await dao.find_all(mapping={}, sort=["label"]).to_list()
        assert [hit.id for hit in ordered] == ["b", "c", "a", "d", "e", "f"]

    async def test_results_are_ordered_by_id_within_ties_and_without_sort(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Ranked, id_field="id")
        for id_ in ("b", "d", "a", "c"):
            await dao.insert(_ranked(id_, "1" if id_ in "bd" else "2"))
        unsorted = await dao.find_all(mapping={}).to_list()
        assert [hit.id for hit in unsorted] == ["a", "b", "c", "d"]
        ties = await dao.find_all(mapping={}, sort=["-amount"]).to_list()
        assert [hit.id for hit in ties] == ["a", "c", "b", "d"]
        page = await dao.find_all(mapping={}, skip=1, limit=2).to_list()
        assert [hit.id for hit in page] == ["b", "c"]

    async def test_none_sorts_first_and_enums_sort_by_value(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Ranked, id_field="id")
        await dao.insert(_ranked("high", level=Level.HIGH))
        await dao.insert(_ranked("none"))
        await dao.insert(_ranked("low", level=Level.LOW))
        ordered = await dao.find_all(mapping={}, sort=["level"]).to_list()
        assert [hit.id for hit in ordered] == ["none", "low", "high"]
        reverse = await dao.find_all(mapping={}, sort=["-level"]).to_list()
        assert [hit.id for hit in reverse] == ["high", "low", "none"]

    @pytest.mark.parametrize("key", ["address", "tags", "scores", "history"])
    async def test_sorting_by_values_without_a_shared_order_is_refused(
        self, dao_factory: DaoFactoryProtocol, key: str
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        with pytest.raises(InvalidFindMappingError) as info:
            dao.find_all(mapping={}, sort=[key])
        assert info.value.key == key

    async def test_sorting_by_durations_and_urls_is_refused(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Extras, id_field="id")
        for key in ("duration", "url", "ip4", "path", "-blob"):
            with pytest.raises(InvalidFindMappingError):
                dao.find_all(mapping={}, sort=[key])

    async def test_whole_nested_models_match_by_value(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        await dao.insert(make_everything("a", 1, city="Heidelberg"))
        await dao.insert(make_everything("b", 2, city="Berlin"))
        berlin = Address(street="Main St 1", city="Berlin", zip_code=69117)
        assert (await dao.find_one(mapping={"address": berlin})).id == "b"
        as_dict = {"street": "Main St 1", "city": "Berlin", "zip_code": 69117}
        assert (await dao.find_one(mapping={"address": as_dict})).id == "b"
        assert await dao.find_all(mapping={"other_address": None}).total_count() == 2

    async def test_dao_names_are_case_sensitive(self, dao_factory: DaoFactoryProtocol) -> None:
        name = unique_name("Case")
        upper = await dao_factory.get_dao(name=name, dto_model=Ranked, id_field="id")
        lower = await dao_factory.get_dao(name=name.lower(), dto_model=Ranked, id_field="id")
        await upper.insert(_ranked("same", "1"))
        assert await lower.find_all(mapping={}).to_list() == []
        await lower.insert(_ranked("same", "2"))
        assert (await upper.get_by_id("same")).amount == Decimal(1)
        assert (await lower.get_by_id("same")).amount == Decimal(2)

    async def test_none_values_conflict_under_a_unique_index(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(
            name=unique_name(),
            dto_model=Ranked,
            id_field="id",
            indexes=[Index("label", unique=True)],
        )
        await dao.insert(_ranked("a"))
        with pytest.raises(UniqueConstraintViolationError):
            await dao.insert(_ranked("b"))
        await dao.insert(_ranked("c", label="set"))
        assert await dao.find_all(mapping={}).total_count() == 2

    async def test_missing_nested_models_count_as_none_under_a_unique_index(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory, [Index("other_address.city", unique=True)])
        await dao.insert(make_everything("a", 1))
        with pytest.raises(UniqueConstraintViolationError):
            await dao.insert(make_everything("b", 2))

    async def test_equal_decimals_and_instants_conflict_under_a_unique_index(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(
            name=unique_name(),
            dto_model=Ranked,
            id_field="id",
            indexes=[Index("amount", unique=True), Index("moment", unique=True)],
        )
        await dao.insert(_ranked("a", "1.10"))
        with pytest.raises(UniqueConstraintViolationError):
            await dao.insert(_ranked("b", "1.1", moment=datetime(2024, 1, 1, tzinfo=UTC)))
        later = _NOON_UTC.astimezone(timezone(timedelta(hours=2)))
        with pytest.raises(UniqueConstraintViolationError):
            await dao.insert(_ranked("c", "2", moment=later))

"""Conformance tests: keyset pages with ``find_all(after=...)`` and ``next_cursor``."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import string
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from hexkit.protocols.dao import (
    Dao,
    DaoFactoryProtocol,
    DaoUsageError,
    InvalidCursorError,
    PageNotFinishedError,
)

from ._base import DaoKitBase, unique_name
from ._models import Address, IntKeyed, Level, Ranked, UuidKeyed, make_everything

__all__ = ["DaoCursorTests"]

_NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
_INDIA = timezone(timedelta(hours=5, minutes=30))
# IDs whose code-point order differs from most collations' ("B" < "a" < "é").
_IDS = ["a", "B", "é", "c", "D", "aa", "Ab", "z", "_", "0", "ß", "Zz", "m", "M", "é2", "x"]
_LABELS = [None, "apple", "Apple", "Zebra", None, "éclair", "apple", None]
_SORTS = [
    [],
    ["-id"],
    ["label"],
    ["-label"],
    ["label", "-amount"],
    ["-level", "moment"],
    ["level", "-label", "amount"],
    ["-moment", "-level"],
]


def _ranked(number: int) -> Ranked:
    """Return item ``number`` of a collection full of ties and ``None`` values."""
    moment = _NOON + timedelta(hours=number % 5)
    return Ranked(
        id=_IDS[number],
        amount=Decimal(("1.10", "1.1", "-2", "10", "9.5")[number % 5]),
        moment=moment.astimezone(_INDIA) if number % 2 else moment,
        label=_LABELS[number % len(_LABELS)],
        level=(None, Level.LOW, Level.HIGH)[number % 3],
    )


def _expected(items: list[Ranked], sort: list[str]) -> list[str]:
    """Return the IDs in the reference order: the kit's sort rules, computed here."""

    def key(value: Any) -> tuple[int, Any]:
        value = getattr(value, "value", value)  # enums by value
        return (0, 0) if value is None else (1, value)

    ordered = sorted(items, key=lambda item: item.id)
    for name in reversed(sort):
        path = name.lstrip("-")
        values = {item.id: key(getattr(item, path)) for item in ordered}
        ordered.sort(key=lambda item: values[item.id], reverse=name[0] == "-")
    return [item.id for item in ordered]


async def _pages(
    dao: Dao[Ranked], sort: list[str], limit: int, mapping: dict[str, Any] | None = None
) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        result = dao.find_all(mapping=mapping or {}, sort=sort, limit=limit, after=after)
        pages.append([item.id for item in await result.to_list()])
        after = result.next_cursor
        if after is None:
            return pages
        assert len(pages) <= len(_IDS) + 1, "paging does not end"


def _altered(cursor: str, at: int) -> str:
    replacement = "A" if cursor[at] != "A" else "B"
    return cursor[:at] + replacement + cursor[at + 1 :]


class DaoCursorTests(DaoKitBase):
    """Keyset pagination: complete, stable under writes, and refusing foreign cursors."""

    async def _ranked_dao(self, dao_factory: DaoFactoryProtocol, count: int = 16) -> Dao[Ranked]:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Ranked, id_field="id")
        for number in range(count):
            await dao.insert(_ranked(number))
        return dao

    @pytest.mark.parametrize("sort", _SORTS, ids=lambda sort: ",".join(sort) or "id")
    async def test_pages_follow_the_sort_rules_with_mixed_directions_and_none(
        self, dao_factory: DaoFactoryProtocol, sort: list[str]
    ) -> None:
        dao = await self._ranked_dao(dao_factory)
        expected = _expected([_ranked(number) for number in range(16)], sort)
        full = [item.id for item in await dao.find_all(mapping={}, sort=sort).to_list()]
        assert full == expected
        pages = await _pages(dao, sort, limit=3)
        assert [len(page) for page in pages] == [3, 3, 3, 3, 3, 1]
        assert [id_ for page in pages for id_ in page] == expected

    async def test_next_cursor_is_none_exactly_when_nothing_can_follow(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ranked_dao(dao_factory, count=4)
        expected = _expected([_ranked(number) for number in range(4)], ["label"])
        full_pages = await _pages(dao, ["label"], limit=2)
        assert full_pages == [expected[:2], expected[2:], []]  # a full last page, then empty
        unlimited = dao.find_all(mapping={}, sort=["label"])
        assert len(await unlimited.to_list()) == 4
        assert unlimited.next_cursor is None
        short = dao.find_all(mapping={}, limit=10)
        assert len(await short.to_list()) == 4
        assert short.next_cursor is None

    async def test_next_cursor_is_url_safe_and_shows_only_sort_values_and_id(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ranked_dao(dao_factory)
        result = dao.find_all(mapping={"level": Level.LOW}, sort=["-amount"], limit=1)
        [item] = await result.to_list()
        cursor = result.next_cursor
        assert cursor is not None
        assert set(cursor) <= set(string.ascii_letters + string.digits + "-_.")
        head = cursor.split(".")[0]
        payload = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        assert set(payload) == {"v", "q", "k"}
        assert payload["k"] == [str(item.amount), item.id]  # the mapping's values are not shown

    async def test_next_cursor_is_known_only_once_the_page_is_consumed(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ranked_dao(dao_factory, count=4)
        result = dao.find_all(mapping={}, limit=3)
        with pytest.raises(PageNotFinishedError) as info:
            _ = result.next_cursor
        assert isinstance(info.value, DaoUsageError)
        async for _item in result:
            pass
        assert result.next_cursor is not None
        await result.aclose()

    async def test_after_without_limit_returns_the_rest(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ranked_dao(dao_factory)
        sort = ["-label", "amount"]
        first = dao.find_all(mapping={}, sort=sort, limit=5)
        head = [item.id async for item in first]
        rest = dao.find_all(mapping={}, sort=sort, after=first.next_cursor)
        tail = [item.id for item in await rest.to_list()]
        assert head + tail == _expected([_ranked(number) for number in range(16)], sort)
        assert rest.next_cursor is None

    async def test_pages_by_a_nested_path_whose_model_may_be_missing(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self.everything_dao(dao_factory)
        cities = ["Berlin", None, "Aachen", None, "Berlin", "Zwickau", None, "aachen"]
        for number, city in enumerate(cities):
            item = make_everything(f"id-{number}", number)
            if city is not None:
                item.other_address = Address(street="x", city=city)
            await dao.insert(item)
        for sort in (["other_address.city"], ["-other_address.city", "-id"]):
            full = [item.id for item in await dao.find_all(mapping={}, sort=sort).to_list()]
            paged: list[str] = []
            after = None
            while True:
                result = dao.find_all(mapping={}, sort=sort, limit=3, after=after)
                paged += [item.id for item in await result.to_list()]
                after = result.next_cursor
                if after is None:
                    break
            assert paged == full, sort
            missing = [f"id-{number}" for number, city in enumerate(cities) if city is None]
            assert set(full[:3] if sort[0][0] != "-" else full[-3:]) == set(missing)

    @pytest.mark.parametrize("sort", [[], ["-key"], ["name", "-key"]])
    async def test_pages_over_int_and_uuid_ids(
        self, dao_factory: DaoFactoryProtocol, sort: list[str]
    ) -> None:
        ints = await dao_factory.get_dao(name=unique_name(), dto_model=IntKeyed, id_field="key")
        uuids = await dao_factory.get_dao(name=unique_name(), dto_model=UuidKeyed, id_field="key")
        for number, key in enumerate([-(2**63), 5, -3, 2**63 - 1, 0, 40, -41]):
            await ints.insert(IntKeyed(key=key, name="ab"[number % 2]))
            await uuids.insert(UuidKeyed(key=uuid.UUID(int=abs(key)), name="ab"[number % 2]))
        for dao in (ints, uuids):
            full = [item.key for item in await dao.find_all(mapping={}, sort=sort).to_list()]
            paged: list[Any] = []
            after = None
            while True:
                result = dao.find_all(mapping={}, sort=sort, limit=2, after=after)
                paged += [item.key for item in await result.to_list()]
                after = result.next_cursor
                if after is None:
                    break
            assert paged == full
            assert len(full) == 7

    async def test_total_count_ignores_after(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self._ranked_dao(dao_factory)
        first = dao.find_all(mapping={}, limit=5)
        await first.to_list()
        second = dao.find_all(mapping={}, limit=5, after=first.next_cursor)
        assert len(await second.to_list()) == 5
        assert await second.total_count() == 16

    async def test_a_scan_sees_unchanged_items_once_under_interleaved_writes(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Ranked, id_field="id")
        for number in range(40):
            await dao.insert(Ranked(id=f"k{number:03}", amount=Decimal(number % 7), moment=_NOON))
        sort = ["-amount"]
        seen: list[str] = []
        deleted: set[str] = set()
        after = None
        for round_ in range(100):
            result = dao.find_all(mapping={}, sort=sort, limit=4, after=after)
            seen += [item.id for item in await result.to_list()]
            after = result.next_cursor
            if after is None:
                break
            # Between pages: new items land before and after the position, and items
            # not yet seen (and already seen) disappear.
            for amount in (0, 3, 6):
                await dao.insert(
                    Ranked(id=f"new{round_:02}-{amount}", amount=Decimal(amount), moment=_NOON)
                )
            for victim in (f"k{(round_ * 7) % 40:03}", seen[0]):
                if victim not in deleted:
                    await dao.delete(victim)
                    deleted.add(victim)
        assert after is None
        assert len(seen) == len(set(seen)), "an item was returned twice"
        unchanged = {f"k{number:03}" for number in range(40)} - deleted
        assert unchanged <= set(seen), f"missed {sorted(unchanged - set(seen))}"

    async def test_a_scan_sees_unchanged_items_once_beside_concurrent_writers(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=Ranked, id_field="id")
        stable = {f"s{number:03}" for number in range(60)}
        churn = [f"c{number:03}" for number in range(60)]
        for number, id_ in enumerate([*sorted(stable), *churn]):
            await dao.insert(Ranked(id=id_, amount=Decimal(number % 9), moment=_NOON))
        stop = asyncio.Event()
        progress = asyncio.Condition()
        writes = 0

        async def writer(name: str) -> None:
            nonlocal writes
            turn = 0
            while not stop.is_set():
                turn += 1
                new = Ranked(id=f"{name}{turn:04}", amount=Decimal(turn % 9), moment=_NOON)
                await dao.insert(new)
                victim = churn[(turn * 7 + len(name)) % len(churn)]
                with contextlib.suppress(LookupError):  # already deleted
                    await dao.delete(victim)
                async with progress:
                    writes += 1
                    progress.notify_all()
                await asyncio.sleep(0)  # a yield for the reader, not a wait

        tasks = [asyncio.create_task(writer(name)) for name in ("w", "x")]
        seen: list[str] = []
        try:
            after = None
            while True:
                result = dao.find_all(mapping={}, sort=["amount"], limit=7, after=after)
                seen += [item.id for item in await result.to_list()]
                after = result.next_cursor
                if after is None:
                    break
                async with progress:  # let the writers change the collection before the next page
                    target = writes + 2
                    while writes < target:
                        await progress.wait()
        finally:
            stop.set()
            await asyncio.gather(*tasks)
        assert len(seen) == len(set(seen)), "an item was returned twice"
        assert stable <= set(seen), f"missed {sorted(stable - set(seen))}"

    async def test_altered_or_malformed_cursors_are_refused_before_any_query(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ranked_dao(dao_factory)
        result = dao.find_all(mapping={}, sort=["label"], limit=3)
        await result.to_list()
        cursor = result.next_cursor
        assert cursor is not None
        head, tail = cursor.split(".")
        forged = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        forged["k"][-1] = "z"
        forged_head = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
        bad = [
            _altered(cursor, 5),
            _altered(cursor, len(cursor) - 3),
            f"{forged_head}.{tail}",
            "",
            "abc",
            "....",
            "not base64!.x",
            cursor + "x",
            "é." + tail,
        ]
        for attempt in bad:
            with pytest.raises(InvalidCursorError) as info:
                dao.find_all(mapping={}, sort=["label"], limit=3, after=attempt)
            assert isinstance(info.value, ValueError)
            assert isinstance(info.value, DaoUsageError)
            assert "cursor" in str(info.value)
        with pytest.raises(InvalidCursorError):
            dao.find_all(mapping={}, sort=["label"], limit=3, after=123)  # type: ignore[arg-type]

    async def test_cursors_of_other_finds_are_refused(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await self._ranked_dao(dao_factory)
        result = dao.find_all(mapping={"level": Level.LOW}, sort=["label"], limit=2)
        await result.to_list()
        cursor = result.next_cursor
        assert cursor is not None
        other_dao = await self._ranked_dao(dao_factory, count=2)
        others = [
            (dao, {"level": Level.HIGH}, ["label"]),
            (dao, {}, ["label"]),
            (dao, {"level": Level.LOW}, ["-label"]),
            (dao, {"level": Level.LOW}, ["label", "amount"]),
            (dao, {"level": Level.LOW}, []),
            (other_dao, {"level": Level.LOW}, ["label"]),
        ]
        for target, mapping, sort in others:
            with pytest.raises(InvalidCursorError, match="another find"):
                target.find_all(mapping=mapping, sort=sort, limit=2, after=cursor)
        same = dao.find_all(mapping={"level": 1}, sort=["label"], limit=2, after=cursor)
        assert len(await same.to_list()) == 2  # the same find, its value spelt otherwise

    async def test_after_with_skip_is_refused(self, dao_factory: DaoFactoryProtocol) -> None:
        dao = await self._ranked_dao(dao_factory, count=4)
        result = dao.find_all(mapping={}, limit=2)
        await result.to_list()
        with pytest.raises(InvalidCursorError, match="skip"):
            dao.find_all(mapping={}, skip=1, limit=2, after=result.next_cursor)

"""Conformance tests: what a read returns, identical on every provider (the read-back rule).

A DTO read back equals the normal form of what was written and serialises to the same
JSON on every provider (see ``hexkit.protocols.dao._normal``): aware datetimes in UTC,
Decimals with their positive exponent written out and trailing zeros kept, zeros
without a sign. Each case below is one rule, or a minimal example a state machine of
``hexkit.testing.stateful`` found.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import AnyUrl, BaseModel

from hexkit.protocols.dao import DaoFactoryProtocol, InvalidDocumentError, set_order

from ._base import DaoKitBase, unique_name

__all__ = ["DaoReadBackTests", "ReadBack", "ReadBackCreation", "ReadBackNested"]

_IST = timezone(timedelta(hours=5, minutes=30))
_WEST = timezone(timedelta(hours=-9, minutes=-45))


class ReadBackNested(BaseModel):
    """A nested model holding normalized types."""

    when: datetime
    amount: Decimal


class ReadBackCreation(BaseModel):
    """The creation model of :class:`ReadBack`."""

    amount: Decimal | None = None
    ratio: float = 1.0
    when: datetime | None = None
    clock: time | None = None
    nested: ReadBackNested | None = None
    history: list[datetime] = []
    prices: dict[str, Decimal] = {}
    text: str = ""
    big: int = 0
    blob: bytes = b""
    link: AnyUrl | None = None
    tags: set[str] = set()


class ReadBack(ReadBackCreation):
    """Every type whose read-back form the rule fixes."""

    id: str


# (written values, the values every provider reads back)
_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "decimal-positive-exponent-written-out": (
        {"amount": Decimal("1E+3")},
        {"amount": Decimal("1000")},
    ),
    "decimal-fraction-exponent-written-out": (
        {"amount": Decimal("1.25E+5")},
        {"amount": Decimal("125000")},
    ),
    "decimal-trailing-zeros-kept": ({"amount": Decimal("1.10")}, {"amount": Decimal("1.10")}),
    "decimal-negative-exponent-kept": (
        {"amount": Decimal("1E-3")},
        {"amount": Decimal("0.001")},
    ),
    "decimal-34-digits-written-out": (
        {"amount": Decimal("1E+33")},
        {"amount": Decimal(10**33)},
    ),
    "decimal-negative-zero-unsigned": ({"amount": Decimal("-0")}, {"amount": Decimal("0")}),
    "decimal-negative-zero-keeps-places": (
        {"amount": Decimal("-0.00")},
        {"amount": Decimal("0.00")},
    ),
    "decimal-zero-exponent-dropped": ({"amount": Decimal("0E+5")}, {"amount": Decimal("0")}),
    "float-negative-zero-unsigned": ({"ratio": -0.0}, {"ratio": 0.0}),
    "datetime-aware-in-utc": (
        {"when": datetime(2026, 1, 1, 12, tzinfo=_IST)},
        {"when": datetime(2026, 1, 1, 6, 30, tzinfo=UTC)},
    ),
    "datetime-negative-offset-in-utc": (
        {"when": datetime(2026, 1, 1, 20, 0, 0, 123456, tzinfo=_WEST)},
        {"when": datetime(2026, 1, 2, 5, 45, 0, 123456, tzinfo=UTC)},
    ),
    "datetime-naive-stays-naive": (
        {"when": datetime(2026, 1, 1, 12, 0, 0, 1)},
        {"when": datetime(2026, 1, 1, 12, 0, 0, 1)},
    ),
    "nested-normalized": (
        {"nested": {"when": datetime(2026, 3, 1, tzinfo=_IST), "amount": Decimal("5E+2")}},
        {"nested": {"when": datetime(2026, 2, 28, 18, 30, tzinfo=UTC), "amount": Decimal(500)}},
    ),
    "containers-normalized": (
        {"history": [datetime(2026, 1, 1, tzinfo=_IST)], "prices": {"x": Decimal("-0E+2")}},
        {"history": [datetime(2025, 12, 31, 18, 30, tzinfo=UTC)], "prices": {"x": Decimal(0)}},
    ),
    "time-kept": ({"clock": time(23, 59, 59, 999999)}, {"clock": time(23, 59, 59, 999999)}),
    "unicode-kept": (
        {"text": "e\u0301 \U0001f600 \U00010348 \u00e9 \ufeff"},
        {"text": "e\u0301 \U0001f600 \U00010348 \u00e9 \ufeff"},
    ),
    "large-ints-kept": ({"big": -(2**63)}, {"big": -(2**63)}),
    "bytes-kept": ({"blob": b"\x00 binary \xc3\xa9"}, {"blob": b"\x00 binary \xc3\xa9"}),
    "url-kept": (
        {"link": "HTTPS://Example.org:443/a%20b?q=1#f"},
        {"link": "https://example.org/a%20b?q=1#f"},
    ),
    "dict-keys-in-jsonb-order": (
        {"prices": {"bb": Decimal(1), "a": Decimal(2), "": Decimal(3), "\u00e9": Decimal(4)}},
        {"prices": {"": Decimal(3), "a": Decimal(2), "bb": Decimal(1), "\u00e9": Decimal(4)}},
    ),
    # A set reads back built in set_order: its iteration order (and JSON) then no longer
    # depends on the hash seed of the process that wrote it.
    "set-kept": ({"tags": {"b", "a", "\u00e9"}}, {"tags": set_order({"b", "a", "\u00e9"})}),
    # Found by the DAO machine: equal sets built in other orders serialised differently.
    # (Sixteen members make it likely that some collide in the hash table, whose iteration
    # order then depends on the order they were added in.)
    "set-iterates-in-the-stored-order": (
        {"tags": [str(n) * (n % 4) for n in range(16, 0, -1)]},
        {"tags": set_order(str(n) * (n % 4) for n in range(1, 17))},
    ),
}


def _same(read: BaseModel, expected: BaseModel) -> None:
    assert read == expected  # equal dicts in another key order are equal: compare JSON too
    assert read.model_dump_json() == expected.model_dump_json()


class DaoReadBackTests(DaoKitBase):
    """Every read returns the normal form of what was written, identically."""

    @pytest.mark.parametrize("case", sorted(_CASES))
    async def test_reads_return_the_normal_form(
        self, dao_factory: DaoFactoryProtocol, case: str
    ) -> None:
        written, read_back = _CASES[case]
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=ReadBack, id_field="id")
        expected = ReadBack.model_validate({"id": "r", **read_back})
        await dao.insert(ReadBack.model_validate({"id": "r", **written}))
        _same(await dao.get_by_id("r"), expected)
        _same(await dao.find_one(mapping={"id": "r"}), expected)
        (hit,) = await dao.find_all(mapping={}).to_list()
        _same(hit, expected)
        await dao.upsert(ReadBack.model_validate({"id": "r", **written}))
        _same(await dao.get_by_id("r"), expected)
        await dao.update(ReadBack.model_validate({"id": "r", **written}))
        _same(await dao.get_by_id("r"), expected)

    @pytest.mark.parametrize("case", sorted(_CASES))
    async def test_surrogate_insert_returns_the_normal_form(
        self, dao_factory: DaoFactoryProtocol, case: str
    ) -> None:
        written, read_back = _CASES[case]
        dao = await dao_factory.get_dao(
            name=unique_name(),
            dto_model=ReadBack,
            id_field="id",
            dto_creation_model=ReadBackCreation,
        )
        inserted = await dao.insert(ReadBackCreation.model_validate(written))
        expected = ReadBack.model_validate({"id": inserted.id, **read_back})
        _same(inserted, expected)
        _same(await dao.get_by_id(inserted.id), expected)

    async def test_finds_match_any_form_of_a_normalized_value(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=ReadBack, id_field="id")
        moment = datetime(2026, 1, 1, 12, tzinfo=_IST)
        await dao.insert(ReadBack(id="r", amount=Decimal("1E+3"), when=moment, ratio=-0.0))
        for mapping in (
            {"amount": Decimal("1000")},
            {"amount": Decimal("1E+3")},
            {"amount": Decimal("1000.00")},
            {"when": moment},
            {"when": moment.astimezone(UTC)},
            {"ratio": 0.0},
        ):
            assert (await dao.find_one(mapping=mapping)).id == "r", mapping

    @pytest.mark.parametrize("amount", ["1E+34", "1.5E+40", "-9E+50"])
    async def test_decimals_written_out_beyond_34_digits_are_refused(
        self, dao_factory: DaoFactoryProtocol, amount: str
    ) -> None:
        dao = await dao_factory.get_dao(name=unique_name(), dto_model=ReadBack, id_field="id")
        for write in (dao.insert, dao.upsert):
            with pytest.raises(InvalidDocumentError) as info:
                await write(ReadBack(id="r", amount=Decimal(amount)))
            assert info.value.field == "amount"
        assert await dao.find_all(mapping={}).total_count() == 0

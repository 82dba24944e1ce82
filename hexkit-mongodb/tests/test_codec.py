"""The value codec: fast Decimal128 decoding and which fields can hold decimals."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from bson.decimal128 import Decimal128
from pydantic import BaseModel

from hexkit.providers.mongodb._codec import (
    decimal_fields,
    decode_decimals,
    encode_value,
    may_hold_decimal,
    to_decimal,
)

SAMPLES = [
    "0",
    "-0",
    "0E-6176",
    "1.10",
    "-1234567890.123456789012",
    "9999999999999999999999999999999999",
    "1E+6144",
    "-1E-6143",
    "123.456E-40",
    "NaN",
    "-Infinity",
    "Infinity",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_to_decimal_agrees_with_bson_exactly(text: str) -> None:
    value = Decimal128(text)
    expected = value.to_decimal()
    result = to_decimal(value)
    assert str(result) == str(expected)
    assert result.as_tuple() == expected.as_tuple()


def test_to_decimal_agrees_with_bson_on_random_values() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 34)))
        text = f"{rng.choice(['', '-'])}{digits}E{rng.randint(-300, 300)}"
        value = Decimal128(text)
        assert to_decimal(value).as_tuple() == value.to_decimal().as_tuple(), text


class Plain(BaseModel):
    name: str
    count: int


class WithDecimals(BaseModel):
    name: str
    price: Decimal
    maybe: Decimal | None = None
    nested: Plain
    prices: list[Decimal]
    loose: dict[str, Any]
    bare: dict  # type: ignore[type-arg]
    inner: WithDecimalsInner | None = None


class WithDecimalsInner(BaseModel):
    amount: Decimal


WithDecimals.model_rebuild()


def test_only_fields_that_can_hold_decimals_are_searched() -> None:
    assert decimal_fields(Plain) == ()
    assert decimal_fields(WithDecimals) == ("price", "maybe", "prices", "loose", "bare", "inner")
    assert may_hold_decimal(list[dict[str, Decimal]])
    assert not may_hold_decimal(list[dict[str, int]])


def test_decode_decimals_reaches_into_lists_and_documents() -> None:
    document: dict[str, Any] = {
        "a": Decimal128("1.5"),
        "b": [Decimal128("2"), {"c": Decimal128("-0.00")}],
        "d": "1.5",
    }
    decode_decimals(document)
    assert document == {
        "a": Decimal("1.5"),
        "b": [Decimal("2"), {"c": Decimal("-0.00")}],
        "d": "1.5",
    }
    assert str(document["b"][1]["c"]) == "-0.00"


def test_a_decimal_beyond_decimal128_is_refused_with_advice() -> None:
    with pytest.raises(ValueError, match="quantize"):
        encode_value(Decimal("1." + "1" * 40))
    assert encode_value(Decimal("1." + "1" * 33)) == Decimal128("1." + "1" * 33)

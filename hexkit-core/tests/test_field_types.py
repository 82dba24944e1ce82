"""get_dao accepts every field type all providers store and refuses the others by name."""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import typing
from typing import Any, Literal

import pytest
from pydantic import (
    AwareDatetime,
    BaseModel,
    Json,
    PastDate,
    PositiveInt,
    SecretBytes,
    SecretStr,
    constr,
    create_model,
)

from hexkit.protocols.dao import UnsupportedFieldError
from hexkit.providers.memory import MemoryDaoFactory

pytestmark = pytest.mark.asyncio

UserId = typing.NewType("UserId", str)


@dataclasses.dataclass
class Point:
    x: int
    y: float


class Inner(BaseModel):
    secret: SecretStr | None = None


SUPPORTED: list[Any] = [
    UserId,
    AwareDatetime,
    PastDate,
    PositiveInt,
    constr(min_length=1),
    collections.abc.Sequence[int],
    collections.abc.Mapping[str, int],
    Point | None,
    Json[list[int]],
    Literal["a", 1, None],
    dict[int, list[datetime.time]],
    Any,
]
REFUSED: list[tuple[Any, str]] = [
    (SecretStr, "field"),
    (SecretBytes | None, "field"),
    (list[SecretStr], "field[]"),
    (Inner, "field.secret"),
    (complex, "field"),
    (dict[datetime.date, int], "field"),
    (dict[str, set[complex]], "field[][]"),
]


def _model(annotation: Any) -> type[BaseModel]:
    return create_model("Dto", id=(str, ...), field=(annotation, ...))


@pytest.mark.parametrize("annotation", SUPPORTED, ids=repr)
async def test_supported_field_types_are_accepted(annotation: Any) -> None:
    dao = await MemoryDaoFactory().get_dao(name="ok", dto_model=_model(annotation), id_field="id")
    assert dao is not None


@pytest.mark.parametrize(("annotation", "field"), REFUSED, ids=repr)
async def test_unsupported_field_types_are_refused_by_name(annotation: Any, field: str) -> None:
    with pytest.raises(UnsupportedFieldError) as info:
        await MemoryDaoFactory().get_dao(name="no", dto_model=_model(annotation), id_field="id")
    assert info.value.field == field
    assert "Dto" in str(info.value)

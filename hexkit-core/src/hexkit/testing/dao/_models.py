"""Models the DAO conformance kit stores: one of every supported field type."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum
from ipaddress import IPv4Address, IPv4Network, IPv6Address
from pathlib import PurePosixPath
from typing import Any

from pydantic import AnyUrl, BaseModel, Field, HttpUrl, PostgresDsn, SecretStr

__all__ = [
    "Address",
    "Color",
    "Everything",
    "EverythingCreation",
    "Extras",
    "IntKeyed",
    "Level",
    "Ranked",
    "Secretive",
    "UuidKeyed",
    "UuidKeyedCreation",
    "make_everything",
    "make_extras",
]


class Color(str, Enum):  # noqa: UP042 - the mixin form most services use
    """A str-valued enum."""

    RED = "red"
    BLUE = "blue"


class Level(IntEnum):
    """An int-valued enum."""

    LOW = 1
    HIGH = 2


class Address(BaseModel):
    """A nested model."""

    street: str
    city: str
    zip_code: int | None = None


class EverythingCreation(BaseModel):
    """Every field type the protocol round-trips; the creation model of :class:`Everything`."""

    text: str
    number: int
    ratio: float
    flag: bool
    nothing: None = None
    amount: Decimal
    moment: datetime
    day: date
    ref: uuid.UUID
    color: Color
    level: Level
    address: Address
    other_address: Address | None = None
    tags: list[str] = Field(default_factory=list)
    scores: dict[str, int] = Field(default_factory=dict)
    history: list[Address] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    maybe: int | None = None


class Everything(EverythingCreation):
    """A DTO with a str ID and every field type the protocol round-trips."""

    id: str


class IntKeyed(BaseModel):
    """A DTO with an int ID."""

    key: int
    name: str


class UuidKeyed(BaseModel):
    """A DTO with a UUID ID."""

    key: uuid.UUID
    name: str
    rank: int = 0


class UuidKeyedCreation(BaseModel):
    """The creation model of :class:`UuidKeyed`."""

    name: str
    rank: int = 0


def make_everything(id_: str, number: int = 0, *, city: str = "Heidelberg") -> Everything:
    """Return an :class:`Everything` whose values stress exact round trips."""
    return Everything(
        id=id_,
        text=f"text-{id_} ünïcode ✓",
        number=number,
        ratio=0.1 + number,
        flag=number % 2 == 0,
        amount=Decimal("1234567890.123456789012"),
        moment=datetime(
            2024, 2, 29, 23, 59, 58, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))
        )
        + timedelta(minutes=number),
        day=date(2024, 2, 29),
        ref=uuid.UUID(int=number + 1),
        color=Color.BLUE if number % 2 else Color.RED,
        level=Level.HIGH if number % 2 else Level.LOW,
        address=Address(street="Main St 1", city=city, zip_code=69117),
        tags=["a", "b", f"n{number}"],
        scores={"x": number, "y": -number},
        history=[Address(street="Old St 2", city="Berlin")],
        labels={"kind": "test"},
        maybe=None,
    )


class Extras(BaseModel):
    """A DTO with the field types stored as text or binary (URLs, paths, IPs, durations...)."""

    id: str
    url: HttpUrl
    any_url: AnyUrl
    dsn: PostgresDsn
    path: PurePosixPath
    ip4: IPv4Address
    ip6: IPv6Address
    network: IPv4Network
    duration: timedelta
    clock: time
    blob: bytes
    members: frozenset[str] = frozenset()
    anything: Any = None


def make_extras(id_: str, number: int = 0) -> Extras:
    """Return an :class:`Extras` whose values stress exact round trips."""
    return Extras(
        id=id_,
        url=HttpUrl(f"https://example.org/a/{number}?q=ü#frag"),
        any_url=AnyUrl(f"s3://bucket/key-{number}"),
        dsn=PostgresDsn(f"postgresql://user@db{number}:5432/app"),
        path=PurePosixPath(f"/srv/data/{number}/file name.txt"),
        ip4=IPv4Address(f"10.0.0.{number % 250 + 1}"),
        ip6=IPv6Address(f"2001:db8::{number + 1:x}"),
        network=IPv4Network(f"10.{number % 250}.0.0/16"),
        duration=timedelta(days=-1, seconds=number, microseconds=7),
        clock=time(23, 59, 58, 123456),
        blob=bytes([0, 255, number % 256]) * 3,
        members=frozenset({"x", "y", f"m{number}"}),
        anything={"nested": [1, "two", None, {"three": 3.5}]},
    )


class Ranked(BaseModel):
    """A DTO to pin equality and sort order of Decimals, datetimes and optional values."""

    id: str
    amount: Decimal
    moment: datetime
    label: str | None = None
    level: Level | None = None


class Secretive(BaseModel):
    """A DTO no provider can store: a secret would be dumped masked."""

    id: str
    password: SecretStr

"""Datetimes held as BSON dates: finds match them, and DAOs can opt in to store them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import pytest_asyncio
from pydantic import BaseModel

from hexkit.protocols.dao import InvalidDocumentError, NoHitsFoundError
from hexkit.providers.mongodb import MongoDbDaoFactory
from hexkit.providers.mongodb.testutils import MongoDbFixture

pytestmark = pytest.mark.asyncio

AT = datetime(2024, 5, 1, 12, 30, 0, 123000, tzinfo=UTC)  # millisecond precision
PLUS_TWO = timezone(timedelta(hours=2))


class Window(BaseModel):
    start: datetime
    end: datetime | None = None


class Session(BaseModel):
    id: str
    user: str
    expires: datetime
    window: Window
    seen: list[datetime] = []


def session(id_: str, expires: datetime = AT) -> Session:
    return Session(
        id=id_,
        user="ada",
        expires=expires,
        window=Window(start=expires - timedelta(hours=1)),
        seen=[expires - timedelta(minutes=5)],
    )


@pytest_asyncio.fixture
async def bson_factory(mongodb: MongoDbFixture) -> AsyncIterator[MongoDbDaoFactory]:
    """A factory on the test's database whose 'sessions' DAO stores BSON dates."""
    config = mongodb.config.model_copy(update={"bson_date_collections": frozenset({"sessions"})})
    async with MongoDbDaoFactory.construct(config=config) as factory:
        yield factory


# --- finds match documents written by other tools (or hexkit 9) ------------------------


async def test_a_datetime_find_matches_a_field_holding_a_bson_date(
    mongodb: MongoDbFixture,
) -> None:
    dao = await mongodb.dao_factory.get_dao(name="legacy", dto_model=Session, id_field="id")
    raw = mongodb.dao_factory._database["legacy"]
    await raw.insert_one(
        {
            "_id": "native",
            "user": "ada",
            "expires": AT,  # a BSON date, as other tools write it
            "window": {"start": AT - timedelta(hours=1), "end": None},
            "seen": [],
        }
    )
    await dao.insert(session("text", AT + timedelta(days=1)))  # ISO text, as this DAO writes

    same_instant = AT.astimezone(PLUS_TWO)
    found = await dao.find_one(mapping={"expires": same_instant})
    assert found.id == "native"
    assert found.expires == AT
    assert (await dao.find_one(mapping={"window.start": AT - timedelta(hours=1)})).id == "native"
    assert (await dao.find_one(mapping={"expires": AT + timedelta(days=1)})).id == "text"
    assert await dao.find_all(mapping={"expires": AT}).total_count() == 1
    assert [hit.id async for hit in dao.find_all(mapping={"user": "ada"}, sort=["id"])] == [
        "native",
        "text",
    ]
    # A naive find value means UTC for a BSON date, as PyMongo writes naive datetimes.
    assert (await dao.find_one(mapping={"expires": AT.replace(tzinfo=None)})).id == "native"
    # A BSON date cannot hold microseconds, so a value with them never matches one.
    with pytest.raises(NoHitsFoundError):
        await dao.find_one(mapping={"expires": AT + timedelta(microseconds=1)})


# --- opt-in storage as BSON dates ----------------------------------------------------------


async def test_listed_collections_store_every_datetime_as_a_bson_date(
    mongodb: MongoDbFixture, bson_factory: MongoDbDaoFactory
) -> None:
    sessions = await bson_factory.get_dao(name="sessions", dto_model=Session, id_field="id")
    others = await bson_factory.get_dao(name="others", dto_model=Session, id_field="id")
    stored = session("s1", AT.astimezone(PLUS_TWO))
    await sessions.insert(stored)
    await others.insert(session("o1"))

    database = mongodb.dao_factory._database
    as_dates = {
        "_id": "s1",
        "expires": {"$type": "date"},
        "window.start": {"$type": "date"},
        "seen.0": {"$type": "date"},
    }
    assert await database["sessions"].count_documents(as_dates) == 1
    assert await database["others"].count_documents({"expires": {"$type": "string"}}) == 1
    # A TTL index, or a date query from another tool, works on such a field.
    await database["sessions"].create_index("expires", expireAfterSeconds=3600)
    assert await database["sessions"].count_documents({"expires": {"$lt": AT + timedelta(1)}}) == 1

    back = await sessions.get_by_id("s1")
    assert back == stored  # the instant round-trips; it comes back in UTC
    assert back.expires.tzinfo is not None
    assert back.expires.utcoffset() == timedelta(0)
    assert (await sessions.find_one(mapping={"expires": AT})).id == "s1"
    assert (await sessions.find_one(mapping={"window": stored.window})).id == "s1"

    await sessions.upsert(session("s1", AT + timedelta(days=1)))
    assert (await sessions.get_by_id("s1")).expires == AT + timedelta(days=1)
    await sessions.update(session("s1", AT + timedelta(days=2)))
    assert await database["sessions"].count_documents({"expires": {"$type": "date"}}) == 1


@pytest.mark.parametrize("write", ["insert", "update", "upsert"])
@pytest.mark.parametrize(
    ("dto", "field", "advice"),
    [
        (session("s1", AT + timedelta(microseconds=1)), "expires", "millisecond"),
        (
            Session(
                id="s1",
                user="ada",
                expires=AT,
                window=Window(start=AT, end=AT.replace(microsecond=5)),
            ),
            "window.end",
            "millisecond",
        ),
        (
            session("s1").model_copy(update={"seen": [AT, AT.replace(microsecond=7)]}),
            "seen.1",
            "millisecond",
        ),
        (session("s1", datetime(2024, 5, 1, 12, 30)), "expires", "timezone"),
    ],
)
async def test_values_a_bson_date_cannot_hold_are_refused_naming_the_field(
    bson_factory: MongoDbDaoFactory, dto: Session, field: str, advice: str, write: str
) -> None:
    sessions = await bson_factory.get_dao(name="sessions", dto_model=Session, id_field="id")
    if write == "update":
        await sessions.insert(session("s1"))
    with pytest.raises(InvalidDocumentError, match=advice) as info:
        await getattr(sessions, write)(dto)
    message = str(info.value)
    assert info.value.field == field
    assert repr(field) in message
    assert "'sessions'" in message
    assert "bson_date_collections" in message
    if write == "update":
        assert await sessions.get_by_id("s1") == session("s1")
    else:
        assert await sessions.find_all(mapping={}).total_count() == 0


async def test_pages_by_a_bson_date_continue_from_the_cursor(
    bson_factory: MongoDbDaoFactory,
) -> None:
    dao = await bson_factory.get_dao(name="sessions", dto_model=Session, id_field="id")
    for number in range(7):
        expires = AT + timedelta(minutes=number % 3)
        await dao.insert(session(f"s{number}", expires.astimezone(PLUS_TWO)))
    full = [item.id for item in await dao.find_all(mapping={}, sort=["-expires"]).to_list()]
    paged: list[str] = []
    after = None
    while True:
        result = dao.find_all(mapping={}, sort=["-expires"], limit=2, after=after)
        paged += [item.id for item in await result.to_list()]
        after = result.next_cursor
        if after is None:
            break
    assert paged == full == ["s2", "s5", "s1", "s4", "s0", "s3", "s6"]

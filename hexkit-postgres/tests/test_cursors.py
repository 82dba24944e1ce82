"""Keyset pages on PostgreSQL: the next page is an index range scan, not an OFFSET."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from hexkit.protocols.dao import Index
from hexkit.providers.postgres.testutils import PostgresFixture

pytestmark = pytest.mark.asyncio

ROWS = 20_000


class Row(BaseModel):
    """A small record with an indexed rank."""

    id: str
    rank: int
    note: str | None = None


async def _plan(postgres: PostgresFixture, dao: Any, sort: list[str], after: str) -> str:
    """Return the JSON plan of the page a find with ``after`` runs, as the DAO builds it."""
    query = dao._spec.find_query({}, sort=sort, limit=100, after=after, signer=dao._signer)
    sql = dao.find_sql(query, paged=True)
    args = (*dao._after_args(query), 0, 100)
    async with postgres.connect() as connection:
        await connection.execute(f"ANALYZE {dao._sql.qualified}")
        plan = await connection.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    return json.dumps(json.loads(plan) if isinstance(plan, str) else plan)


@pytest.mark.parametrize("sort", [[], ["rank"], ["-rank", "-id"]])
async def test_a_later_page_is_an_index_range_scan(
    postgres: PostgresFixture, sort: list[str]
) -> None:
    factory = postgres.dao_factory
    dao = await factory.get_dao(
        name="ranked_rows", dto_model=Row, id_field="id", indexes=[Index("rank", "id")]
    )
    async with postgres.connect() as connection:
        await connection.execute(
            f"INSERT INTO {dao._sql.qualified} (id, data)"  # noqa: S608 - our table, no input
            " SELECT 'r' || lpad(i::text, 6, '0'),"
            " jsonb_build_object('rank', i % 1000, 'note', null)"
            f" FROM generate_series(1, {ROWS}) AS i"
        )
    first = dao.find_all(mapping={}, sort=sort, limit=100)
    page = await first.to_list()
    assert len(page) == 100
    assert first.next_cursor is not None
    plan = await _plan(postgres, dao, sort, first.next_cursor)
    assert '"Seq Scan"' not in plan, plan
    assert "Index" in plan, plan
    second = await dao.find_all(mapping={}, sort=sort, limit=100, after=first.next_cursor).to_list()
    assert len(second) == 100
    assert not {row.id for row in page} & {row.id for row in second}

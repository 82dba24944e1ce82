"""PostgreSQL-specific transaction behaviour beyond the kit."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from hexkit.protocols.dao import (
    Index,
    ResourceNotFoundError,
    TransactionError,
    UniqueConstraintViolationError,
)
from hexkit.providers.postgres.testutils import PostgresFixture

pytestmark = pytest.mark.asyncio


class Item(BaseModel):
    id: str
    code: int


async def test_a_caught_error_inside_the_block_still_commits_nothing(
    postgres: PostgresFixture,
) -> None:
    dao = await postgres.dao_factory.get_dao(
        name="items", dto_model=Item, id_field="id", indexes=[Index("code", unique=True)]
    )
    await dao.insert(Item(id="a", code=1))
    with pytest.raises(TransactionError, match="nothing was committed"):  # noqa: PT012
        async with postgres.dao_factory.transaction():
            await dao.insert(Item(id="b", code=2))
            with pytest.raises(UniqueConstraintViolationError):
                await dao.insert(Item(id="c", code=1))
    with pytest.raises(ResourceNotFoundError):
        await dao.get_by_id("b")


async def test_find_all_inside_a_transaction_sees_its_own_writes(
    postgres: PostgresFixture,
) -> None:
    dao = await postgres.dao_factory.get_dao(name="items", dto_model=Item, id_field="id")
    async with postgres.dao_factory.transaction():
        for number in range(3):
            await dao.insert(Item(id=f"i{number}", code=number))
        seen = [item.code async for item in dao.find_all(mapping={}, sort=["-code"])]
    assert seen == [2, 1, 0]

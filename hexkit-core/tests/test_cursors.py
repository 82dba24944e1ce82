"""Cursor signing: secrets per factory config, never shown, and refused across secrets."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from hexkit.protocols.dao import CursorSigner, InvalidCursorError
from hexkit.providers.memory import MemoryDaoConfig, MemoryDaoFactory
from hexkit.testing.dao import Everything, make_everything

pytestmark = pytest.mark.asyncio

SECRET = "s3cr3t-for-the-cursor-tests-only"  # noqa: S105 - a test key, not a credential


async def _cursor_and_dao(config: MemoryDaoConfig) -> str:
    async with MemoryDaoFactory.construct(config=config) as factory:
        dao = await factory.get_dao(name="things", dto_model=Everything, id_field="id")
        for number in range(3):
            await dao.insert(make_everything(f"id-{number}", number))
        result = dao.find_all(mapping={}, sort=["number"], limit=2)
        await result.to_list()
        assert result.next_cursor is not None
        return result.next_cursor


async def _next_page(config: MemoryDaoConfig, cursor: str) -> list[str]:
    async with MemoryDaoFactory.construct(config=config) as factory:
        dao = await factory.get_dao(name="things", dto_model=Everything, id_field="id")
        for number in range(3):
            await dao.insert(make_everything(f"id-{number}", number))
        return [
            item.id
            for item in await dao.find_all(
                mapping={}, sort=["number"], limit=2, after=cursor
            ).to_list()
        ]


async def test_instances_sharing_a_secret_accept_each_others_cursors() -> None:
    config = MemoryDaoConfig(cursor_secret=SecretStr(SECRET))
    cursor = await _cursor_and_dao(config)
    assert await _next_page(MemoryDaoConfig(cursor_secret=SecretStr(SECRET)), cursor) == ["id-2"]


async def test_a_cursor_signed_with_another_secret_is_refused_without_showing_it() -> None:
    cursor = await _cursor_and_dao(MemoryDaoConfig(cursor_secret=SecretStr(SECRET)))
    for other in (MemoryDaoConfig(cursor_secret=SecretStr("x" * 32)), MemoryDaoConfig()):
        with pytest.raises(InvalidCursorError, match="signature") as info:
            await _next_page(other, cursor)
        assert SECRET not in str(info.value)
        assert cursor not in str(info.value)


async def test_without_a_secret_cursors_hold_within_the_process() -> None:
    cursor = await _cursor_and_dao(MemoryDaoConfig())
    assert await _next_page(MemoryDaoConfig(), cursor) == ["id-2"]


async def test_the_secret_is_never_shown_and_must_not_be_short() -> None:
    config = MemoryDaoConfig(cursor_secret=SecretStr(SECRET))
    assert SECRET not in repr(config)
    assert SECRET not in repr(CursorSigner(config.cursor_secret))
    with pytest.raises(ValidationError) as info:
        MemoryDaoConfig(cursor_secret=SecretStr("short-secret"))
    assert "short-secret" not in str(info.value)


async def test_the_secret_reads_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEXKIT_MEMORY_CURSOR_SECRET", SECRET)
    secret = MemoryDaoConfig().cursor_secret
    assert secret is not None
    assert secret.get_secret_value() == SECRET

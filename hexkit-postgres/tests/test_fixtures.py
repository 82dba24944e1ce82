"""The pytest plugin: backend choice, a schema per test, and its helpers."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from hexkit.providers.postgres.testutils import BACKEND_ENV, PostgresFixture, start_server


class Row(BaseModel):
    id: str


def test_a_dsn_backend_points_at_that_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BACKEND_ENV, "postgresql://u:pw@db.example/app")
    with start_server() as server:
        assert server.backend == "dsn"
        assert "pw" not in repr(server)
        assert server.config("s").postgres_schema == "s"


def test_an_unknown_backend_names_the_choices() -> None:
    with (
        pytest.raises(ValueError, match="'auto', 'embedded', 'testcontainers'"),
        start_server("docker-please"),
    ):
        pass


@pytest.mark.asyncio
async def test_each_test_gets_a_fresh_schema_and_reset_empties_it(
    postgres: PostgresFixture, postgres_dsn: str
) -> None:
    assert postgres.schema.startswith("hexkit_test_")
    assert postgres.config.postgres_dsn.get_secret_value() == postgres_dsn
    dao = await postgres.dao_factory.get_dao(name="rows", dto_model=Row, id_field="id")
    await dao.insert(Row(id="a"))
    await postgres.reset()
    assert await dao.find_all(mapping={}).total_count() == 0
    async with postgres.connect() as connection:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1", postgres.schema
        )
    assert [table for (table,) in tables] == ["rows"]

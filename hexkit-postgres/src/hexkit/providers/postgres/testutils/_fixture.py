"""The per-test handle on the PostgreSQL test server: a schema of its own and a factory."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from .._config import PostgresConfig
from .._factory import PostgresDaoFactory
from .._sql import quote_identifier
from ._backends import PostgresServer

__all__ = ["PostgresFixture"]


class PostgresFixture:
    """What the ``postgres`` fixture yields: a fresh schema, its settings and a factory.

    The server is shared by the whole session; each test gets its own schema
    (``hexkit_test_<hex>``), dropped with everything in it after the test.
    """

    def __init__(
        self, *, server: PostgresServer, config: PostgresConfig, dao_factory: PostgresDaoFactory
    ) -> None:
        self.server = server
        self.config = config
        self.dao_factory = dao_factory

    def __repr__(self) -> str:
        return f"PostgresFixture(backend={self.server.backend!r}, schema={self.schema!r})"

    @property
    def schema(self) -> str:
        """The schema of this test."""
        return self.config.postgres_schema

    @classmethod
    @asynccontextmanager
    async def open(cls, server: PostgresServer, **overrides: Any) -> AsyncIterator[PostgresFixture]:
        """Create a fresh schema, yield a fixture on it, then drop the schema."""
        config = server.config(f"hexkit_test_{uuid.uuid4().hex[:16]}", **overrides)
        async with PostgresDaoFactory.construct(config=config) as factory:
            fixture = cls(server=server, config=config, dao_factory=factory)
            try:
                yield fixture
            finally:
                await fixture._drop_schema()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[Any]:
        """Yield a plain asyncpg connection whose search_path is this test's schema."""
        connection = await asyncpg.connect(
            self.config.postgres_dsn.get_secret_value(),
            timeout=self.config.postgres_timeout,
            server_settings={"search_path": self.schema},
        )
        try:
            yield connection
        finally:
            await connection.close()

    @asynccontextmanager
    async def open_factory(self, **overrides: Any) -> AsyncIterator[PostgresDaoFactory]:
        """Construct another factory on this test's schema, with some settings changed."""
        config = PostgresConfig.model_validate({**self.config.model_dump(), **overrides})
        async with PostgresDaoFactory.construct(config=config) as factory:
            yield factory

    async def reset(self) -> None:
        """Delete every row of this test's schema, keeping tables and indexes."""
        async with self.connect() as connection:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1", self.schema
            )
            for (table,) in tables:
                name = f"{quote_identifier(self.schema)}.{quote_identifier(table)}"
                await connection.execute(f"TRUNCATE {name}")

    async def _drop_schema(self) -> None:
        try:
            async with self.connect() as connection:
                await connection.execute(
                    f"DROP SCHEMA IF EXISTS {quote_identifier(self.schema)} CASCADE"
                )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            pass  # the test took the server away; its schema goes with the server

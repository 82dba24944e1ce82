"""The per-test handle on the MongoDB test server: a database of its own and a factory."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

import pytest
from pymongo.errors import PyMongoError

from .._config import MongoDbConfig
from .._factory import MongoDbDaoFactory

__all__ = ["DRIVER_ENV", "MongoDbFixture", "loop_runner"]

DRIVER_ENV = "HEXKIT_TEST_MONGODB_DRIVER"


class MongoDbFixture:
    """One test's database: settings, an open DAO factory, and a way to empty it."""

    def __init__(self, config: MongoDbConfig) -> None:
        self.config = config
        self._stack = AsyncExitStack()
        self._factory: MongoDbDaoFactory | None = None

    @property
    def dao_factory(self) -> MongoDbDaoFactory:
        """The factory over this test's database, open for the whole test."""
        if self._factory is None:
            raise RuntimeError("The mongodb fixture is not open; request it as a fixture.")
        return self._factory

    async def open(self) -> None:
        """Construct the factory; call it in the event loop that will use it."""
        construct: AbstractAsyncContextManager[MongoDbDaoFactory] = MongoDbDaoFactory.construct(
            config=self.config
        )
        self._factory = await self._stack.enter_async_context(construct)

    async def reset(self) -> None:
        """Delete every document of this test's database, keeping collections and indexes.

        DAOs obtained before stay valid, including their unique indexes.
        """
        database = self.dao_factory._database
        for name in await database.list_collection_names():
            await database[name].delete_many({})

    async def close(self) -> None:
        """Drop this test's database and close the factory's client."""
        if self._factory is not None:
            try:
                await self._factory._client.drop_database(self.config.db_name)
            except PyMongoError:
                pass  # the test took the server away; its database goes with the server
            finally:
                self._factory = None
                await self._stack.aclose()


def loop_runner(request: pytest.FixtureRequest) -> asyncio.Runner:
    """Return pytest-asyncio's runner of the loop this test runs in."""
    marker = request.node.get_closest_marker("asyncio")
    scope: Any = None
    if marker is not None:
        scope = marker.kwargs.get("loop_scope") or marker.kwargs.get("scope")
    scope = scope or request.config.getini("asyncio_default_test_loop_scope") or "function"
    try:
        runner: asyncio.Runner = request.getfixturevalue(f"_{scope}_scoped_runner")
    except pytest.FixtureLookupError:
        raise RuntimeError(
            "The mongodb fixture needs pytest-asyncio>=1.0 (its loop runners);"
            ' run `pip install --index-url <your hexkit index>/simple/ "hexkit-mongodb[testing]"`.'
        ) from None
    return runner

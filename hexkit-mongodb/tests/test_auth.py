"""Wrong credentials against a SecantusDB server that enforces SCRAM-SHA-256 authentication."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from pydantic import BaseModel, SecretStr
from pymongo import AsyncMongoClient, errors

from hexkit.protocols.dao import DbUnavailableError
from hexkit.providers.mongodb import MongoDbConfig, MongoDbDaoFactory
from hexkit.providers.mongodb.testutils import EmbeddedMongoDb

pytestmark = pytest.mark.asyncio

RIGHT = "right-secret-5d1f"
WRONG = "wrong-secret-8c2a"
TIMEOUT = 2


class Item(BaseModel):
    id: str


@pytest.fixture(scope="module")
def auth_server() -> Iterator[EmbeddedMongoDb]:
    """A server with the user ``app`` (password ``RIGHT``) that requires authentication."""
    with EmbeddedMongoDb() as server:

        async def create_user() -> None:
            client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(server.dsn)
            try:
                await client.admin.command("createUser", "app", pwd=RIGHT, roles=["root"])
            finally:
                await client.close()

        asyncio.run(create_user())
        server.stop()
        server.auth = True
        server.start()
        yield server


@pytest.fixture(params=["pymongo", "motor"])
def mongodb_driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _dsn(server: EmbeddedMongoDb, password: str) -> SecretStr:
    return SecretStr(f"mongodb://app:{password}@127.0.0.1:{server.port}/?authSource=admin")


@pytest_asyncio.fixture
async def wrong_password_factory(
    auth_server: EmbeddedMongoDb, mongodb_driver: str
) -> AsyncIterator[MongoDbDaoFactory]:
    config = MongoDbConfig(
        mongo_dsn=_dsn(auth_server, WRONG),
        db_name="auth",
        mongo_timeout=TIMEOUT,
        mongo_driver=mongodb_driver,  # type: ignore[arg-type]
    )
    async with MongoDbDaoFactory.construct(config=config) as factory:
        yield factory


async def test_a_wrong_password_says_to_check_the_credentials_without_echoing_them(
    wrong_password_factory: MongoDbDaoFactory,
) -> None:
    started = time.monotonic()
    with pytest.raises(DbUnavailableError) as info:
        await wrong_password_factory.get_dao(name="items", dto_model=Item, id_field="id")
    assert time.monotonic() - started <= TIMEOUT + 1
    message = str(info.value)
    assert "check the user, password and authSource in mongo_dsn" in message
    assert WRONG not in message
    assert "full error" not in message  # not the server's raw reply
    assert "$clusterTime" not in message
    cause = info.value.__cause__
    assert isinstance(cause, errors.OperationFailure)  # what the real server answered
    assert cause.code == 18


async def test_the_right_password_works(auth_server: EmbeddedMongoDb, mongodb_driver: str) -> None:
    config = MongoDbConfig(
        mongo_dsn=_dsn(auth_server, RIGHT),
        db_name="auth",
        mongo_timeout=TIMEOUT,
        mongo_driver=mongodb_driver,  # type: ignore[arg-type]
    )
    async with MongoDbDaoFactory.construct(config=config) as factory:
        dao = await factory.get_dao(name="items", dto_model=Item, id_field="id")
        await dao.upsert(Item(id="a"))
        assert await dao.get_by_id("a") == Item(id="a")

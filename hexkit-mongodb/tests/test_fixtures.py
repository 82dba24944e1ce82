"""The pytest plugin: server backends, a fresh database per test, and event loop binding."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest
from pydantic import BaseModel

from hexkit.protocols.dao import Index, ResourceNotFoundError, UniqueConstraintViolationError
from hexkit.providers.mongodb.testutils import (
    BACKEND_ENV,
    EmbeddedMongoDb,
    MongoDbFixture,
    MongoDbServer,
    running_server,
)
from hexkit.testing import docker_available

SEEN_DATABASES: list[str] = []


class Note(BaseModel):
    id: str
    text: str


async def write_and_read(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(name="notes", dto_model=Note, id_field="id")
    assert await dao.find_all(mapping={}).total_count() == 0, "the database must start empty"
    await dao.insert(Note(id="n", text="hello"))
    assert (await dao.get_by_id("n")).text == "hello"
    SEEN_DATABASES.append(mongodb.config.db_name)


@pytest.mark.asyncio
async def test_each_test_gets_a_fresh_database_first(mongodb: MongoDbFixture) -> None:
    await write_and_read(mongodb)


@pytest.mark.asyncio
async def test_each_test_gets_a_fresh_database_second(mongodb: MongoDbFixture) -> None:
    await write_and_read(mongodb)
    assert len(set(SEEN_DATABASES)) == len(SEEN_DATABASES)
    assert all(name.startswith("hexkit_test_") for name in SEEN_DATABASES)


@pytest.mark.asyncio
async def test_a_finished_tests_database_is_dropped(mongodb: MongoDbFixture) -> None:
    names = await mongodb.dao_factory._client.list_database_names()
    assert not set(SEEN_DATABASES) & set(names)


@pytest.mark.asyncio
async def test_reset_empties_collections_but_keeps_indexes(mongodb: MongoDbFixture) -> None:
    dao = await mongodb.dao_factory.get_dao(
        name="notes", dto_model=Note, id_field="id", indexes=[Index("text", unique=True)]
    )
    await dao.insert(Note(id="a", text="same"))
    await mongodb.reset()
    with pytest.raises(ResourceNotFoundError):
        await dao.get_by_id("a")
    await dao.insert(Note(id="b", text="same"))
    with pytest.raises(UniqueConstraintViolationError):
        await dao.insert(Note(id="c", text="same"))


@pytest.mark.asyncio(loop_scope="session")
async def test_works_in_a_session_scoped_loop_first(mongodb: MongoDbFixture) -> None:
    await write_and_read(mongodb)


@pytest.mark.asyncio(loop_scope="session")
async def test_works_in_a_session_scoped_loop_second(mongodb: MongoDbFixture) -> None:
    await write_and_read(mongodb)


@pytest.mark.asyncio(loop_scope="module")
async def test_works_in_a_module_scoped_loop(mongodb: MongoDbFixture) -> None:
    await write_and_read(mongodb)
    # The client answers in this very loop; a client bound to another loop would fail.
    await asyncio.wait_for(mongodb.dao_factory._client.admin.command("ping"), timeout=10)


def test_the_session_server_comes_from_the_chosen_backend(mongodb_server: MongoDbServer) -> None:
    choice = os.environ.get(BACKEND_ENV, "") or "auto"
    if choice == "auto":
        choice = "testcontainers" if docker_available() else "embedded"
    expected = "dsn" if choice.startswith("mongodb") else choice
    assert mongodb_server.backend == expected
    if expected == "embedded":
        assert mongodb_server.dsn.get_secret_value().startswith("mongodb://127.0.0.1:")
    assert mongodb_server.dsn.get_secret_value() not in repr(mongodb_server)


def test_a_dsn_backend_uses_the_given_server() -> None:
    with running_server("mongodb://user:pw@db.example:27017/") as server:
        assert server.backend == "dsn"
        assert (
            server.config("x").mongo_dsn.get_secret_value() == "mongodb://user:pw@db.example:27017/"
        )


def test_an_unknown_backend_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="'auto', 'testcontainers', 'embedded'"):  # noqa: SIM117
        with running_server("sqlite"):
            pass


def test_the_testcontainers_backend_says_what_to_do_without_docker(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'missing.sock'}")
    with pytest.raises(RuntimeError, match="HEXKIT_TEST_MONGODB=embedded"):  # noqa: SIM117
        with running_server("testcontainers"):
            pass


def test_an_embedded_server_refuses_a_port_in_use() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        server = EmbeddedMongoDb(port=blocker.getsockname()[1])
        try:
            with pytest.raises(RuntimeError, match="is in use by another process"):
                server.start(timeout=30)
            assert server.pid is None
        finally:
            server.close()

"""The example FastAPI application over HTTP, on the memory provider and on PostgreSQL.

The app opens its DAO provider by name from ProviderSettings, as in production; the
client calls it in process through httpx's ASGI transport, with the app's lifespan run
around it. Every error a client can cause, or a database that is down, must come back as
``application/problem+json`` with the right status, never as a traceback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi_app.app import create_app

from hexkit.fastapi import PROBLEM_MEDIA_TYPE, ProviderSettings
from hexkit.providers.postgres.testutils import EmbeddedPostgres, PostgresFixture

pytestmark = pytest.mark.asyncio


@asynccontextmanager
async def serve(settings: ProviderSettings) -> AsyncIterator[httpx.AsyncClient]:
    """Run the example app's lifespan around a client that calls it in process."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://items") as client:
            yield client


def postgres_settings(dsn: str, schema: str = "public", timeout: float = 5) -> ProviderSettings:
    config = {"postgres_dsn": dsn, "postgres_schema": schema, "postgres_timeout": timeout}
    return ProviderSettings(dao_provider="postgres", dao_config=config)


@pytest.fixture(params=["memory", "postgres"])
def settings(request: pytest.FixtureRequest) -> ProviderSettings:
    """Settings naming the provider this run is parametrized with (a fresh schema on PG)."""
    if request.param == "memory":
        return ProviderSettings(dao_provider="memory")
    fixture: PostgresFixture = request.getfixturevalue("postgres")
    return postgres_settings(fixture.config.postgres_dsn.get_secret_value(), fixture.schema)


@pytest_asyncio.fixture
async def client(settings: ProviderSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(settings) as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert ``response`` is a problem details answer with ``status``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


async def test_an_item_is_created_read_replaced_and_deleted(client: httpx.AsyncClient) -> None:
    created = await client.post("/items", json={"name": "bolt", "quantity": 3})
    assert created.status_code == 201
    item = created.json()
    url = f"/items/{item['item_id']}"
    assert (await client.get(url)).json() == item
    replaced = await client.put(url, json={"name": "bolt M8", "quantity": 5})
    assert replaced.json() == {**item, "name": "bolt M8", "quantity": 5}
    assert (await client.get(url)).json() == replaced.json()
    assert (await client.delete(url)).status_code == 204
    assert "No resource with ID" in problem(await client.get(url), 404)["detail"]
    problem(await client.delete(url), 404)
    problem(await client.put(url, json={"name": "nut", "quantity": 1}), 404)


async def test_a_taken_name_is_a_conflict(client: httpx.AsyncClient) -> None:
    await client.post("/items", json={"name": "bolt", "quantity": 3})
    nut = (await client.post("/items", json={"name": "nut", "quantity": 1})).json()
    body = problem(await client.post("/items", json={"name": "bolt", "quantity": 9}), 409)
    assert "name" in body["detail"]
    renamed = await client.put(f"/items/{nut['item_id']}", json={"name": "bolt", "quantity": 1})
    problem(renamed, 409)


async def test_the_listing_pages_through_every_item_by_name(client: httpx.AsyncClient) -> None:
    names = ["washer", "bolt", "nut", "screw", "anchor"]
    for name in names:
        assert (await client.post("/items", json={"name": name, "quantity": 1})).is_success
    seen: list[str] = []
    pages = 0
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = (await client.get("/items", params=params)).json()
        pages += 1
        seen += [item["name"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "after": page["next_cursor"]}
    assert seen == sorted(names)
    assert pages == 3


async def test_a_bad_cursor_or_request_is_unprocessable(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/items", params={"after": "not-a-cursor"}), 422)
    assert "cursor" in body["detail"]
    problem(await client.get("/items/not-a-uuid"), 422)
    invalid = problem(await client.post("/items", json={"name": "", "quantity": -1}), 422)
    assert [error["loc"] for error in invalid["errors"]] == [
        ["body", "name"],
        ["body", "quantity"],
    ]


async def test_a_stopped_database_is_service_unavailable(tmp_path: Path) -> None:
    with EmbeddedPostgres(tmp_path) as server:
        async with serve(postgres_settings(server.dsn)) as client:
            item = (await client.post("/items", json={"name": "bolt", "quantity": 3})).json()
            server.stop()
            for response in (
                await client.get(f"/items/{item['item_id']}"),
                await client.post("/items", json={"name": "nut", "quantity": 1}),
                await client.get("/items"),
            ):
                body = problem(response, 503)
                assert body["detail"] == "The storage cannot be reached; retry later."
                for leak in (str(tmp_path), "postgres", "Traceback", "hexkit"):
                    assert leak not in response.text


async def test_a_hung_database_is_a_gateway_timeout(tmp_path: Path) -> None:
    with EmbeddedPostgres(tmp_path) as server:
        async with serve(postgres_settings(server.dsn, timeout=1)) as client:
            item = (await client.post("/items", json={"name": "bolt", "quantity": 3})).json()
            server.pause()
            try:
                response = await client.get(f"/items/{item['item_id']}")
            finally:
                server.resume()
            body = problem(response, 504)
            assert body["detail"] == "The storage did not answer in time; retry later."
            assert (await client.get(f"/items/{item['item_id']}")).json() == item

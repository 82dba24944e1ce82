"""Malformed bodies, IDs and messages against every file-service endpoint: never a 5xx.

Hypothesis draws requests for every route (with a valid work order, without one, or with
junk in the header) and signed ``/messages`` deliveries of every topic with junk payloads.
The budget is small (CI runs it in seconds); the services run over the memory providers.
The test drives the services' event loop from Hypothesis' thread, as Hypothesis is sync.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import pytest_asyncio
from file_services_harness import DOWNLOADS, REGISTRY, UPLOADS, FileServices, run_file_services
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hexkit.providers.memory import (
    MemoryDaoFactory,
    MemoryObjectStorage,
    MemoryObjectStorageConfig,
    MemoryTransfer,
)

pytestmark = pytest.mark.asyncio

# A fixed, derandomised budget (the same draws every run); HEXKIT_FUZZ_EXAMPLES selects a
# longer random run, as for the state machines.
_FUZZ_EXAMPLES = os.environ.get("HEXKIT_FUZZ_EXAMPLES")
FUZZ_SETTINGS = settings(
    max_examples=int(_FUZZ_EXAMPLES or 100),
    derandomize=not _FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

ROUTES = [  # service, method, path with {id}, whether it takes a JSON body
    (UPLOADS, "POST", "/files", True),
    (UPLOADS, "GET", "/files/{id}", False),
    (UPLOADS, "POST", "/files/{id}/attempts", True),
    (UPLOADS, "GET", "/attempts/{id}", False),
    (UPLOADS, "POST", "/attempts/{id}/parts/{n}", False),
    (UPLOADS, "POST", "/attempts/{id}/complete", True),
    (UPLOADS, "DELETE", "/attempts/{id}", False),
    (REGISTRY, "GET", "/files/{id}", False),
    (REGISTRY, "DELETE", "/files/{id}", False),
    (DOWNLOADS, "GET", "/objects/{id}", False),
]
TOPICS = {  # recipient -> (sender, topics it takes from that sender)
    UPLOADS: (REGISTRY, ["file_accepted", "file_rejected"]),
    REGISTRY: (UPLOADS, ["file_upload_completed"]),
    DOWNLOADS: (REGISTRY, ["file_registered", "file_staged", "file_deleted"]),
}
FIELDS = ["file_id", "attempt_id", "stage_id", "bucket_id", "object_id", "size", "md5",
          "part_size", "part_count", "reason", "created"]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=80)
    | st.sampled_from(["", "x" * 2000, "a" * 64, "0" * 32, "../..", "%00", "2026-01-01T00:00:00Z"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)
shaped = st.dictionaries(st.sampled_from(FIELDS), scalars, max_size=len(FIELDS))
bodies = shaped | json_values
ids = st.text(max_size=100) | st.sampled_from(["x" * 2000, "file-1", "0" * 32, " ", "a/b", ".."])
numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str) | st.text(max_size=10)


@pytest_asyncio.fixture
async def services() -> AsyncIterator[FileServices]:
    storage = MemoryObjectStorage(MemoryObjectStorageConfig(min_part_size=1024))
    async with run_file_services(
        MemoryDaoFactory(), storage, MemoryTransfer(), part_size=1024
    ) as services:
        await services.upload("file-1", b"x" * 3000)
        await services.settle()
        yield services


async def test_no_request_a_client_can_make_gets_a_5xx(services: FileServices) -> None:
    loop = asyncio.get_running_loop()
    counter = itertools.count()
    answers: list[tuple[int, str]] = []

    def run(coroutine: Any) -> httpx.Response:
        response: httpx.Response = asyncio.run_coroutine_threadsafe(coroutine, loop).result(30)
        answers.append((response.status_code, response.headers.get("content-type", "")))
        return response

    @FUZZ_SETTINGS
    # Explicit requests first: each answer class the final assertion expects, whatever
    # the draws (no token: 401; a junk one: 403; granted: 404 for an unknown file).
    @example(route=ROUTES[1], file_id="f-1", number="1", body=None, auth="none")
    @example(route=ROUTES[1], file_id="f-1", number="1", body=None, auth="junk")
    @example(route=ROUTES[1], file_id="no-such-file", number="1", body=None, auth="granted")
    @given(
        route=st.sampled_from(ROUTES),
        file_id=ids,
        number=numbers,
        body=bodies,
        auth=st.sampled_from(["granted", "none", "junk"]),
    )
    def request(
        route: tuple[str, str, str, bool], file_id: str, number: str, body: Any, auth: str
    ) -> None:
        service, method, template, has_body = route
        path = template.format(id=quote(file_id, safe=""), n=quote(number, safe=""))
        client = services.anonymous[service] if auth != "granted" else {
            UPLOADS: services.uploads, REGISTRY: services.registry, DOWNLOADS: services.downloads
        }[service]  # fmt: skip
        headers = {"Authorization": f"Bearer {file_id}".encode()} if auth == "junk" else {}
        content = json.dumps(body).encode() if has_body else None
        response = run(client.request(method, path, content=content, headers=headers))
        assert response.status_code < 500, (method, path[:80], body, response.text[:300])

    @FUZZ_SETTINGS
    @given(
        recipient=st.sampled_from(sorted(TOPICS)),
        data=st.data(),
        payload=shaped | json_values,
        message_id=ids,
    )
    def message(recipient: str, data: st.DataObject, payload: Any, message_id: Any) -> None:
        sender, topics = TOPICS[recipient]
        topic = data.draw(st.sampled_from([*topics, "no_such_topic"]))
        kind = data.draw(st.sampled_from(["fresh", "drawn id", "junk"]))
        if kind == "junk":
            envelope = payload
        else:  # a fresh ID gets past the replay memory to the consumer
            fresh = f"m-{next(counter)}" if kind == "fresh" else message_id
            envelope = {"message_id": fresh, "topic": topic, "payload": payload}
        response = run(services.deliver(recipient, sender, envelope))
        assert response.status_code < 500, (recipient, envelope, response.text[:300])

    await asyncio.to_thread(request)
    await asyncio.to_thread(message)
    assert all(code < 500 for code, _ in answers)
    assert {ctype for code, ctype in answers if code >= 400} == {"application/problem+json"}
    # The draws reached past authentication and validation, not only the front door.
    assert {401, 403, 404, 422} <= {code for code, _ in answers}, sorted({c for c, _ in answers})

"""hexkit.otel on real servers: embedded PostgreSQL and the S3 test server (SeaweedFS).

Spans are collected with the OpenTelemetry SDK's in-memory exporter. On S3, a span that a
botocore hook starts in the provider's worker thread must be a child of hexkit's span:
that needs the caller's context in the thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from pydantic import BaseModel

from hexkit.otel import instrument, trace_object_storage, uninstrument
from hexkit.protocols.dao import ResourceAlreadyExistsError
from hexkit.protocols.objstorage import ObjectNotFoundError
from hexkit.providers.postgres.testutils import PostgresFixture
from hexkit.providers.s3.testutils import S3Fixture
from hexkit.registry import open_provider

pytestmark = pytest.mark.asyncio

ITEM_ID = "customer-0042"
LABEL = "label-5f2a9c"
OBJECT_ID = "user-4711-passport.pdf"


class Item(BaseModel):
    item_id: str
    label: str


@pytest.fixture
def tracing() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument(tracer_provider=tracer_provider)
    yield tracer_provider, exporter
    uninstrument()


def recorded(spans: tuple[ReadableSpan, ...]) -> str:
    """Every name, status text, attribute and event attribute of ``spans``, as one string."""
    return repr(
        [(span.name, span.status.description, dict(span.attributes or {})) for span in spans]
        + [dict(event.attributes or {}) for span in spans for event in span.events]
    )


async def test_postgres_dao_calls_are_spans_with_the_database_conventions(
    postgres: PostgresFixture, tracing: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    tracer_provider, exporter = tracing
    async with open_provider("dao", "postgres", config=postgres.config) as factory:
        dao = await factory.get_dao(name="traced_items", dto_model=Item, id_field="item_id")
        with tracer_provider.get_tracer("app").start_as_current_span("request"):
            await dao.insert(Item(item_id=ITEM_ID, label=LABEL))
            assert (await dao.get_by_id(ITEM_ID)).label == LABEL
            assert [item.item_id async for item in dao.find_all(mapping={"label": LABEL})] == [
                ITEM_ID
            ]
            async with factory.transaction():
                await dao.upsert(Item(item_id=ITEM_ID, label=LABEL + "!"))
            with pytest.raises(ResourceAlreadyExistsError):
                await dao.insert(Item(item_id=ITEM_ID, label=LABEL))
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert {"get_dao traced_items", "insert traced_items", "find_all traced_items"} <= set(spans)
    get = spans["get_by_id traced_items"]
    attributes = dict(get.attributes or {})
    assert attributes["db.system.name"] == "postgresql"
    assert attributes["db.operation.name"] == "get_by_id"
    assert attributes["db.collection.name"] == "traced_items"
    dsn = urlsplit(postgres.config.postgres_dsn.get_secret_value())
    # A TCP DSN names host and port; a Unix socket DSN names the socket's directory.
    assert attributes["server.address"] in {dsn.hostname, *dsn.query.split("host=")[1:]}
    assert get.parent is not None
    assert get.parent.span_id == spans["request"].context.span_id
    assert spans["upsert traced_items"].parent is not None
    assert spans["upsert traced_items"].parent.span_id == spans["transaction"].context.span_id
    failed = [span for span in exporter.get_finished_spans() if span.name == "insert traced_items"]
    assert [span.status.status_code for span in failed] == [StatusCode.UNSET, StatusCode.ERROR]
    text = recorded(exporter.get_finished_spans())
    password = dsn.password
    for leak in (ITEM_ID, LABEL, *([password] if password else [])):
        assert leak not in text


async def test_spans_started_in_botocore_are_children_of_the_hexkit_span(
    s3: S3Fixture, tracing: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    tracer_provider, exporter = tracing
    await s3.populate_file("context", "x", b"x")
    tracer = tracer_provider.get_tracer("botocore-like")

    def http_span(**_: Any) -> None:  # what botocore's instrumentation does per request
        with tracer.start_as_current_span("HTTP HEAD"):
            pass

    s3.storage._client.meta.events.register("before-send.s3.HeadObject", http_span)
    storage = trace_object_storage(
        s3.storage, provider="s3", config=s3.config, tracer_provider=tracer_provider
    )
    assert await storage.does_object_exist("context", "x")
    http, call = exporter.get_finished_spans()
    assert (http.name, call.name) == ("HTTP HEAD", "S3.does_object_exist")
    assert http.parent is not None
    assert http.parent.span_id == call.context.span_id
    assert trace.get_current_span() is trace.INVALID_SPAN  # nothing leaked into the caller


async def test_s3_spans_follow_the_aws_conventions_and_keep_no_key_or_secret(
    s3: S3Fixture, tracing: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    _, exporter = tracing
    async with open_provider("objstorage", "s3", config=s3.config) as storage:
        await storage.create_bucket("traced")
        await storage.put_object("traced", OBJECT_ID, b"content")
        assert b"".join([c async for c in storage.get_object("traced", OBJECT_ID)]) == b"content"
        url = await storage.get_object_download_url("traced", OBJECT_ID)
        with pytest.raises(ObjectNotFoundError):
            await storage.get_object_metadata("traced", "missing-" + OBJECT_ID)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {
        "S3.create_bucket",
        "S3.put_object",
        "S3.get_object",
        "S3.get_object_download_url",
        "S3.get_object_metadata",
    }
    assert s3.config.s3_endpoint_url is not None
    endpoint = urlsplit(s3.config.s3_endpoint_url)
    assert dict(spans["S3.put_object"].attributes or {}) == {
        "rpc.system": "aws-api",
        "rpc.service": "S3",
        "rpc.method": "put_object",
        "aws.s3.bucket": "traced",
        "cloud.region": s3.config.s3_region,
        "server.address": endpoint.hostname,
        "server.port": endpoint.port,
    }
    failed = spans["S3.get_object_metadata"]
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes is not None
    assert str(failed.attributes["error.type"]).endswith("ObjectNotFoundError")
    text = recorded(exporter.get_finished_spans())
    secret = s3.config.s3_secret_access_key.get_secret_value()
    for leak in (OBJECT_ID, url, secret):
        assert leak not in text

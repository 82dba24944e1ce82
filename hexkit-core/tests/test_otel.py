"""hexkit.otel: spans of DAO and object-storage calls on the memory providers.

Spans are collected with the OpenTelemetry SDK's in-memory exporter; the tracer provider
is handed to ``instrument``, so the process-wide one is never set.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from opentelemetry import context, trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, StatusCode, TraceFlags
from pydantic import BaseModel

from hexkit.migrations import migration_status
from hexkit.otel import instrument, is_instrumented, trace_object_storage, uninstrument
from hexkit.protocols.dao import DaoFactoryProtocol, ResourceNotFoundError
from hexkit.protocols.objstorage import ObjectNotFoundError
from hexkit.providers.memory import MemoryDaoFactory, MemoryObjectStorage
from hexkit.registry import open_provider

SECRET = "cursor-secret-9f8e7d6c5b4a"  # noqa: S105 - a fake, to find leaks
ID = "id-e3b0c442"
VALUE = "value-98fc1c14"


class Item(BaseModel):
    item_id: str
    label: str
    size: int


@pytest.fixture
def provider() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument(tracer_provider=tracer_provider)
    yield tracer_provider, exporter
    uninstrument()


@pytest.fixture
def exporter(provider: tuple[TracerProvider, InMemorySpanExporter]) -> InMemorySpanExporter:
    return provider[1]


def spans_named(exporter: InMemorySpanExporter, *names: str) -> list[ReadableSpan]:
    wanted = set(names)
    return [span for span in exporter.get_finished_spans() if span.name in wanted]


def everything_recorded(exporter: InMemorySpanExporter) -> str:
    """Every name, attribute, event and status text of the finished spans, as one string."""
    parts: list[str] = []
    for span in exporter.get_finished_spans():
        parts += [span.name, str(span.status.description)]
        parts += [f"{key}={value}" for key, value in (span.attributes or {}).items()]
        for event in span.events:
            parts += [event.name, *(f"{k}={v}" for k, v in (event.attributes or {}).items())]
    return "\n".join(parts)


@pytest.mark.asyncio
async def test_dao_calls_are_client_spans_under_the_callers_span(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracer_provider, exporter = provider
    async with open_provider("dao", "memory") as factory:
        dao = await factory.get_dao(name="items", dto_model=Item, id_field="item_id")
        with tracer_provider.get_tracer("app").start_as_current_span("request") as request:
            await dao.insert(Item(item_id=ID, label=VALUE, size=1))
            assert await dao.get_by_id(ID) == Item(item_id=ID, label=VALUE, size=1)
            assert await dao.exists(ID)
            assert await dao.count(mapping={"label": VALUE}) == 1
            await dao.delete(ID)
    names = [span.name for span in exporter.get_finished_spans()]
    assert names == [
        "get_dao items",
        "insert items",
        "get_by_id items",
        "exists items",
        "count items",
        "delete items",
        "request",
    ]
    get = spans_named(exporter, "get_by_id items")[0]
    assert get.kind is SpanKind.CLIENT
    assert dict(get.attributes or {}) == {
        "db.system.name": "memory",
        "db.operation.name": "get_by_id",
        "db.collection.name": "items",
    }
    assert get.parent is not None
    assert get.parent.span_id == request.get_span_context().span_id
    assert get.status.status_code is StatusCode.UNSET


@pytest.mark.asyncio
async def test_find_all_is_one_span_counting_rows_and_total_count_another(
    exporter: InMemorySpanExporter,
) -> None:
    async with open_provider("dao", "memory") as factory:
        dao = await factory.get_dao(name="items", dto_model=Item, id_field="item_id")
        await dao.insert_many(Item(item_id=f"i{n}", label="x", size=n) for n in range(5))
        result = dao.find_all(mapping={}, limit=3, sort=["size"])
        assert [item.size for item in await result.to_list()] == [0, 1, 2]
        assert result.next_cursor is not None
        assert await result.total_count() == 5
        following = dao.find_all(mapping={}, limit=3, sort=["size"], after=result.next_cursor)
        assert [item.size async for item in following] == [3, 4]
    finds = spans_named(exporter, "find_all items")
    assert [span.attributes["db.response.returned_rows"] for span in finds if span.attributes] == [
        3,
        2,
    ]
    [total] = spans_named(exporter, "total_count items")
    assert total.attributes is not None
    assert total.attributes["db.operation.name"] == "total_count"
    assert len(spans_named(exporter, "insert_many items")) == 1


@pytest.mark.asyncio
async def test_a_find_all_closed_early_ends_its_span(exporter: InMemorySpanExporter) -> None:
    async with open_provider("dao", "memory") as factory:
        dao = await factory.get_dao(name="items", dto_model=Item, id_field="item_id")
        await dao.insert_many(Item(item_id=f"i{n}", label="x", size=n) for n in range(3))
        result = dao.find_all(mapping={})
        await anext(result)
        await result.aclose()
    [find] = spans_named(exporter, "find_all items")
    assert find.end_time is not None
    assert find.attributes is not None
    assert find.attributes["db.response.returned_rows"] == 1


@pytest.mark.asyncio
async def test_calls_in_a_transaction_are_its_children_and_it_still_rolls_back(
    exporter: InMemorySpanExporter,
) -> None:
    async with open_provider("dao", "memory") as factory:
        dao = await factory.get_dao(name="items", dto_model=Item, id_field="item_id")
        with pytest.raises(RuntimeError):  # noqa: PT012 - the block raises, after the insert
            async with factory.transaction():
                await dao.insert(Item(item_id=ID, label=VALUE, size=1))
                raise RuntimeError("abort")
        assert not await dao.exists(ID)
        async with factory.transaction():
            await dao.insert(Item(item_id=ID, label=VALUE, size=1))
        assert await dao.exists(ID)
    rolled_back, committed = spans_named(exporter, "transaction")
    first_insert, second_insert = spans_named(exporter, "insert items")
    assert first_insert.parent is not None
    assert first_insert.parent.span_id == rolled_back.context.span_id
    assert second_insert.parent is not None
    assert second_insert.parent.span_id == committed.context.span_id
    assert rolled_back.status.status_code is StatusCode.ERROR
    assert committed.status.status_code is StatusCode.UNSET


@pytest.mark.asyncio
async def test_an_error_is_recorded_by_type_without_its_message(
    exporter: InMemorySpanExporter,
) -> None:
    async with open_provider("dao", "memory") as factory:
        dao = await factory.get_dao(name="items", dto_model=Item, id_field="item_id")
        with pytest.raises(ResourceNotFoundError) as raised:
            await dao.get_by_id(ID)
    assert ID in str(raised.value)  # the message names the ID; the span must not
    [span] = spans_named(exporter, "get_by_id items")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "ResourceNotFoundError"
    error_type = "hexkit.protocols.dao.ResourceNotFoundError"  # the public path
    assert span.attributes is not None
    assert span.attributes["error.type"] == error_type
    [event] = span.events
    assert event.name == "exception"
    assert dict(event.attributes or {}) == {"exception.type": error_type}


@pytest.mark.asyncio
async def test_no_id_value_or_secret_appears_in_any_span(
    exporter: InMemorySpanExporter,
) -> None:
    config = {"cursor_secret": SECRET}
    async with open_provider("dao", "memory", config=config) as factory:
        dao = await factory.get_dao(name="items", dto_model=Item, id_field="item_id")
        await dao.insert(Item(item_id=ID, label=VALUE, size=7))
        await dao.upsert(Item(item_id=ID, label=VALUE, size=8))
        await dao.update(Item(item_id=ID, label=VALUE, size=9))
        await dao.find_one(mapping={"label": VALUE})
        page = dao.find_all(mapping={"label": VALUE}, limit=1)
        await page.to_list()
        await dao.upsert_many([Item(item_id=ID, label=VALUE, size=1)])
        for failing in (dao.insert(Item(item_id=ID, label=VALUE, size=1)), dao.get_by_id(VALUE)):
            with pytest.raises(Exception):  # noqa: PT011, B017 - any error, its message checked below
                await failing
        await dao.delete_many([ID])
    async with open_provider("objstorage", "memory") as storage:
        await storage.create_bucket("bucket")
        await storage.put_object("bucket", ID, VALUE.encode())
        url = await storage.get_object_download_url("bucket", ID)
        with pytest.raises(ObjectNotFoundError):
            await storage.get_object_metadata("bucket", VALUE)
    recorded = everything_recorded(exporter)
    assert "find_one items" in recorded  # the scan saw the spans
    for leak in (SECRET, ID, VALUE, url):
        assert leak not in recorded


@pytest.mark.asyncio
async def test_object_storage_calls_record_the_bucket_and_not_the_key(
    exporter: InMemorySpanExporter,
) -> None:
    async with open_provider("objstorage", "memory") as storage:
        await storage.create_bucket("bucket")
        await storage.put_object("bucket", ID, b"content")
        assert b"".join([chunk async for chunk in storage.get_object("bucket", ID)]) == b"content"
        assert [object_id async for object_id in storage.list_object_ids("bucket")] == [ID]
        with pytest.raises(ObjectNotFoundError):
            await storage.delete_object("bucket", "missing")
    names = [span.name for span in exporter.get_finished_spans()]
    assert names == [
        "ObjectStorage.create_bucket",
        "ObjectStorage.put_object",
        "ObjectStorage.get_object",
        "ObjectStorage.list_object_ids",
        "ObjectStorage.delete_object",
    ]
    put = spans_named(exporter, "ObjectStorage.put_object")[0]
    assert dict(put.attributes or {}) == {
        "rpc.system": "memory",
        "rpc.service": "ObjectStorage",
        "rpc.method": "put_object",
        "aws.s3.bucket": "bucket",
    }
    [delete] = spans_named(exporter, "ObjectStorage.delete_object")
    assert delete.status.status_code is StatusCode.ERROR


@pytest.mark.asyncio
async def test_object_ids_are_recorded_only_when_asked_for(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracer_provider, exporter = provider
    async with MemoryObjectStorage.construct(config=MemoryObjectStorage.config_model()) as inner:
        storage = trace_object_storage(
            inner, provider="memory", tracer_provider=tracer_provider, record_object_ids=True
        )
        await storage.create_bucket("bucket")
        await storage.put_object("bucket", ID, b"content")
        upload_id = await storage.init_multipart_upload("bucket", "parts")
        await storage.abort_multipart_upload(upload_id, "bucket", "parts")
    [put] = spans_named(exporter, "ObjectStorage.put_object")
    assert put.attributes is not None
    assert put.attributes["aws.s3.key"] == ID
    [abort] = spans_named(exporter, "ObjectStorage.abort_multipart_upload")
    assert abort.attributes is not None
    assert abort.attributes["aws.s3.upload_id"] == upload_id


@pytest.mark.asyncio
async def test_providers_are_not_wrapped_unless_instrumented() -> None:
    assert not is_instrumented()
    async with open_provider("dao", "memory") as factory:
        assert type(factory) is MemoryDaoFactory
    async with open_provider("objstorage", "memory") as storage:
        assert type(storage) is MemoryObjectStorage


@pytest.mark.asyncio
async def test_an_instrumented_factory_still_migrates(exporter: InMemorySpanExporter) -> None:
    async with open_provider("dao", "memory") as factory:
        assert type(factory) is not MemoryDaoFactory
        assert isinstance(factory, DaoFactoryProtocol)
        assert (await migration_status(factory)).version == 0


@pytest.mark.asyncio
async def test_sampled_out_calls_record_nothing_and_work() -> None:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider(sampler=ALWAYS_OFF)
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument(tracer_provider=tracer_provider)
    try:
        async with open_provider("dao", "memory") as factory:
            dao = await factory.get_dao(name="items", dto_model=Item, id_field="item_id")
            await dao.insert(Item(item_id=ID, label=VALUE, size=1))
            assert [item.item_id async for item in dao.find_all(mapping={})] == [ID]
            async with factory.transaction():
                await dao.delete(ID)
            assert not await dao.exists(ID)
    finally:
        uninstrument()
    assert exporter.get_finished_spans() == ()


@pytest.mark.asyncio
async def test_calls_under_an_unsampled_parent_start_no_span(
    exporter: InMemorySpanExporter,
) -> None:
    unsampled = SpanContext(trace_id=7, span_id=7, is_remote=True, trace_flags=TraceFlags(0))
    async with open_provider("dao", "memory") as factory:
        dao = await factory.get_dao(name="items", dto_model=Item, id_field="item_id")
        token = context.attach(trace.set_span_in_context(NonRecordingSpan(unsampled)))
        try:
            await dao.insert(Item(item_id=ID, label=VALUE, size=1))
            assert [item.item_id async for item in dao.find_all(mapping={})] == [ID]
            async with factory.transaction():
                await dao.delete(ID)
        finally:
            context.detach(token)
        assert not await dao.exists(ID)  # a root call: sampled by the default sampler
    assert [span.name for span in exporter.get_finished_spans()] == [
        "get_dao items",
        "exists items",
    ]


def test_the_core_imports_without_opentelemetry_and_the_extra_is_named() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["opentelemetry"] = None  # as if OpenTelemetry were not installed
        import hexkit.cli, hexkit.migrations, hexkit.protocols.dao, hexkit.protocols.objstorage
        import hexkit.providers.memory, hexkit.registry
        try:
            import hexkit.otel
        except ModuleNotFoundError as error:
            print(error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert '"hexkit[otel]"' in result.stdout
    assert "--index-url" in result.stdout

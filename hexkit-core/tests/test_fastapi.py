"""hexkit.fastapi: providers for a lifespan, dependencies, and problem+json error handlers.

Each error is raised by an endpoint and answered over HTTP (httpx's ASGI transport, with
the application's lifespan run around the client), as a client would see it.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel

from hexkit.fastapi import (
    ERROR_ROOTS,
    ERROR_STATUSES,
    MAX_VALUE_CHARS,
    PROBLEM_MEDIA_TYPE,
    DaoDependency,
    DaoFactoryDep,
    ObjectStorageDep,
    Providers,
    ProviderSettings,
    add_problem_handlers,
    get_providers,
    hexkit_lifespan,
    providers_of,
    status_of,
)
from hexkit.protocols import dao as dao_errors
from hexkit.protocols import objstorage as obj_errors
from hexkit.protocols.dao import Dao, DaoError, DaoFactoryProtocol, ProviderClosedError

TITLES = {
    404: "Not Found",
    412: "Precondition Failed",
    409: "Conflict",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
SECRET_DSN = "postgresql://app:s3cr3t-pw@db.internal:5432/app"  # noqa: S105 - a fake, to find leaks


class Thing(BaseModel):
    thing_id: str
    size: int


async def open_things(factory: DaoFactoryProtocol) -> Dao[Thing]:
    return await factory.get_dao(name="things", dto_model=Thing, id_field="thing_id")


THINGS = DaoDependency(open_things)


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan around a client that calls it in process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield client


def raising_app(error: BaseException) -> FastAPI:
    app = FastAPI()
    add_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return app


async def answer_to(error: BaseException) -> httpx.Response:
    async with serve(raising_app(error)) as client:
        return await client.get("/boom")


# One instance of every error of both trees, with the status a client gets for it.
ANSWERS: list[tuple[BaseException, int]] = [
    (dao_errors.ResourceNotFoundError(id_="a", collection="things"), 404),
    (dao_errors.NoHitsFoundError(mapping={"size": 3}), 404),
    (dao_errors.ResourceAlreadyExistsError(id_="a", collection="things"), 409),
    (dao_errors.UniqueConstraintViolationError(fields=["name"], collection="things"), 409),
    (dao_errors.ResourceChangedError(id_="a", expected=1, stored=2, collection="things"), 412),
    (dao_errors.ResourceChangedError(id_="a", expected=1, stored=None), 412),
    (dao_errors.VersionFieldError(model=Thing, field="v", reason="not an int"), 422),
    (dao_errors.InvalidDocumentError(collection="c", id_="a", field="f", reason="too big"), 422),
    (dao_errors.DocumentTooLargeError(collection="c", id_="a", size=20, limit=10), 422),
    (dao_errors.InvalidIdError(id_="x", expected="UUID"), 422),
    (dao_errors.InvalidCursorError(reason="it was altered"), 422),
    (dao_errors.PageNotFinishedError(), 422),
    (dao_errors.DaoNameError(name="a b"), 422),
    (dao_errors.IdFieldError(model=Thing, field="x", reason="missing"), 422),
    (dao_errors.ProviderClosedError(provider="memory"), 503),
    (dao_errors.DbUnavailableError(SECRET_DSN), 503),
    (dao_errors.DbTimeoutError(SECRET_DSN), 504),
    (dao_errors.MultipleHitsFoundError(mapping={"size": 3}), 500),
    (dao_errors.InvalidFindMappingError(mapping={}, key="k", reason="no such field"), 422),
    (dao_errors.TransactionError(SECRET_DSN), 500),
    (dao_errors.TransactionsNotSupportedError("no"), 500),
    (obj_errors.BucketNotFoundError("bucket"), 404),
    (obj_errors.ObjectNotFoundError("bucket", "obj"), 404),
    (obj_errors.MultiPartUploadNotFoundError("up", "bucket", "obj"), 404),
    (obj_errors.BucketAlreadyExistsError("bucket"), 409),
    (obj_errors.ObjectAlreadyExistsError("bucket", "obj"), 409),
    (obj_errors.MultiPartUploadAlreadyExistsError("bucket", "obj"), 409),
    (obj_errors.BucketNotEmptyError("bucket"), 409),
    (obj_errors.BucketIdValidationError("B!", "uppercase"), 422),
    (obj_errors.ObjectStorageUsageError("bad argument"), 422),
    (obj_errors.ObjectIdValidationError("../x", "dot segment"), 422),
    (obj_errors.StorageClosedError(provider="s3"), 503),
    (obj_errors.StorageUnavailableError(SECRET_DSN), 503),
    (obj_errors.StorageTimeoutError(SECRET_DSN), 504),
    (obj_errors.MultiPartUploadConfirmError("up", "bucket", "obj", "part 2 missing"), 500),
    (obj_errors.MultiPartUploadAbortError("up", "bucket", "obj", SECRET_DSN), 500),
]


@pytest.mark.parametrize(
    ("error", "status"),
    ANSWERS,
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
@pytest.mark.asyncio
async def test_each_protocol_error_is_answered_with_its_status_as_problem_json(
    error: BaseException, status: int
) -> None:
    response = await answer_to(error)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert body["title"] == TITLES[status]
    if status < 500:
        assert body["detail"] == str(error)  # short values: the whole message


def test_every_exported_error_of_both_trees_is_answered_in_a_test() -> None:
    exported = [
        value
        for module in (dao_errors, obj_errors)
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, ERROR_ROOTS)
    ]
    assert len(exported) > 30
    assert all(any(base in ERROR_STATUSES for base in cls.__mro__) for cls in exported)
    untested = {
        cls.__name__ for cls in exported if cls not in ANSWERS_BY_TYPE and cls not in ABSTRACT_BASES
    }
    assert not untested, f"add a row to ANSWERS for {sorted(untested)}"


ANSWERS_BY_TYPE = {type(error) for error, _ in ANSWERS}
# Bases raised only through a subclass, and the bulk error, which needs real failures.
ABSTRACT_BASES = {
    dao_errors.DaoError,
    dao_errors.DaoUsageError,
    dao_errors.FindError,
    dao_errors.BulkWriteError,
    dao_errors.CreationModelError,
    dao_errors.IndexFieldError,
    dao_errors.UnsupportedFieldError,
    obj_errors.ObjectStorageError,
    obj_errors.BucketError,
    obj_errors.ObjectError,
    obj_errors.MultiPartUploadError,
}


def test_a_row_for_a_subclass_overrides_its_base() -> None:
    class ResourceChanged(DaoError):  # what a merge adds: one class, one row
        pass

    table = {**ERROR_STATUSES, ResourceChanged: HTTPStatus.PRECONDITION_FAILED}
    assert status_of(ResourceChanged(), table) == HTTPStatus.PRECONDITION_FAILED
    assert status_of(ResourceChanged()) == HTTPStatus.INTERNAL_SERVER_ERROR
    assert status_of(ValueError()) is None


@pytest.mark.parametrize(
    "error",
    [
        dao_errors.DbUnavailableError(f"cannot connect to {SECRET_DSN}"),
        dao_errors.TransactionError(f"{SECRET_DSN} in hexkit.providers.postgres._dao"),
        obj_errors.StorageUnavailableError(f"endpoint {SECRET_DSN}"),
    ],
    ids=lambda v: type(v).__name__,
)
@pytest.mark.asyncio
async def test_a_server_side_failure_leaks_nothing_and_is_logged(
    error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="hexkit.fastapi"):
        response = await answer_to(error)
    assert response.status_code >= 500
    text = response.text
    for leak in ("s3cr3t", "postgresql://", "db.internal", "hexkit.", "Traceback", ".py"):
        assert leak not in text
    assert set(response.json()) == {"type", "title", "status", "detail"}
    [record] = caplog.records
    assert record.exc_info is not None
    assert record.exc_info[1] is error
    assert "GET /boom" in record.getMessage()


@pytest.mark.asyncio
async def test_a_long_offending_value_is_shortened() -> None:
    long_id = "x" * 10_000
    response = await answer_to(dao_errors.ResourceNotFoundError(id_=long_id, collection="c"))
    detail = response.json()["detail"]
    assert response.status_code == 404
    assert "x" * (MAX_VALUE_CHARS - 10) in detail
    assert "x" * (MAX_VALUE_CHARS + 1) not in detail
    assert detail.startswith("No resource with ID 'xxx")
    assert detail.endswith("insert it first or check the ID.")  # the advice is kept
    assert len(response.content) < 2 * MAX_VALUE_CHARS + 300


@pytest.mark.asyncio
async def test_a_long_mapping_in_a_find_error_is_shortened() -> None:
    mapping = {f"key{number}": "v" * 50 for number in range(100)}
    response = await answer_to(dao_errors.NoHitsFoundError(mapping=mapping))
    assert response.status_code == 404
    assert len(response.json()["detail"]) < 2 * MAX_VALUE_CHARS + 100


def validating_app() -> FastAPI:
    app = FastAPI()
    add_problem_handlers(app)

    @app.post("/things")
    async def create(thing: Thing) -> Thing:
        return thing

    return app


@pytest.mark.asyncio
async def test_request_validation_is_problem_json_without_the_input() -> None:
    secret = "hunter2-" + "y" * 5_000
    async with serve(validating_app()) as client:
        response = await client.post("/things", json={"thing_id": "a", "size": secret})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["status"] == 422
    assert body["title"] == "Unprocessable Content"
    [error] = body["errors"]
    assert error["loc"] == ["body", "size"]
    assert error["type"] == "int_parsing"
    assert "hunter2" not in response.text
    assert len(response.content) < 1_000


def things_app(settings: ProviderSettings) -> FastAPI:
    app = FastAPI(lifespan=hexkit_lifespan(settings, daos=[THINGS]))
    add_problem_handlers(app)

    @app.put("/things/{thing_id}")
    async def put(thing_id: str, size: int, things: Annotated[Dao[Thing], Depends(THINGS)]) -> None:
        await things.upsert(Thing(thing_id=thing_id, size=size))

    @app.get("/things/{thing_id}")
    async def get(thing_id: str, things: Annotated[Dao[Thing], Depends(THINGS)]) -> Thing:
        return await things.get_by_id(thing_id)

    @app.get("/factory")
    async def factory(factory: DaoFactoryDep) -> str:
        return type(factory).__name__

    @app.get("/providers")
    async def providers(providers: Annotated[Providers, Depends(get_providers)]) -> list[str]:
        return [type(provider).__name__ for provider in providers.daos.values()]

    @app.put("/objects/{bucket_id}/{object_id}")
    async def put_object(bucket_id: str, object_id: str, storage: ObjectStorageDep) -> None:
        if not await storage.does_bucket_exist(bucket_id):
            await storage.create_bucket(bucket_id)
        await storage.put_object(bucket_id, object_id, b"data")

    @app.delete("/objects/{bucket_id}/{object_id}")
    async def delete_object(bucket_id: str, object_id: str, storage: ObjectStorageDep) -> None:
        await storage.delete_object(bucket_id, object_id)

    return app


@pytest.mark.asyncio
async def test_the_lifespan_opens_the_named_providers_and_closes_them_on_shutdown() -> None:
    app = things_app(ProviderSettings(dao_provider="memory", objstorage_provider="memory"))
    async with serve(app) as client:
        providers = providers_of(app.state)
        assert (await client.put("/things/a", params={"size": 3})).status_code == 200
        assert (await client.get("/things/a")).json() == {"thing_id": "a", "size": 3}
        assert (await client.get("/things/b")).status_code == 404
        assert (await client.get("/factory")).json() == "MemoryDaoFactory"
        assert (await client.get("/providers")).json() == ["MemoryDao"]
        assert (await client.put("/objects/my-bucket/a.txt")).status_code == 200
        missing = await client.delete("/objects/my-bucket/b.txt")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == PROBLEM_MEDIA_TYPE
        things = providers.daos[THINGS]
    with pytest.raises(ProviderClosedError):
        await things.get_by_id("a")
    assert providers.object_storage is not None
    with pytest.raises(obj_errors.StorageClosedError):
        await providers.object_storage.does_bucket_exist("my-bucket")
    with pytest.raises(RuntimeError, match="providers are not open"):
        providers_of(app.state)


@pytest.mark.asyncio
async def test_a_provider_that_is_not_configured_is_named_in_the_error() -> None:
    app = things_app(ProviderSettings(dao_provider="memory", objstorage_provider=None))
    async with serve(app) as client:
        with pytest.raises(RuntimeError, match="OBJSTORAGE_PROVIDER"):
            await client.put("/objects/my-bucket/a.txt")


@pytest.mark.asyncio
async def test_a_dao_not_declared_in_the_lifespan_is_named_in_the_error() -> None:
    app = things_app(ProviderSettings(dao_provider="memory"))
    app.router.lifespan_context = hexkit_lifespan(ProviderSettings(dao_provider="memory"))
    async with serve(app) as client:
        with pytest.raises(RuntimeError, match=r"hexkit_lifespan\(settings, daos="):
            await client.get("/things/a")


@pytest.mark.asyncio
async def test_the_startup_hook_runs_with_the_open_providers() -> None:
    seen: list[Providers] = []

    async def startup(providers: Providers) -> None:
        seen.append(providers)

    app = FastAPI(lifespan=hexkit_lifespan(ProviderSettings(), daos=[THINGS], startup=startup))
    async with serve(app):
        [providers] = seen
        assert THINGS in providers.daos
        assert providers.object_storage is None


def test_the_settings_read_the_environment_and_hide_the_configs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAO_PROVIDER", "postgres")
    monkeypatch.setenv("DAO_CONFIG", json.dumps({"postgres_dsn": SECRET_DSN}))
    settings = ProviderSettings()
    assert settings.dao_provider == "postgres"
    assert settings.dao_config == {"postgres_dsn": SECRET_DSN}
    assert "s3cr3t" not in repr(settings)


def test_the_core_imports_without_fastapi_and_the_extra_is_named() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["fastapi"] = None  # as if FastAPI were not installed
        import hexkit.cli, hexkit.migrations, hexkit.protocols.dao, hexkit.protocols.objstorage
        import hexkit.providers.memory, hexkit.registry
        try:
            import hexkit.fastapi
        except ModuleNotFoundError as error:
            print(error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert '"hexkit[fastapi]"' in result.stdout
    assert "--index-url" in result.stdout

"""Turn tracing on for every provider opened through the registry, or wrap one by hand."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import TracerProvider
from pydantic_settings import BaseSettings

from hexkit.migrations import SupportsMigrations
from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol
from hexkit.registry import ProviderInfo, add_provider_wrapper

from ._attributes import db_system, objstorage_system, server_attributes
from ._dao import TracedDaoFactory, TracedMigratingDaoFactory
from ._objstorage import TracedObjectStorage
from ._spans import Spans

__all__ = [
    "instrument",
    "is_instrumented",
    "trace_dao_factory",
    "trace_object_storage",
    "uninstrument",
]

_SCOPE = "hexkit"
_remove: Callable[[], None] | None = None


def _spans(tracer_provider: TracerProvider | None) -> Spans:
    try:
        scope_version: str | None = version("hexkit")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        scope_version = None
    return Spans(trace.get_tracer(_SCOPE, scope_version, tracer_provider))


def trace_dao_factory(
    factory: DaoFactoryProtocol,
    *,
    provider: str,
    config: BaseSettings | None = None,
    tracer_provider: TracerProvider | None = None,
) -> DaoFactoryProtocol:
    """Return ``factory`` with a span around each call of its DAOs and its transactions.

    ``provider`` is its registry name (``"postgres"``), which gives ``db.system.name``;
    ``config`` gives ``server.address``/``server.port``. Migrations keep working and run
    untraced; any other attribute is the factory's own.
    """
    base = {"db.system.name": db_system(provider), **server_attributes(provider, config)}
    traced = (
        TracedMigratingDaoFactory if isinstance(factory, SupportsMigrations) else TracedDaoFactory
    )
    return traced(factory, _spans(tracer_provider), base)


def trace_object_storage(
    storage: ObjectStorageProtocol,
    *,
    provider: str,
    config: BaseSettings | None = None,
    tracer_provider: TracerProvider | None = None,
    record_object_ids: bool = False,
) -> ObjectStorageProtocol:
    """Return ``storage`` with a span around each call.

    Object IDs are recorded (``aws.s3.key``) only with ``record_object_ids=True``: they
    often name a user or a file. Bucket IDs are always recorded.
    """
    base = {**objstorage_system(provider), **server_attributes(provider, config)}
    return TracedObjectStorage(
        storage, _spans(tracer_provider), base, record_object_ids=record_object_ids
    )


def instrument(
    *, tracer_provider: TracerProvider | None = None, record_object_ids: bool = False
) -> None:
    """Trace every provider that ``hexkit.registry.open_provider`` opens from now on.

    Spans go to ``tracer_provider``, by default the global one. Calling it again
    replaces the settings; providers opened before stay as they were.
    """
    global _remove  # noqa: PLW0603 - one process-wide switch, as OpenTelemetry's own
    uninstrument()

    def wrap(info: ProviderInfo, config: BaseSettings, provider: Any) -> Any:
        if isinstance(provider, DaoFactoryProtocol):
            return trace_dao_factory(
                provider, provider=info.name, config=config, tracer_provider=tracer_provider
            )
        if isinstance(provider, ObjectStorageProtocol):
            return trace_object_storage(
                provider,
                provider=info.name,
                config=config,
                tracer_provider=tracer_provider,
                record_object_ids=record_object_ids,
            )
        return provider

    _remove = add_provider_wrapper(wrap)


def uninstrument() -> None:
    """Stop tracing providers opened from now on; those opened before stay traced."""
    global _remove  # noqa: PLW0603 - see instrument()
    if _remove is not None:
        _remove()
        _remove = None


def is_instrumented() -> bool:
    """Tell whether :func:`instrument` is in force."""
    return _remove is not None

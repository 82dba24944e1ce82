"""OpenTelemetry tracing of DAO and object-storage calls (the ``otel`` extra).

:func:`instrument` wraps every provider that :mod:`hexkit.registry` opens from then on
in a traced twin: one client span per DAO call (database semantic conventions) and per
object-storage call (AWS SDK conventions). Spans carry what a call did and where, never
its data: no IDs, documents, find values, object IDs (unless asked for) or secrets; an
error records only its type. Without :func:`instrument` nothing is wrapped, so an
application that does not trace pays nothing. :func:`trace_dao_factory` and
:func:`trace_object_storage` wrap a provider constructed by hand.
"""

try:
    import opentelemetry.trace as _trace  # noqa: F401 - only to fail early, with the install hint
except ModuleNotFoundError as _missing:  # pragma: no cover - tested in a subprocess
    raise ModuleNotFoundError(
        "hexkit.otel needs the OpenTelemetry API; install the extra: pip install --index-url"
        ' <your hexkit index>/simple "hexkit[otel]"',
        name=_missing.name,
    ) from None

from ._instrument import (
    instrument,
    is_instrumented,
    trace_dao_factory,
    trace_object_storage,
    uninstrument,
)

__all__ = [
    "instrument",
    "is_instrumented",
    "trace_dao_factory",
    "trace_object_storage",
    "uninstrument",
]

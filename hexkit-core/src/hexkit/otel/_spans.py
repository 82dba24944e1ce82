"""Start, parent and end the spans of hexkit calls; record errors without their messages.

Under a parent span that is not sampled no span is started at all: the call follows its
parent's sampling decision, as the SDK's default (parent-based) sampler would decide, at
the cost of one context look-up instead of a span. A span that the sampler drops is not
made current: the call runs as if untraced, so spans started below it (a driver's) keep
the caller's span as their parent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from opentelemetry import context, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue

__all__ = ["Attributes", "Spans", "record_error"]

T = TypeVar("T")
Attributes = Mapping[str, AttributeValue]


def _parent_unsampled() -> bool:
    parent = trace.get_current_span().get_span_context()
    return parent.is_valid and not parent.trace_flags.sampled


def record_error(span: Span, error: BaseException) -> None:
    """Mark ``span`` failed with the error's type only.

    Messages of hexkit errors name IDs and field values, and driver messages may hold
    anything, so neither the message nor the stack trace is recorded.
    """
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    span.set_attribute("error.type", name)
    span.add_event("exception", {"exception.type": name})
    span.set_status(Status(StatusCode.ERROR, kind.__name__))


class Spans:
    """One tracer and the few ways hexkit's proxies wrap a call in a span."""

    __slots__ = ("tracer",)

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    async def call(
        self,
        name: str,
        attributes: Attributes,
        function: Callable[..., Awaitable[T]],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> T:
        """Await ``function(*args, **kwargs)`` inside a client span named ``name``."""
        if _parent_unsampled():
            return await function(*args, **kwargs)
        span = self.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        if not span.is_recording():
            return await function(*args, **kwargs)
        token = context.attach(trace.set_span_in_context(span))
        try:
            return await function(*args, **kwargs)
        except (Exception, asyncio.CancelledError) as error:
            record_error(span, error)
            raise
        finally:
            context.detach(token)
            span.end()

    @asynccontextmanager
    async def block(self, name: str, attributes: Attributes) -> AsyncIterator[None]:
        """Run the ``async with`` body inside a span (a transaction's)."""
        if _parent_unsampled():
            yield
            return
        span = self.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        if not span.is_recording():
            yield
            return
        token = context.attach(trace.set_span_in_context(span))
        try:
            yield
        except (Exception, asyncio.CancelledError) as error:
            record_error(span, error)
            raise
        finally:
            context.detach(token)
            span.end()

    async def stream(
        self,
        name: str,
        attributes: Attributes,
        items: AsyncIterator[T],
        *,
        count_as: str | None = None,
    ) -> AsyncGenerator[T, None]:
        """Yield ``items`` inside a span that lasts from the first item to the end or close.

        With ``count_as``, the number of items yielded is recorded under that attribute.
        Closing this stream closes ``items``.
        """
        span: Span = trace.INVALID_SPAN
        if not _parent_unsampled():
            span = self.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        count = 0
        try:
            if not span.is_recording():
                async for item in items:
                    yield item
                return
            while True:
                token = context.attach(trace.set_span_in_context(span))
                try:
                    item = await anext(items)
                except StopAsyncIteration:
                    break
                except (Exception, asyncio.CancelledError) as error:
                    record_error(span, error)
                    raise
                finally:
                    context.detach(token)
                count += 1
                yield item
        finally:
            if count_as is not None and span.is_recording():
                span.set_attribute(count_as, count)
            span.end()
            close = getattr(items, "aclose", None)
            if close is not None:
                await close()

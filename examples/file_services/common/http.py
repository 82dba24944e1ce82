"""Small FastAPI helpers the services share: problem responses, work orders, the message endpoint.

Every error a request can cause is answered as an RFC 9457 ``application/problem+json``
body. The DAO and object storage errors get ``hexkit.fastapi``'s handlers and status table
(a backend that is down is ``503``, one that is slow ``504``: the sender's relay retries
every ``5xx``); the services' own errors get theirs from :data:`SERVICE_PROBLEMS` plus each
service's table. An error that knows the current state of what the request lost to (a
``current_status`` attribute) says it in the body's ``current_status`` member. Anything
else is a bug, answered ``500`` without detail (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException

from hexkit.fastapi import add_problem_handlers, problem_detail, problem_response

from .handoffs import (
    HandOffBusyError,
    HandOffRefusedError,
    HandOffUnauthenticatedError,
    HandOffVerifier,
)
from .outbox import InvalidMessageError, UnknownTopicError
from .relay import MESSAGES_PATH
from .work_orders import (
    Operation,
    WorkOrder,
    WorkOrderMissingError,
    WorkOrderRefusedError,
    WorkOrderVerifier,
)

__all__ = [
    "SERVICE_PROBLEMS",
    "Envelope",
    "Lifespan",
    "MessageTooLargeError",
    "authorize",
    "install_problems",
    "message_router",
    "problem",
]

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
Consumer = Callable[[str, dict[str, Any]], Awaitable[None]]
MAX_MESSAGE_BYTES = 1024 * 1024  # a hand-off is small; the body is read before its MAC is checked
_MAX_DETAIL = 500
log = logging.getLogger(__name__)


class MessageTooLargeError(ValueError):
    """A ``/messages`` body is larger than any hand-off; it is not read further."""

    def __init__(self) -> None:
        super().__init__(f"A message body may have at most {MAX_MESSAGE_BYTES} bytes.")


# The services' shared errors -> status; Starlette picks the most specific class's entry.
SERVICE_PROBLEMS: dict[type[Exception], int] = {
    WorkOrderMissingError: 401,
    WorkOrderRefusedError: 403,
    HandOffUnauthenticatedError: 401,
    HandOffRefusedError: 403,
    HandOffBusyError: 503,  # an earlier delivery of it is in flight: retry, do not park
    InvalidMessageError: 422,
    MessageTooLargeError: 413,
    UnknownTopicError: 422,
}


def problem(code: int, detail: str, **extra: Any) -> JSONResponse:
    """Return an RFC 9457 problem response (``401`` asks for a bearer token)."""
    headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
    return problem_response(code, detail[:_MAX_DETAIL], headers=headers, **extra)


def install_problems(app: FastAPI, table: Mapping[type[Exception], int]) -> None:
    """Answer protocol errors as ``hexkit.fastapi`` does, the services' errors by their tables.

    ``table`` holds the service's own errors; :data:`SERVICE_PROBLEMS` is added to it.
    """
    add_problem_handlers(app)  # the DAO and object storage trees, and request validation
    for error_type, code in {**SERVICE_PROBLEMS, **table}.items():

        async def handler(_: Request, error: Exception, code: int = code) -> JSONResponse:
            if code >= 500:
                log.warning("Answering %s: %s", code, type(error).__name__)
            current = getattr(error, "current_status", None)
            extra = {} if current is None else {"current_status": current}
            return problem(code, problem_detail(error), **extra)

        app.add_exception_handler(error_type, handler)

    async def invalid(_: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, ValidationError):  # registered for those only
            return await bug(_, error)
        errors = [  # no "input": it may be large, and it is the client's own data
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()[:20]
        ]
        return problem(422, "The request does not have the expected shape.", errors=errors)

    async def http_error(_: Request, error: Exception) -> Response:
        if not isinstance(error, HTTPException):  # registered for those only
            return await bug(_, error)
        if error.status_code < 400:
            return Response(status_code=error.status_code, headers=error.headers)
        return problem(error.status_code, str(error.detail))

    async def bug(_: Request, error: Exception) -> JSONResponse:
        log.error("Unhandled error", exc_info=error)
        return problem(500, "An internal error occurred; it was logged.")

    app.add_exception_handler(ValidationError, invalid)  # a model the core built from input
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, bug)


def authorize(
    request: Request, operations: Collection[Operation], file_id: str | None
) -> WorkOrder:
    """Check the request's work order against this service's verifier (401/403 if refused)."""
    verifier: WorkOrderVerifier = request.app.state.work_orders
    return verifier.verify(request.headers.get("authorization"), operations, file_id)


class Envelope(BaseModel):
    """A message as the relay posts it."""

    message_id: str = Field(min_length=1, max_length=128)
    topic: str = Field(min_length=1, max_length=128)
    payload: dict[str, Any]


async def _read_limited(request: Request) -> bytes:
    """Read the body, refusing one larger than :data:`MAX_MESSAGE_BYTES` without buffering it."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_MESSAGE_BYTES:
            raise MessageTooLargeError()
    return bytes(body)


def message_router(consumer: Callable[[Request], Consumer]) -> APIRouter:
    """``POST /messages``: check the sender's proof, then hand the envelope to the consumer.

    ``204`` acknowledges it (the sender's relay deletes it). An unsigned or forged delivery
    is ``401``; a stale or replayed one, or a topic not taken from that sender, ``403``; a
    malformed one ``422``: the relay parks all of these. Only ``5xx`` is sent again,
    including ``503`` while an earlier delivery of the same message is being handled.
    """
    router = APIRouter(tags=["internal"])

    @router.post(
        MESSAGES_PATH,
        status_code=status.HTTP_204_NO_CONTENT,
        openapi_extra={
            "requestBody": {
                "content": {"application/json": {"schema": Envelope.model_json_schema()}}
            }
        },
    )
    async def receive(request: Request) -> Response:
        verifier: HandOffVerifier = request.app.state.hand_offs
        body = await _read_limited(request)
        sender, sent_at = verifier.authenticate(request.headers, body)
        try:
            envelope = Envelope.model_validate_json(body)
        except ValidationError as error:
            raise InvalidMessageError("envelope", f"{error.error_count()} invalid fields") from None
        verifier.admit(sender, sent_at, envelope.topic, envelope.message_id)
        try:
            await consumer(request)(envelope.topic, envelope.payload)
        except BaseException:
            verifier.release(sender, envelope.message_id)
            raise
        verifier.finish(sender, envelope.message_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router

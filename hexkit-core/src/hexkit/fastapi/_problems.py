"""RFC 9457 problem details for the protocols' errors and for request validation.

A 4xx body says what was wrong with the request: the error's message, in which any
offending value (an ID, a mapping, a field) longer than :data:`MAX_VALUE_CHARS` is
shortened. A 5xx body is generic: the error is logged on the ``hexkit.fastapi`` logger
with its traceback, and nothing of it (DSNs, hosts, module paths) reaches the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ._statuses import ERROR_ROOTS, ERROR_STATUSES, status_of

__all__ = [
    "MAX_VALUE_CHARS",
    "PROBLEM_MEDIA_TYPE",
    "ProblemResponse",
    "add_problem_handlers",
    "problem_detail",
    "problem_response",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: The longest offending value (its repr) a problem body repeats; longer ones are cut.
MAX_VALUE_CHARS = 200
_MAX_DETAIL_CHARS = 4 * MAX_VALUE_CHARS
_MAX_VALIDATION_ERRORS = 20
# Attributes by which the protocols' errors carry the offending values; their messages
# show each as its repr.
_VALUE_ATTRIBUTES = ("id", "mapping", "key", "field", "fields", "bucket_id", "object_id")
_GENERIC_DETAILS: Mapping[int, str] = {
    HTTPStatus.SERVICE_UNAVAILABLE: "The storage cannot be reached; retry later.",
    HTTPStatus.GATEWAY_TIMEOUT: "The storage did not answer in time; retry later.",
}
# RFC 9110's phrases where Python's differ by version (3.13 renamed 422).
_TITLES: Mapping[int, str] = {HTTPStatus.UNPROCESSABLE_ENTITY: "Unprocessable Content"}
_logger = logging.getLogger("hexkit.fastapi")


class ProblemResponse(JSONResponse):
    """A JSON response with the problem details media type."""

    media_type = PROBLEM_MEDIA_TYPE


def shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Return ``text``, cut to ``limit`` characters (an ellipsis marks a cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def problem_detail(error: BaseException) -> str:
    """Return the error's message with each long offending value shortened."""
    message = str(error)
    for name in _VALUE_ATTRIBUTES:
        if not hasattr(error, name):
            continue
        shown = repr(getattr(error, name))
        if len(shown) > MAX_VALUE_CHARS:
            message = message.replace(shown, shorten(shown))
    return shorten(message, _MAX_DETAIL_CHARS)


def problem_response(
    status: int, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> ProblemResponse:
    """Build a problem details response (``type`` ``about:blank``, ``title`` the phrase)."""
    body = {
        "type": "about:blank",
        "title": _TITLES.get(status, HTTPStatus(status).phrase),
        "status": int(status),
        "detail": detail,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


async def _protocol_error(request: Request, error: Exception) -> ProblemResponse:
    status = status_of(error, ERROR_STATUSES) or HTTPStatus.INTERNAL_SERVER_ERROR
    if status < HTTPStatus.INTERNAL_SERVER_ERROR:
        return problem_response(status, problem_detail(error))
    _logger.error(
        "%s %s failed with %s (answered %d)",
        request.method,
        request.url.path,
        type(error).__name__,
        status,
        exc_info=error,
    )
    detail = _GENERIC_DETAILS.get(status, "The server failed to handle the request.")
    return problem_response(status, detail)


def _validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Keep where and what of each error; never the input, which may be long or secret."""
    return [
        {
            "loc": [shorten(str(part)) for part in error.get("loc", ())],
            "msg": shorten(str(error.get("msg", ""))),
            "type": str(error.get("type", "")),
        }
        for error in errors[:_MAX_VALIDATION_ERRORS]
    ]


async def _request_invalid(_: Request, error: Exception) -> ProblemResponse:
    errors = error.errors() if isinstance(error, RequestValidationError) else []
    return problem_response(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "The request does not validate; see errors.",
        errors=_validation_errors(errors),
    )


def add_problem_handlers(app: FastAPI) -> None:
    """Answer the protocols' errors and request validation errors with problem details."""
    for root in ERROR_ROOTS:
        app.add_exception_handler(root, _protocol_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)

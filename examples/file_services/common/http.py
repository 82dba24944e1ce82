"""Small FastAPI helpers the services share: error mapping and the message endpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from .outbox import UnknownTopicError
from .relay import MESSAGES_PATH

__all__ = ["Envelope", "Lifespan", "map_errors", "message_router"]

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
Consumer = Callable[[str, dict[str, Any]], Awaitable[None]]


class Envelope(BaseModel):
    """A message as the relay posts it."""

    message_id: str
    topic: str
    payload: dict[str, Any]


def map_errors(app: FastAPI, mapping: dict[type[Exception], int]) -> None:
    """Answer each error type with its status code and the error's message as ``detail``."""
    for error_type, code in mapping.items():

        async def handler(_: Request, error: Exception, code: int = code) -> JSONResponse:
            return JSONResponse(status_code=code, content={"detail": str(error)})

        app.add_exception_handler(error_type, handler)


def message_router(consumer: Callable[[Request], Consumer]) -> APIRouter:
    """``POST /messages``: hand an envelope to the service's idempotent consumer.

    ``204`` acknowledges it (the sender's relay deletes it); an unknown topic is ``422``
    (parked by the sender), any other failure a ``5xx`` (sent again).
    """
    router = APIRouter(tags=["internal"])

    @router.post(MESSAGES_PATH, status_code=status.HTTP_204_NO_CONTENT)
    async def receive(envelope: Envelope, request: Request) -> Response:
        try:
            await consumer(request)(envelope.topic, envelope.payload)
        except UnknownTopicError as error:
            return JSONResponse(
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": str(error)}
            )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router

"""Small FastAPI helpers the services share."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

__all__ = ["Lifespan", "map_errors"]

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def map_errors(app: FastAPI, mapping: dict[type[Exception], int]) -> None:
    """Answer each error type with its status code and the error's message as ``detail``."""
    for error_type, status in mapping.items():

        async def handler(_: Request, error: Exception, status: int = status) -> JSONResponse:
            return JSONResponse(status_code=status, content={"detail": str(error)})

        app.add_exception_handler(error_type, handler)

"""Helpers shared by the provider tests."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from typing import Any

from hexkit.providers.s3 import S3ObjectStorage

MIB = 1024 * 1024


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def drain(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


def on_call(storage: S3ObjectStorage, operation: str, handler: Callable[..., Any]) -> None:
    """Run ``handler(params=...)`` with the API parameters before each ``operation`` call.

    The hook sits inside botocore, in the thread that performs the request, so a handler
    that raises makes the request fail the way a broken connection would.
    """
    storage._client.meta.events.register(f"before-parameter-build.s3.{operation}", handler)


def after_call(storage: S3ObjectStorage, operation: str, handler: Callable[..., Any]) -> None:
    """Run ``handler(**kwargs)`` after each ``operation`` call returned."""
    storage._client.meta.events.register(f"after-call.s3.{operation}", handler)

"""Filling a MongoDB collection with generated documents, in chunks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CHUNK = 5000


async def fill(collection: Any, document: Callable[[int], Any], start: int, stop: int) -> None:
    """Insert ``document(key)`` for every key in [start, stop), ``CHUNK`` per ``insert_many``."""
    for chunk in range(start, stop, CHUNK):
        await collection.insert_many(
            [document(key) for key in range(chunk, min(chunk + CHUNK, stop))]
        )

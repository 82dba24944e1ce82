"""The object-storage state machine (placeholder until its commit)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from ._base import AsyncMachine

__all__ = ["ObjectStorageMachine", "OpenObjectStorage"]

OpenObjectStorage = Callable[[], AbstractAsyncContextManager[Any]]


class ObjectStorageMachine(AsyncMachine):
    """Placeholder."""

"""A deadline for every conformance test, so a hanging provider fails instead of hanging."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

__all__ = ["KitDeadline"]


class KitDeadline:
    """Marks each test of a kit subclass ``asyncio`` and ``timeout(kit_timeout)``.

    The timeout comes from pytest-timeout (installed with ``hexkit[testing]``); set
    ``kit_timeout`` on your subclass for a slower backend.
    """

    #: Seconds one conformance test may take before it fails.
    kit_timeout: ClassVar[float] = 60.0
    pytestmark: ClassVar[Any] = [pytest.mark.asyncio]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(cls.kit_timeout)]

"""Server faults in the machines: how a provider's tests let them kill or freeze its server."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ServerFaults", "failing_call"]


@dataclass(frozen=True)
class ServerFaults:
    """What the machines need to take the subject's server away and bring it back.

    The callables are synchronous and return once the fault is in place (or lifted):
    ``kill`` SIGKILLs the server as a crash would, ``restart`` starts it again on the
    same address and data, ``pause`` SIGSTOPs it (connections are accepted, never
    answered) and ``resume`` SIGCONTs it. ``call_timeout`` is the per-call deadline the
    provider under test was configured with, in seconds: a call during the fault must
    fail within it plus one second. ``durable_after`` is how long the server takes to
    make an acknowledged write survive a SIGKILL: 0 for one that journals before it
    acknowledges; the machine waits that long before a kill (name the deviation).
    """

    call_timeout: float
    kill: Callable[[], None]
    restart: Callable[[], None]
    pause: Callable[[], None]
    resume: Callable[[], None]
    durable_after: float = 0.0

    @classmethod
    def of_server(
        cls, server: Any, *, call_timeout: float, durable_after: float = 0.0
    ) -> ServerFaults:
        """Return the faults of a server object with ``kill``, ``start``, ``pause``, ``resume``.

        The embedded servers of hexkit's provider test utilities have these methods.
        """
        return cls(
            call_timeout=call_timeout,
            kill=server.kill,
            restart=server.start,
            pause=server.pause,
            resume=server.resume,
            durable_after=durable_after,
        )


async def failing_call(call: Awaitable[object]) -> tuple[BaseException | None, float]:
    """Await ``call``; return what it raised (``None`` if nothing) and how long it took."""
    started = time.monotonic()
    try:
        await call
    except Exception as error:  # noqa: BLE001 - the caller judges the error
        return error, time.monotonic() - started
    return None, time.monotonic() - started

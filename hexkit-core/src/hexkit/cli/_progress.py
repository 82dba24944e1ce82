"""Progress of ``hexkit migrate up|down``: a bar on a terminal, JSON lines with ``--json``.

Both go to standard error, so standard output keeps only the result (one JSON document
with ``--json``). Off a terminal and without ``--json`` nothing is printed: logs of
scripted runs stay clean.
"""

from __future__ import annotations

import json
import time
from typing import TextIO

from hexkit.migrations import MigrationEvent

__all__ = ["Progress"]

_WIDTH = 28


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


class Progress:
    """An ``on_event`` hook for ``migrate()`` that reports documents, rate and ETA."""

    def __init__(self, stream: TextIO, *, json_lines: bool) -> None:
        self._stream = stream
        self._json = json_lines
        self._enabled = json_lines or stream.isatty()
        self._started = time.monotonic()

    def __call__(self, event: MigrationEvent) -> None:
        """Report one event of the run; a step's clock starts when the one before ends."""
        now = time.monotonic()
        if event.stage == "locked":
            self._started = now
            return
        if not self._enabled or event.stage == "before_switch":
            return
        rate = event.read / max(now - self._started, 1e-6)
        left = None if event.total is None else max(event.total - event.read, 0)
        eta = None if left is None or rate <= 0 else left / rate
        if self._json:
            self._write_json(event, rate, eta)
        else:
            self._draw(event, rate, eta)
        if event.stage == "switched":
            self._started = time.monotonic()

    def _write_json(self, event: MigrationEvent, rate: float, eta: float | None) -> None:
        line = {
            "event": "progress",
            "stage": event.stage,
            "version": event.version,
            "collection": event.collection,
            "read": event.read,
            "total": event.total,
            "written": event.documents,
            "rate": round(rate, 1),
            "eta_seconds": None if eta is None else round(eta, 1),
        }
        print(json.dumps(line), file=self._stream, flush=True)

    def _draw(self, event: MigrationEvent, rate: float, eta: float | None) -> None:
        total = event.total or 0
        share = min(event.read / total, 1.0) if total else 1.0
        filled = int(share * _WIDTH)
        bar = "#" * filled + "." * (_WIDTH - filled)
        eta_text = "--" if eta is None else _duration(eta)
        text = (
            f"\rversion {event.version} [{bar}] {share:4.0%} {event.read}/{total} documents"
            f"  {rate:,.0f}/s  ETA {eta_text}"
        )
        if event.stage == "switched":
            text += "\n"  # keep the finished bar; the next step draws on a new line
        self._stream.write(text)
        self._stream.flush()

"""A stand-in for ``nox.Session`` that records the commands a tool would run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


class SessionError(Exception):
    """What ``session.error`` raises here (nox raises its own)."""


class FakeSession:
    """Records ``run`` calls; ``outputs`` answers a command by its first words."""

    def __init__(self, tmp: Path, outputs: dict[tuple[str, ...], Any] | None = None) -> None:
        self.tmp = tmp
        self.bin = str(tmp / "session-venv" / "bin")
        self.runs: list[tuple[str, ...]] = []
        self.logs: list[str] = []
        self.outputs = outputs or {}
        self.on_run: Callable[[tuple[str, ...]], None] | None = None

    def create_tmp(self) -> str:
        return str(self.tmp)

    def run(self, *args: str, **_: Any) -> Any:
        self.runs.append(args)
        if self.on_run is not None:
            self.on_run(args)
        for prefix, output in self.outputs.items():
            if args[: len(prefix)] == prefix:
                return output
        return ""

    def log(self, message: str) -> None:
        self.logs.append(message)

    def warn(self, message: str) -> None:
        self.logs.append(message)

    def error(self, message: str) -> None:
        raise SessionError(message)

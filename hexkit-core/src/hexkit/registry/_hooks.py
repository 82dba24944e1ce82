"""The pluggy hook a plugin implements to announce its providers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pluggy

__all__ = ["PROJECT_NAME", "ProviderKind", "ProviderSpec", "hookimpl", "hookspec"]

PROJECT_NAME = "hexkit"
ProviderKind = Literal["dao", "objstorage"]
KINDS: tuple[ProviderKind, ...] = ("dao", "objstorage")

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@dataclass(frozen=True)
class ProviderSpec:
    """What a plugin says about one provider; ``target`` is ``"module:Class"``."""

    kind: ProviderKind
    name: str
    target: str
    description: str = ""


class HexkitHookSpecs:
    """Hook specifications of the ``hexkit`` pluggy project."""

    @hookspec
    def hexkit_providers(self) -> list[ProviderSpec]:  # type: ignore[empty-body]
        """Return the providers this plugin contributes; must not import heavy dependencies."""

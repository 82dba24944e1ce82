"""Announces this distribution's providers to the hexkit registry."""

from __future__ import annotations

from hexkit.registry import ProviderSpec, hookimpl

__all__ = ["hexkit_providers"]


@hookimpl
def hexkit_providers() -> list[ProviderSpec]:
    """Return this distribution's providers (none yet)."""
    return []

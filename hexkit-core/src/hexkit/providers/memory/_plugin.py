"""Announces the memory providers to the registry (always registered by the core)."""

from __future__ import annotations

from hexkit.registry import ProviderSpec, hookimpl

__all__ = ["hexkit_providers"]


@hookimpl
def hexkit_providers() -> list[ProviderSpec]:
    """Return the memory DAO factory and object storage."""
    return [
        ProviderSpec(
            kind="dao",
            name="memory",
            target="hexkit.providers.memory:MemoryDaoFactory",
            description="In-memory DAOs with transactions; a test double for unit tests.",
        ),
        ProviderSpec(
            kind="objstorage",
            name="memory",
            target="hexkit.providers.memory:MemoryObjectStorage",
            description="In-memory object storage with memory:// presigned URLs.",
        ),
    ]

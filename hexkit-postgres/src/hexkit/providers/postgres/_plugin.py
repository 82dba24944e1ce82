"""Announces this distribution's providers to the hexkit registry.

Kept free of asyncpg imports: listing providers must stay cheap and must work even
when the provider's own dependencies are broken (the registry then reports it as such).
"""

from __future__ import annotations

from hexkit.registry import ProviderSpec, hookimpl

__all__ = ["hexkit_providers"]


@hookimpl
def hexkit_providers() -> list[ProviderSpec]:
    """Return the PostgreSQL DAO factory."""
    return [
        ProviderSpec(
            kind="dao",
            name="postgres",
            target="hexkit.providers.postgres:PostgresDaoFactory",
            description="DAOs on PostgreSQL: one table per DAO, documents in JSONB, via asyncpg.",
        )
    ]

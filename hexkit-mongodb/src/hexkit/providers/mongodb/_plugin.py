"""Announces this distribution's providers to the hexkit registry.

Imports nothing heavy: the registry lists providers without loading pymongo.
"""

from __future__ import annotations

from hexkit.registry import ProviderSpec, hookimpl

__all__ = ["hexkit_providers"]


@hookimpl
def hexkit_providers() -> list[ProviderSpec]:
    """Return the MongoDB DAO factory."""
    return [
        ProviderSpec(
            kind="dao",
            name="mongodb",
            target="hexkit.providers.mongodb:MongoDbDaoFactory",
            description=(
                "MongoDB DAOs on PyMongo's async API (or Motor), with unique indexes"
                " and transactions on replica sets."
            ),
        )
    ]

"""Resolve the DAO and object storage providers by name from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import BucketAlreadyExistsError, ObjectStorageProtocol
from hexkit.registry import open_provider

__all__ = ["ProviderSettings", "ensure_bucket", "open_providers"]


class ProviderSettings(BaseSettings):
    """Which providers a service uses (env ``DAO_PROVIDER``, ``OBJSTORAGE_PROVIDER``).

    ``DAO_CONFIG`` / ``OBJSTORAGE_CONFIG`` take JSON objects; when empty, each provider
    reads its own settings from the environment.
    """

    dao_provider: str = "memory"
    objstorage_provider: str = "memory"
    dao_config: dict[str, Any] = Field(default_factory=dict)
    objstorage_config: dict[str, Any] = Field(default_factory=dict)


@asynccontextmanager
async def open_providers(
    settings: ProviderSettings,
) -> AsyncIterator[tuple[DaoFactoryProtocol, ObjectStorageProtocol]]:
    """Construct both providers by name; release them on exit."""
    async with AsyncExitStack() as stack:
        dao_factory = await stack.enter_async_context(
            open_provider("dao", settings.dao_provider, config=settings.dao_config or None)
        )
        storage = await stack.enter_async_context(
            open_provider(
                "objstorage",
                settings.objstorage_provider,
                config=settings.objstorage_config or None,
            )
        )
        yield dao_factory, storage


async def ensure_bucket(storage: ObjectStorageProtocol, bucket_id: str) -> None:
    """Create the bucket unless it exists (another service may create it at the same time)."""
    if await storage.does_bucket_exist(bucket_id):
        return
    with suppress(BucketAlreadyExistsError):
        await storage.create_bucket(bucket_id)

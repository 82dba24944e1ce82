"""Resolve the DAO and object storage providers by name from settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings

from hexkit.protocols.dao import Dao, DaoFactoryProtocol
from hexkit.protocols.objstorage import BucketAlreadyExistsError, ObjectStorageProtocol
from hexkit.registry import open_provider

from .outbox import OwedMessage, UnitOfWork, supports_transactions

__all__ = [
    "ProviderSettings",
    "background",
    "ensure_bucket",
    "open_outbox",
    "open_providers",
]


class ProviderSettings(BaseSettings):
    """Which providers a service uses (env ``DAO_PROVIDER``, ``OBJSTORAGE_PROVIDER``).

    ``DAO_CONFIG`` / ``OBJSTORAGE_CONFIG`` take JSON objects; when empty, each provider
    reads its own settings from the environment.
    """

    dao_provider: str = "memory"
    objstorage_provider: str = "memory"
    dao_config: dict[str, Any] = Field(default_factory=dict)
    objstorage_config: dict[str, Any] = Field(default_factory=dict)
    relay_enabled: bool = True  # off only to show what the outbox keeps while a service is down
    relay_interval_seconds: float = Field(default=0.5, gt=0)


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


async def open_outbox(
    factory: DaoFactoryProtocol, service: str
) -> tuple[Dao[OwedMessage], UnitOfWork]:
    """Return the service's outbox DAO and a unit of work over it.

    The unit of work is transactional where the provider has transactions. The collection
    is named after the service, so services sharing a database keep their outboxes apart.
    """
    outbox = await factory.get_dao(
        name=f"{service}_outbox", dto_model=OwedMessage, id_field="message_id"
    )
    transactional = await supports_transactions(factory)
    return outbox, UnitOfWork(factory, outbox, transactional=transactional)


@asynccontextmanager
async def background(*jobs: Coroutine[None, None, None]) -> AsyncIterator[None]:
    """Run ``jobs`` as tasks while the block runs; cancel them on exit."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task

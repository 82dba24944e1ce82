"""Wiring of the file registry: providers by name, the relay to the other services, REST.

Run it with ``uvicorn file_services.file_registry.wiring:create_service_app --factory``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol

from ..common.handoffs import HandOffSettings, MessageSigner, hand_off_verifier
from ..common.outbox import UnitOfWork
from ..common.providers import (
    ProviderSettings,
    background,
    ensure_bucket,
    open_outbox,
    open_providers,
)
from ..common.relay import Relay
from ..common.work_orders import WorkOrderSettings, WorkOrderVerifier
from .adapters.rest import create_app
from .core.models import FileMetadata
from .core.service import DOWNLOADS, UPLOADS, FileRegistry, RegistryConfig

__all__ = [
    "ACCEPTED_TOPICS",
    "SERVICE",
    "FileRegistrySettings",
    "build_file_registry",
    "create_service_app",
]


SERVICE = "file_registry"
# What this service takes from whom over POST /messages.
ACCEPTED_TOPICS = {
    UPLOADS: frozenset({"file_upload_completed"}),
    DOWNLOADS: frozenset({"stage_file"}),
}


class FileRegistrySettings(ProviderSettings, WorkOrderSettings, HandOffSettings):
    """Settings of the file registry (env names are the field names, upper case).

    ``inbox_bucket`` and ``outbox_bucket`` are the upload and download controllers'
    buckets: the only ones the registry copies from and stages to.
    """

    permanent_bucket: str = "permanent"
    inbox_bucket: str = "inbox"
    outbox_bucket: str = "outbox"
    upload_controller_url: str = "http://127.0.0.1:8001"
    download_controller_url: str = "http://127.0.0.1:8003"


async def build_file_registry(
    settings: FileRegistrySettings,
    dao_factory: DaoFactoryProtocol,
    storage: ObjectStorageProtocol,
    uow: UnitOfWork,
) -> FileRegistry:
    """Build the core from constructed providers and the unit of work over its outbox."""
    files = await dao_factory.get_dao(name="files", dto_model=FileMetadata, id_field="file_id")
    await ensure_bucket(storage, settings.permanent_bucket)
    config = RegistryConfig(
        permanent_bucket=settings.permanent_bucket,
        inbox_bucket=settings.inbox_bucket,
        outbox_bucket=settings.outbox_bucket,
    )
    return FileRegistry(config=config, files=files, storage=storage, uow=uow)


def create_service_app(settings: FileRegistrySettings | None = None) -> FastAPI:
    """Build the app whose lifespan opens the providers and starts the relay."""
    settings = settings or FileRegistrySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            dao_factory, storage = await stack.enter_async_context(open_providers(settings))
            recipients = {
                name: await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=60))
                for name, url in (
                    (UPLOADS, settings.upload_controller_url),
                    (DOWNLOADS, settings.download_controller_url),
                )
            }
            outbox, uow = await open_outbox(dao_factory, SERVICE)
            app.state.file_registry = await build_file_registry(settings, dao_factory, storage, uow)
            relay = Relay(
                outbox,
                recipients,
                signer=MessageSigner(SERVICE, settings.hand_off_key),
                interval_seconds=settings.relay_interval_seconds,
            )
            uow.on_commit = relay.wake
            async with background(*([relay.run()] if settings.relay_enabled else [])):
                yield

    return create_app(
        work_orders=WorkOrderVerifier(settings, audience=SERVICE),
        hand_offs=hand_off_verifier(settings, ACCEPTED_TOPICS),
        lifespan=lifespan,
    )

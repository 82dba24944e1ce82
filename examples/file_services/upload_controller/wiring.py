"""Wiring of the upload controller: providers by name, the relay to the registry, REST.

Run it with ``uvicorn file_services.upload_controller.wiring:create_service_app --factory``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from hexkit.protocols.dao import DaoFactoryProtocol, Index
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
from .core.models import FileUpload, UploadAttempt
from .core.service import MIB, REGISTRY, UploadConfig, UploadService

__all__ = [
    "ACCEPTED_TOPICS",
    "SERVICE",
    "UploadControllerSettings",
    "build_upload_service",
    "create_service_app",
]


SERVICE = "upload_controller"
# What this service takes from whom over POST /messages.
ACCEPTED_TOPICS = {REGISTRY: frozenset({"file_accepted", "file_rejected"})}


class UploadControllerSettings(ProviderSettings, WorkOrderSettings, HandOffSettings):
    """Settings of the upload controller (env names are the field names, upper case)."""

    inbox_bucket: str = "inbox"
    file_registry_url: str = "http://127.0.0.1:8002"
    default_part_size: int = 8 * MIB
    min_part_size: int = 5 * MIB


async def build_upload_service(
    settings: UploadControllerSettings,
    dao_factory: DaoFactoryProtocol,
    storage: ObjectStorageProtocol,
    uow: UnitOfWork,
) -> UploadService:
    """Build the core from constructed providers and the unit of work over its outbox."""
    files = await dao_factory.get_dao(name="upload_files", dto_model=FileUpload, id_field="file_id")
    attempts = await dao_factory.get_dao(
        name="upload_attempts",
        dto_model=UploadAttempt,
        id_field="attempt_id",
        # At most one attempt holds a file: see UploadAttempt.slot.
        indexes=[Index("slot", unique=True), Index("file_id")],
        # Every state change is conditional on the state read: see UploadAttempt.version.
        version_field="version",
    )
    await ensure_bucket(storage, settings.inbox_bucket)
    config = UploadConfig(
        inbox_bucket=settings.inbox_bucket,
        default_part_size=settings.default_part_size,
        min_part_size=settings.min_part_size,
    )
    return UploadService(config=config, files=files, attempts=attempts, storage=storage, uow=uow)


def create_service_app(settings: UploadControllerSettings | None = None) -> FastAPI:
    """Build the app whose lifespan opens the providers and starts the relay."""
    settings = settings or UploadControllerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            open_providers(settings) as (dao_factory, storage),
            httpx.AsyncClient(base_url=settings.file_registry_url, timeout=300) as registry,
        ):
            outbox, uow = await open_outbox(dao_factory, SERVICE)
            app.state.upload_service = await build_upload_service(
                settings, dao_factory, storage, uow
            )
            relay = Relay(
                outbox,
                {REGISTRY: registry},
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

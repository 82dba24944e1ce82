"""Wiring of the download controller: providers by name, the relay, the cleanup job, REST.

Run it with ``uvicorn file_services.download_controller.wiring:create_service_app --factory``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI
from pydantic import Field

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
from .core.models import CleanupClaim, DownloadableFile
from .core.service import REGISTRY, DownloadConfig, DownloadService

__all__ = [
    "ACCEPTED_TOPICS",
    "SERVICE",
    "DownloadControllerSettings",
    "build_download_service",
    "create_service_app",
    "run_cleanup",
]

log = logging.getLogger(__name__)


SERVICE = "download_controller"
# What this service takes from whom over POST /messages.
ACCEPTED_TOPICS = {REGISTRY: frozenset({"file_registered", "file_staged", "file_deleted"})}


class DownloadControllerSettings(ProviderSettings, WorkOrderSettings, HandOffSettings):
    """Settings of the download controller (env names are the field names, upper case)."""

    outbox_bucket: str = "outbox"
    file_registry_url: str = "http://127.0.0.1:8002"
    url_expiry_seconds: int = 3600
    retry_after_seconds: int = Field(default=1, ge=1)
    outbox_max_age_seconds: float = Field(default=86400, gt=0)
    cleanup_interval_seconds: float = Field(default=300, gt=0)


async def build_download_service(
    settings: DownloadControllerSettings,
    dao_factory: DaoFactoryProtocol,
    storage: ObjectStorageProtocol,
    uow: UnitOfWork,
) -> DownloadService:
    """Build the core from constructed providers and the unit of work over its outbox."""
    files = await dao_factory.get_dao(
        name="downloadable_files",
        dto_model=DownloadableFile,
        id_field="file_id",
        version_field="version",  # every change is conditional: see DownloadableFile
    )
    claims = await dao_factory.get_dao(
        name="cleanup_claims", dto_model=CleanupClaim, id_field="stage_id"
    )
    await ensure_bucket(storage, settings.outbox_bucket)
    config = DownloadConfig(
        outbox_bucket=settings.outbox_bucket,
        url_expiry_seconds=settings.url_expiry_seconds,
        retry_after_seconds=settings.retry_after_seconds,
        outbox_max_age=timedelta(seconds=settings.outbox_max_age_seconds),
    )
    service = DownloadService(config=config, files=files, claims=claims, storage=storage, uow=uow)
    return service


async def run_cleanup(service: DownloadService, interval_seconds: float) -> None:
    """Remove expired outbox copies every ``interval_seconds`` until cancelled."""
    while True:
        try:
            removed = await service.cleanup()
        except Exception:
            log.exception("The outbox cleanup failed; it runs again in %s s.", interval_seconds)
        else:
            if removed:
                log.info("Removed the outbox copies of %s.", ", ".join(removed))
        await asyncio.sleep(interval_seconds)


def create_service_app(settings: DownloadControllerSettings | None = None) -> FastAPI:
    """Build the app whose lifespan opens the providers and starts relay and cleanup."""
    settings = settings or DownloadControllerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            open_providers(settings) as (dao_factory, storage),
            httpx.AsyncClient(base_url=settings.file_registry_url, timeout=300) as registry,
        ):
            outbox, uow = await open_outbox(dao_factory, SERVICE)
            service = await build_download_service(settings, dao_factory, storage, uow)
            relay = Relay(
                outbox,
                {REGISTRY: registry},
                signer=MessageSigner(SERVICE, settings.hand_off_key),
                interval_seconds=settings.relay_interval_seconds,
            )
            uow.on_commit = relay.wake
            app.state.download_service = service
            jobs = [run_cleanup(service, settings.cleanup_interval_seconds)]
            if settings.relay_enabled:
                jobs.append(relay.run())
            async with background(*jobs):
                yield

    return create_app(
        work_orders=WorkOrderVerifier(settings, audience=SERVICE),
        hand_offs=hand_off_verifier(settings, ACCEPTED_TOPICS),
        lifespan=lifespan,
    )

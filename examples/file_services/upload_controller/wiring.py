"""Wiring of the upload controller: providers by name, HTTP to the registry, the REST app.

Run it with ``uvicorn file_services.upload_controller.wiring:create_service_app --factory``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol

from ..common import ProviderSettings, ensure_bucket, open_providers
from .adapters.registry_client import HttpRegistrationClient
from .adapters.rest import create_app
from .core.models import FileUpload
from .core.ports import RegistrationPort
from .core.service import MIB, UploadConfig, UploadService

__all__ = ["UploadControllerSettings", "build_upload_service", "create_service_app"]


class UploadControllerSettings(ProviderSettings):
    """Settings of the upload controller (env names are the field names, upper case)."""

    inbox_bucket: str = "inbox"
    file_registry_url: str = "http://127.0.0.1:8002"
    default_part_size: int = 8 * MIB
    min_part_size: int = 5 * MIB


async def build_upload_service(
    settings: UploadControllerSettings,
    dao_factory: DaoFactoryProtocol,
    storage: ObjectStorageProtocol,
    registry: RegistrationPort,
) -> UploadService:
    """Build the core from constructed providers and the registry port."""
    uploads = await dao_factory.get_dao(name="uploads", dto_model=FileUpload, id_field="file_id")
    await ensure_bucket(storage, settings.inbox_bucket)
    config = UploadConfig(
        inbox_bucket=settings.inbox_bucket,
        default_part_size=settings.default_part_size,
        min_part_size=settings.min_part_size,
    )
    return UploadService(config=config, uploads=uploads, storage=storage, registry=registry)


def create_service_app(settings: UploadControllerSettings | None = None) -> FastAPI:
    """Build the app whose lifespan opens the providers named in the settings."""
    settings = settings or UploadControllerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            open_providers(settings) as (dao_factory, storage),
            httpx.AsyncClient(base_url=settings.file_registry_url, timeout=300) as client,
        ):
            app.state.upload_service = await build_upload_service(
                settings, dao_factory, storage, HttpRegistrationClient(client)
            )
            yield

    return create_app(lifespan=lifespan)

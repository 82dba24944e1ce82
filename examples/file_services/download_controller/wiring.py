"""Wiring of the download controller: providers by name and the REST app.

Run it with ``uvicorn file_services.download_controller.wiring:create_service_app --factory``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol

from ..common import ProviderSettings, open_providers
from .adapters.rest import create_app
from .core.models import DownloadableFile
from .core.service import DownloadConfig, DownloadService

__all__ = ["DownloadControllerSettings", "build_download_service", "create_service_app"]


class DownloadControllerSettings(ProviderSettings):
    """Settings of the download controller (env names are the field names, upper case)."""

    url_expiry_seconds: int = 3600


async def build_download_service(
    settings: DownloadControllerSettings,
    dao_factory: DaoFactoryProtocol,
    storage: ObjectStorageProtocol,
) -> DownloadService:
    """Build the core from constructed providers."""
    files = await dao_factory.get_dao(
        name="downloadable_files", dto_model=DownloadableFile, id_field="file_id"
    )
    config = DownloadConfig(url_expiry_seconds=settings.url_expiry_seconds)
    return DownloadService(config=config, files=files, storage=storage)


def create_service_app(settings: DownloadControllerSettings | None = None) -> FastAPI:
    """Build the app whose lifespan opens the providers named in the settings."""
    settings = settings or DownloadControllerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_providers(settings) as (dao_factory, storage):
            app.state.download_service = await build_download_service(
                settings, dao_factory, storage
            )
            yield

    return create_app(lifespan=lifespan)

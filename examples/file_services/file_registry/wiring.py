"""Wiring of the file registry: providers by name, HTTP to the download controller, the REST app.

Run it with ``uvicorn file_services.file_registry.wiring:create_service_app --factory``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol

from ..common import ProviderSettings, ensure_bucket, open_providers
from .adapters.download_client import HttpFilePublisher
from .adapters.rest import create_app
from .core.models import FileMetadata
from .core.ports import FilePublisherPort
from .core.service import FileRegistry, RegistryConfig

__all__ = ["FileRegistrySettings", "build_file_registry", "create_service_app"]


class FileRegistrySettings(ProviderSettings):
    """Settings of the file registry (env names are the field names, upper case)."""

    permanent_bucket: str = "permanent"
    download_controller_url: str = "http://127.0.0.1:8003"


async def build_file_registry(
    settings: FileRegistrySettings,
    dao_factory: DaoFactoryProtocol,
    storage: ObjectStorageProtocol,
    publisher: FilePublisherPort,
) -> FileRegistry:
    """Build the core from constructed providers and the publisher port."""
    files = await dao_factory.get_dao(name="files", dto_model=FileMetadata, id_field="file_id")
    await ensure_bucket(storage, settings.permanent_bucket)
    config = RegistryConfig(permanent_bucket=settings.permanent_bucket)
    return FileRegistry(config=config, files=files, storage=storage, publisher=publisher)


def create_service_app(settings: FileRegistrySettings | None = None) -> FastAPI:
    """Build the app whose lifespan opens the providers named in the settings."""
    settings = settings or FileRegistrySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            open_providers(settings) as (dao_factory, storage),
            httpx.AsyncClient(base_url=settings.download_controller_url, timeout=30) as client,
        ):
            app.state.file_registry = await build_file_registry(
                settings, dao_factory, storage, HttpFilePublisher(client)
            )
            yield

    return create_app(lifespan=lifespan)

"""The three file services wired in-process over shared providers, for end-to-end tests."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
from file_services.download_controller.adapters.rest import create_app as download_app
from file_services.download_controller.wiring import (
    DownloadControllerSettings,
    build_download_service,
)
from file_services.file_registry.adapters.download_client import HttpFilePublisher
from file_services.file_registry.adapters.rest import create_app as registry_app
from file_services.file_registry.wiring import FileRegistrySettings, build_file_registry
from file_services.upload_controller.adapters.registry_client import HttpRegistrationClient
from file_services.upload_controller.adapters.rest import create_app as upload_app
from file_services.upload_controller.wiring import UploadControllerSettings, build_upload_service

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol, PresignedTransfer

__all__ = ["FileServices", "run_file_services"]

Interceptor = Callable[[httpx.Request], httpx.Response | None]


class _InterceptingTransport(httpx.AsyncBaseTransport):
    """Passes requests to an ASGI app unless the test's interceptor answers first."""

    def __init__(self, app: object, interceptor: list[Interceptor]) -> None:
        self._inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self._interceptor = interceptor

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for intercept in self._interceptor:
            answer = intercept(request)
            if answer is not None:
                return answer
        return await self._inner.handle_async_request(request)


@dataclass
class FileServices:
    """Clients of the three services, plus what tests need to look behind them."""

    uploads: httpx.AsyncClient
    registry: httpx.AsyncClient
    downloads: httpx.AsyncClient
    storage: ObjectStorageProtocol
    transfer: PresignedTransfer
    part_size: int
    inbox_bucket: str
    permanent_bucket: str
    download_interceptors: list[Interceptor]

    async def start_upload(self, file_id: str, data: bytes) -> httpx.Response:
        """Announce a file."""
        body = {"file_id": file_id, "size": len(data), "part_size": self.part_size}
        return await self.uploads.post("/uploads", json=body)

    async def upload_parts(self, file_id: str, data: bytes) -> int:
        """Upload every part through its presigned URL; return the part count."""
        parts = [data[i : i + self.part_size] for i in range(0, len(data), self.part_size)]
        for number, part in enumerate(parts, start=1):
            response = await self.uploads.post(f"/uploads/{file_id}/parts/{number}")
            response.raise_for_status()
            await self.transfer.upload_part(response.json()["url"], part)
        return len(parts)

    async def complete(self, file_id: str, part_count: int, md5: str) -> httpx.Response:
        """Tell the upload controller that all parts are there."""
        body = {"part_count": part_count, "md5": md5}
        return await self.uploads.post(f"/uploads/{file_id}/complete", json=body)

    async def upload(self, file_id: str, data: bytes) -> httpx.Response:
        """Run the whole client side of an upload; return the completion response."""
        (await self.start_upload(file_id, data)).raise_for_status()
        part_count = await self.upload_parts(file_id, data)
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        return await self.complete(file_id, part_count, md5)

    async def download(self, file_id: str) -> bytes:
        """Fetch the DRS object and follow its access URL."""
        response = await self.downloads.get(f"/objects/{file_id}")
        response.raise_for_status()
        url = response.json()["access_methods"][0]["access_url"]["url"]
        return await self.transfer.download(url)


@asynccontextmanager
async def run_file_services(
    dao_factory: DaoFactoryProtocol,
    storage: ObjectStorageProtocol,
    transfer: PresignedTransfer,
    *,
    part_size: int,
    buckets_prefix: str = "fs",
) -> AsyncIterator[FileServices]:
    """Wire the three services over one DAO factory and storage, talking HTTP in-process."""
    upload_settings = UploadControllerSettings(
        inbox_bucket=f"{buckets_prefix}-inbox", min_part_size=part_size, default_part_size=part_size
    )
    registry_settings = FileRegistrySettings(permanent_bucket=f"{buckets_prefix}-permanent")
    interceptors: list[Interceptor] = []
    async with AsyncExitStack() as stack:

        async def client(app: object, name: str, hooks: list[Interceptor]) -> httpx.AsyncClient:
            transport = _InterceptingTransport(app, hooks)
            return await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url=f"http://{name}")
            )

        downloads_app = download_app(
            await build_download_service(DownloadControllerSettings(), dao_factory, storage)
        )
        downloads = await client(downloads_app, "downloads", interceptors)
        registry_service = await build_file_registry(
            registry_settings, dao_factory, storage, HttpFilePublisher(downloads)
        )
        registry = await client(registry_app(registry_service), "registry", [])
        upload_service = await build_upload_service(
            upload_settings, dao_factory, storage, HttpRegistrationClient(registry)
        )
        uploads = await client(upload_app(upload_service), "uploads", [])
        yield FileServices(
            uploads=uploads,
            registry=registry,
            downloads=downloads,
            storage=storage,
            transfer=transfer,
            part_size=part_size,
            inbox_bucket=upload_settings.inbox_bucket,
            permanent_bucket=registry_settings.permanent_bucket,
            download_interceptors=interceptors,
        )

"""The three file services wired in-process over shared providers, for end-to-end tests.

Each service has its own outbox and relay; the relays post over ASGI transports, and tests
call :meth:`FileServices.settle` to deliver every owed message instead of waiting on
background tasks. Interceptors let a test answer a service's requests itself (a service
that is down).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from file_services.common.outbox import OwedMessage
from file_services.common.providers import open_outbox
from file_services.common.relay import Relay
from file_services.download_controller.adapters.rest import create_app as download_app
from file_services.download_controller.core.service import DownloadService
from file_services.download_controller.wiring import (
    DownloadControllerSettings,
    build_download_service,
)
from file_services.file_registry.adapters.rest import create_app as registry_app
from file_services.file_registry.wiring import FileRegistrySettings, build_file_registry
from file_services.upload_controller.adapters.rest import create_app as upload_app
from file_services.upload_controller.wiring import UploadControllerSettings, build_upload_service

from hexkit.protocols.dao import Dao, DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol, PresignedTransfer

__all__ = ["FileServices", "md5_of", "run_file_services"]

Interceptor = Callable[[httpx.Request], httpx.Response | None]
UPLOADS, REGISTRY, DOWNLOADS = "upload_controller", "file_registry", "download_controller"


def md5_of(data: bytes) -> str:
    """Return the MD5 hex digest clients announce."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class _InterceptingTransport(httpx.AsyncBaseTransport):
    """Passes requests to an ASGI app unless one of the test's interceptors answers first."""

    def __init__(self, app: object, interceptors: list[Interceptor]) -> None:
        self._inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self._interceptors = interceptors

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for intercept in self._interceptors:
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
    download_service: DownloadService
    storage: ObjectStorageProtocol
    transfer: PresignedTransfer
    part_size: int
    inbox_bucket: str
    permanent_bucket: str
    outbox_bucket: str
    relays: dict[str, Relay]
    outboxes: dict[str, Dao[OwedMessage]]
    interceptors: dict[str, list[Interceptor]] = field(default_factory=dict)

    async def settle(self, max_passes: int = 20) -> None:
        """Let every relay deliver until a pass delivers nothing (failures stay owed)."""
        for _ in range(max_passes):
            delivered = 0
            for relay in self.relays.values():
                delivered += await relay.deliver_pending()
            if not delivered:
                return
        raise AssertionError(f"The relays still delivered after {max_passes} passes.")

    async def owed(self, service: str) -> list[OwedMessage]:
        """Return what ``service`` still owes others."""
        return await self.outboxes[service].find_all(mapping={}).to_list()

    async def announce(self, file_id: str, data: bytes) -> httpx.Response:
        """Record the file's metadata with the upload controller."""
        return await self.uploads.post("/files", json={"file_id": file_id, "size": len(data)})

    async def start_attempt(self, file_id: str) -> httpx.Response:
        """Open an upload attempt for an announced file."""
        body = {"part_size": self.part_size}
        return await self.uploads.post(f"/files/{file_id}/attempts", json=body)

    async def upload_parts(self, attempt_id: str, data: bytes) -> int:
        """Upload every part through its presigned URL; return the part count."""
        parts = [data[i : i + self.part_size] for i in range(0, len(data), self.part_size)]
        for number, part in enumerate(parts, start=1):
            response = await self.uploads.post(f"/attempts/{attempt_id}/parts/{number}")
            response.raise_for_status()
            await self.transfer.upload_part(response.json()["url"], part)
        return len(parts)

    async def complete(self, attempt_id: str, part_count: int, md5: str) -> httpx.Response:
        """Tell the upload controller that all parts are there."""
        body = {"part_count": part_count, "md5": md5}
        return await self.uploads.post(f"/attempts/{attempt_id}/complete", json=body)

    async def upload(self, file_id: str, data: bytes, md5: str | None = None) -> dict[str, Any]:
        """Announce, upload in parts and complete; return the attempt (not yet settled)."""
        (await self.announce(file_id, data)).raise_for_status()
        started = await self.start_attempt(file_id)
        started.raise_for_status()
        attempt_id = started.json()["attempt_id"]
        part_count = await self.upload_parts(attempt_id, data)
        completed = await self.complete(attempt_id, part_count, md5 or md5_of(data))
        assert completed.status_code == 200, completed.text
        attempt: dict[str, Any] = completed.json()
        return attempt

    async def attempt(self, attempt_id: str) -> dict[str, Any]:
        """Return an attempt's view."""
        response = await self.uploads.get(f"/attempts/{attempt_id}")
        response.raise_for_status()
        view: dict[str, Any] = response.json()
        return view

    async def download(self, file_id: str) -> bytes:
        """Ask for the DRS object until it is staged, then follow its access URL."""
        response = await self.downloads.get(f"/objects/{file_id}")
        if response.status_code == 202:
            await self.settle()
            response = await self.downloads.get(f"/objects/{file_id}")
        assert response.status_code == 200, response.text
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
    download_settings = DownloadControllerSettings(outbox_bucket=f"{buckets_prefix}-outbox")
    interceptors: dict[str, list[Interceptor]] = {UPLOADS: [], REGISTRY: [], DOWNLOADS: []}
    outboxes, uows = {}, {}
    for name in (UPLOADS, REGISTRY, DOWNLOADS):
        outboxes[name], uows[name] = await open_outbox(dao_factory, name)
    download_service = await build_download_service(
        download_settings, dao_factory, storage, uows[DOWNLOADS]
    )
    apps = {
        UPLOADS: upload_app(
            await build_upload_service(upload_settings, dao_factory, storage, uows[UPLOADS])
        ),
        REGISTRY: registry_app(
            await build_file_registry(registry_settings, dao_factory, storage, uows[REGISTRY])
        ),
        DOWNLOADS: download_app(download_service),
    }
    async with AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=_InterceptingTransport(app, interceptors[name]),
                    base_url=f"http://{name.replace('_', '-')}",
                )
            )
            for name, app in apps.items()
        }
        routes = {
            UPLOADS: {REGISTRY: clients[REGISTRY]},
            REGISTRY: {UPLOADS: clients[UPLOADS], DOWNLOADS: clients[DOWNLOADS]},
            DOWNLOADS: {REGISTRY: clients[REGISTRY]},
        }
        relays = {name: Relay(outboxes[name], routes[name]) for name in routes}
        yield FileServices(
            uploads=clients[UPLOADS],
            registry=clients[REGISTRY],
            downloads=clients[DOWNLOADS],
            download_service=download_service,
            storage=storage,
            transfer=transfer,
            part_size=part_size,
            inbox_bucket=upload_settings.inbox_bucket,
            permanent_bucket=registry_settings.permanent_bucket,
            outbox_bucket=download_settings.outbox_bucket,
            relays=relays,
            outboxes=outboxes,
            interceptors=interceptors,
        )

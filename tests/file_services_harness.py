"""The three file services wired in-process over shared providers, for end-to-end tests.

Each service has its own outbox and relay; the relays post over ASGI transports, and tests
call :meth:`FileServices.settle` to deliver every owed message instead of waiting on
background tasks. Interceptors let a test answer a service's requests itself (a service
that is down).

The clients ``uploads``, ``registry`` and ``downloads`` act for a user the access issuer
trusts with everything: :class:`GrantAll` asks the issuer for a work order fitting each
request. ``anonymous`` holds the same clients without work orders, for tests that forge.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from file_services.common.handoffs import MessageSigner, hand_off_verifier
from file_services.common.issuer import KeyPair, WorkOrderIssuer, generate_key_pair
from file_services.common.outbox import OwedMessage
from file_services.common.providers import open_outbox
from file_services.common.relay import Relay
from file_services.common.work_orders import Operation, WorkOrderVerifier
from file_services.download_controller.adapters.rest import create_app as download_app
from file_services.download_controller.core.service import DownloadService
from file_services.download_controller.wiring import ACCEPTED_TOPICS as DOWNLOAD_TOPICS
from file_services.download_controller.wiring import (
    DownloadControllerSettings,
    build_download_service,
)
from file_services.file_registry.adapters.rest import create_app as registry_app
from file_services.file_registry.wiring import ACCEPTED_TOPICS as REGISTRY_TOPICS
from file_services.file_registry.wiring import FileRegistrySettings, build_file_registry
from file_services.upload_controller.adapters.rest import create_app as upload_app
from file_services.upload_controller.wiring import ACCEPTED_TOPICS as UPLOAD_TOPICS
from file_services.upload_controller.wiring import UploadControllerSettings, build_upload_service
from pydantic import SecretStr

from hexkit.protocols.dao import Dao, DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol, PresignedTransfer

__all__ = ["FileServices", "GrantAll", "GrantAllAt", "Keys", "md5_of", "run_file_services"]

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


@dataclass(frozen=True)
class Keys:
    """The secrets of one wiring: the issuer's key pair and each sender's hand-off key."""

    work_orders: KeyPair
    hand_offs: dict[str, SecretStr]

    @classmethod
    def generate(cls) -> Keys:
        """Make fresh keys."""
        return cls(
            work_orders=generate_key_pair("ES256"),
            hand_offs={
                name: SecretStr(secrets.token_hex(32)) for name in (UPLOADS, REGISTRY, DOWNLOADS)
            },
        )

    def env(self, service: str) -> dict[str, str]:
        """The security settings of ``service`` as environment variables."""
        return {
            "WORK_ORDER_PUBLIC_KEY": self.work_orders.public_pem,
            "HAND_OFF_KEY": self.hand_offs[service].get_secret_value(),
            "HAND_OFF_SENDER_KEYS": json.dumps(
                {n: k.get_secret_value() for n, k in self.hand_offs.items() if n != service}
            ),
        }

    def settings(self, service: str) -> dict[str, Any]:
        """The security settings of ``service``."""
        return {
            "work_order_public_key": self.work_orders.public_pem,
            "hand_off_key": self.hand_offs[service],
            "hand_off_sender_keys": {n: k for n, k in self.hand_offs.items() if n != service},
        }


_ATTEMPT = re.compile(r"^/attempts/([^/]+)(/parts/\d+|/complete)?$")


class GrantAll(httpx.Auth):
    """Gets a work order fitting each request from the issuer (a user allowed everything).

    It learns the file of each attempt from the answers it sees, as a real client knows
    which file it is uploading.
    """

    requires_response_body = True

    def __init__(self, issuer: WorkOrderIssuer, service: str) -> None:
        self.issuer = issuer
        self.service = service
        self.attempt_files: dict[str, str] = {}

    def _order(self, request: httpx.Request) -> tuple[Operation, str] | None:  # noqa: PLR0911 - one per route
        path, method = request.url.path, request.method
        if path == "/messages":
            return None
        if path == "/files" and method == "POST":
            try:
                body = json.loads(request.content)
            except ValueError:
                body = None
            file_id = body.get("file_id") if isinstance(body, dict) else None
            return Operation.START_UPLOAD, file_id if isinstance(file_id, str) else "unknown"
        if self.service == REGISTRY:
            op = Operation.DELETE if method == "DELETE" else Operation.DOWNLOAD
            return op, path.rsplit("/", 1)[-1]
        if self.service == DOWNLOADS:
            return Operation.DOWNLOAD, path.rsplit("/", 1)[-1]
        if path.startswith("/files/"):
            return Operation.START_UPLOAD, path.split("/")[2]
        match = _ATTEMPT.match(path)
        if match is None:
            return None
        file_id = self.attempt_files.get(match.group(1), "unknown")
        if method == "DELETE":
            return Operation.CANCEL_UPLOAD, file_id
        if match.group(2) == "/complete":
            return Operation.COMPLETE_UPLOAD, file_id
        return Operation.START_UPLOAD, file_id

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the work order; remember attempt -> file from the answer."""
        order = self._order(request)
        if order is not None:
            token = self.issuer.issue(self.service, *order)
            request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        try:
            body = response.json()
        except ValueError:
            return
        views = [body, *body.get("attempts", [])] if isinstance(body, dict) else []
        for view in views:
            if isinstance(view, dict) and "attempt_id" in view and "file_id" in view:
                self.attempt_files[view["attempt_id"]] = view["file_id"]


class GrantAllAt(httpx.Auth):
    """:class:`GrantAll` for services at several base URLs (one client, absolute URLs)."""

    requires_response_body = True

    def __init__(self, issuer: WorkOrderIssuer, urls: dict[str, str]) -> None:
        self._grants = {url: GrantAll(issuer, name) for name, url in urls.items()}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Act as the :class:`GrantAll` of the service the request goes to."""
        for url, grant in self._grants.items():
            if str(request.url).startswith(url):
                yield from grant.auth_flow(request)
                return
        yield request


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
    keys: Keys
    issuer: WorkOrderIssuer
    anonymous: dict[str, httpx.AsyncClient]
    interceptors: dict[str, list[Interceptor]] = field(default_factory=dict)

    async def deliver(
        self, recipient: str, sender: str, envelope: dict[str, Any]
    ) -> httpx.Response:
        """Post a message to ``recipient`` signed as ``sender`` would sign it."""
        body = json.dumps(envelope).encode()
        headers = MessageSigner(sender, self.keys.hand_offs[sender]).headers(body)
        headers["content-type"] = "application/json"
        return await self.anonymous[recipient].post("/messages", content=body, headers=headers)

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
    keys = Keys.generate()
    inbox, outbox = f"{buckets_prefix}-inbox", f"{buckets_prefix}-outbox"
    upload_settings = UploadControllerSettings(
        inbox_bucket=inbox,
        min_part_size=part_size,
        default_part_size=part_size,
        **keys.settings(UPLOADS),
    )
    registry_settings = FileRegistrySettings(
        permanent_bucket=f"{buckets_prefix}-permanent",
        inbox_bucket=inbox,
        outbox_bucket=outbox,
        **keys.settings(REGISTRY),
    )
    download_settings = DownloadControllerSettings(outbox_bucket=outbox, **keys.settings(DOWNLOADS))
    issuer = WorkOrderIssuer(keys.work_orders.private_pem)
    interceptors: dict[str, list[Interceptor]] = {UPLOADS: [], REGISTRY: [], DOWNLOADS: []}
    outboxes, uows = {}, {}
    for name in (UPLOADS, REGISTRY, DOWNLOADS):
        outboxes[name], uows[name] = await open_outbox(dao_factory, name)
    download_service = await build_download_service(
        download_settings, dao_factory, storage, uows[DOWNLOADS]
    )
    apps = {
        UPLOADS: upload_app(
            await build_upload_service(upload_settings, dao_factory, storage, uows[UPLOADS]),
            work_orders=WorkOrderVerifier(upload_settings, audience=UPLOADS),
            hand_offs=hand_off_verifier(upload_settings, UPLOAD_TOPICS),
        ),
        REGISTRY: registry_app(
            await build_file_registry(registry_settings, dao_factory, storage, uows[REGISTRY]),
            work_orders=WorkOrderVerifier(registry_settings, audience=REGISTRY),
            hand_offs=hand_off_verifier(registry_settings, REGISTRY_TOPICS),
        ),
        DOWNLOADS: download_app(
            download_service,
            work_orders=WorkOrderVerifier(download_settings, audience=DOWNLOADS),
            hand_offs=hand_off_verifier(download_settings, DOWNLOAD_TOPICS),
        ),
    }
    async with AsyncExitStack() as stack:
        clients, anonymous = {}, {}
        for name, app in apps.items():
            for target, auth in ((clients, GrantAll(issuer, name)), (anonymous, None)):
                target[name] = await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=_InterceptingTransport(app, interceptors[name]),
                        base_url=f"http://{name.replace('_', '-')}",
                        auth=auth,
                    )
                )
        routes = {
            UPLOADS: {REGISTRY: anonymous[REGISTRY]},
            REGISTRY: {UPLOADS: anonymous[UPLOADS], DOWNLOADS: anonymous[DOWNLOADS]},
            DOWNLOADS: {REGISTRY: anonymous[REGISTRY]},
        }
        relays = {
            name: Relay(
                outboxes[name],
                routes[name],
                signer=MessageSigner(name, keys.hand_offs[name]),
            )
            for name in routes
        }
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
            keys=keys,
            issuer=issuer,
            anonymous=anonymous,
            interceptors=interceptors,
        )

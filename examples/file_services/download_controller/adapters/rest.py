"""The download controller's REST API: GA4GH DRS-style objects, and messages from the registry.

``GET /objects/{id}`` needs a ``download`` work order for that object; the token is checked
before the object is looked up, so a caller without one learns nothing about which exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ...common.handoffs import HandOffVerifier
from ...common.http import (
    Lifespan,
    authorize,
    install_problems,
    message_router,
)
from ...common.work_orders import Operation, WorkOrderVerifier
from ..core.models import StagingPending
from ..core.service import DownloadService, UnknownObjectError

__all__ = ["create_app"]


class Checksum(BaseModel):
    """One checksum of an object."""

    type: str
    checksum: str


class AccessUrl(BaseModel):
    """Where to fetch the bytes."""

    url: str


class AccessMethod(BaseModel):
    """How to fetch the bytes."""

    type: str
    access_url: AccessUrl


class DrsObject(BaseModel):
    """A DRS-style object record."""

    id: str
    self_uri: str
    size: int
    created_time: datetime
    checksums: list[Checksum]
    access_methods: list[AccessMethod]


def _service(request: Request) -> DownloadService:
    service: DownloadService = request.app.state.download_service
    return service


Service = Annotated[DownloadService, Depends(_service)]
ObjectId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
router = APIRouter()


@router.get(
    "/objects/{object_id}",
    tags=["drs"],
    responses={202: {"description": "Being staged; ask again after Retry-After seconds."}},
)
async def get_object(object_id: ObjectId, request: Request, service: Service) -> Response:
    """Return the object with a download URL of its outbox copy, or 202 while it is staged."""
    authorize(request, [Operation.DOWNLOAD], object_id)
    access = await service.access(object_id)
    if isinstance(access, StagingPending):
        return JSONResponse(
            status_code=status.HTTP_202_ACCEPTED,
            headers={"Retry-After": str(access.retry_after)},
            content={
                "detail": f"Object {object_id!r} is being staged for download;"
                f" ask again in {access.retry_after} s.",
                "retry_after": access.retry_after,
            },
        )
    scheme = "https" if access.url.startswith("https") else access.url.split(":", 1)[0]
    drs = DrsObject(
        id=access.file.file_id,
        self_uri=f"drs://{request.url.netloc}/{access.file.file_id}",
        size=access.file.size,
        created_time=access.file.created,
        checksums=[Checksum(type="md5", checksum=access.file.md5)],
        access_methods=[AccessMethod(type=scheme, access_url=AccessUrl(url=access.url))],
    )
    return JSONResponse(content=drs.model_dump(mode="json"))


def create_app(
    service: DownloadService | None = None,
    *,
    work_orders: WorkOrderVerifier,
    hand_offs: HandOffVerifier,
    lifespan: Lifespan | None = None,
) -> FastAPI:
    """Build the REST app around a ready service, or a lifespan that provides one."""
    app = FastAPI(title="Download controller", lifespan=lifespan)
    if service is not None:
        app.state.download_service = service
    app.state.work_orders = work_orders
    app.state.hand_offs = hand_offs
    app.include_router(router)
    app.include_router(message_router(lambda request: _service(request).consume))
    install_problems(app, {UnknownObjectError: status.HTTP_404_NOT_FOUND})
    return app

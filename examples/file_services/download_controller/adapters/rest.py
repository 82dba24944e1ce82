"""The download controller's REST API: GA4GH DRS-style objects and the internal publish hook."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response, status
from pydantic import BaseModel

from ...common.http import Lifespan, map_errors
from ..core.models import DownloadableFile
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
router = APIRouter()


@router.get("/objects/{object_id}", tags=["drs"])
async def get_object(object_id: str, request: Request, service: Service) -> DrsObject:
    """Return the object record with a fresh presigned download URL."""
    access = await service.access(object_id)
    scheme = "https" if access.url.startswith("https") else access.url.split(":", 1)[0]
    return DrsObject(
        id=access.file.file_id,
        self_uri=f"drs://{request.url.netloc}/{access.file.file_id}",
        size=access.file.size,
        created_time=access.file.created,
        checksums=[Checksum(type="md5", checksum=access.file.md5)],
        access_methods=[AccessMethod(type=scheme, access_url=AccessUrl(url=access.url))],
    )


@router.put("/files/{file_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["internal"])
async def publish_file(file_id: str, body: DownloadableFile, service: Service) -> Response:
    """Make a registered file downloadable (called by the file registry; idempotent)."""
    if body.file_id != file_id:
        return Response(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    await service.publish(body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def create_app(
    service: DownloadService | None = None, *, lifespan: Lifespan | None = None
) -> FastAPI:
    """Build the REST app around a ready service, or a lifespan that provides one."""
    app = FastAPI(title="Download controller", lifespan=lifespan)
    if service is not None:
        app.state.download_service = service
    app.include_router(router)
    map_errors(app, {UnknownObjectError: status.HTTP_404_NOT_FOUND})
    return app

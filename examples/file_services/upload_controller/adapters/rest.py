"""The upload controller's REST API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...common.http import Lifespan, map_errors
from ..core.errors import InvalidUploadError, UploadConflictError, UploadNotFoundError
from ..core.models import FileUpload, UploadStatus
from ..core.ports import RegistrationFailedError
from ..core.service import UploadService

__all__ = ["create_app"]


class NewUpload(BaseModel):
    """A client announces a file it wants to upload."""

    file_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    size: int = Field(gt=0)
    part_size: int | None = Field(default=None, gt=0)


class Completion(BaseModel):
    """A client says all parts are uploaded."""

    part_count: int = Field(gt=0)
    md5: str = Field(pattern=r"^[0-9a-f]{32}$")


class UploadView(BaseModel):
    """An upload as clients see it."""

    file_id: str
    upload_id: str
    size: int
    part_size: int
    part_count: int
    status: UploadStatus

    @classmethod
    def of(cls, upload: FileUpload) -> UploadView:
        """Build the view of an upload."""
        return cls(part_count=upload.part_count, **upload.model_dump(include=set(cls.model_fields)))


class PartUrl(BaseModel):
    """Where to PUT one part."""

    part_number: int
    url: str


def _service(request: Request) -> UploadService:
    service: UploadService = request.app.state.upload_service
    return service


Service = Annotated[UploadService, Depends(_service)]
router = APIRouter(prefix="/uploads", tags=["uploads"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_upload(body: NewUpload, service: Service) -> UploadView:
    """Open a multipart upload for a file."""
    return UploadView.of(await service.create_upload(body.file_id, body.size, body.part_size))


@router.get("/{file_id}")
async def get_upload(file_id: str, service: Service) -> UploadView:
    """Return the state of an upload."""
    return UploadView.of(await service.get_upload(file_id))


@router.post("/{file_id}/parts/{part_number}")
async def part_url(file_id: str, part_number: int, service: Service) -> PartUrl:
    """Return a presigned URL for one part."""
    return PartUrl(part_number=part_number, url=await service.part_upload_url(file_id, part_number))


@router.post("/{file_id}/complete")
async def complete_upload(file_id: str, body: Completion, service: Service) -> UploadView:
    """Assemble the parts and register the file; repeat the call to retry a failed registration."""
    return UploadView.of(await service.complete(file_id, body.part_count, body.md5))


@router.delete("/{file_id}")
async def abort_upload(file_id: str, service: Service) -> UploadView:
    """Abort the upload and drop what it stored."""
    return UploadView.of(await service.abort(file_id))


def create_app(
    service: UploadService | None = None, *, lifespan: Lifespan | None = None
) -> FastAPI:
    """Build the REST app around a ready service, or a lifespan that provides one."""
    app = FastAPI(title="Upload controller", lifespan=lifespan)
    if service is not None:
        app.state.upload_service = service
    app.include_router(router)
    map_errors(
        app,
        {
            UploadNotFoundError: status.HTTP_404_NOT_FOUND,
            UploadConflictError: status.HTTP_409_CONFLICT,
            InvalidUploadError: status.HTTP_422_UNPROCESSABLE_CONTENT,
        },
    )

    async def registration_failed(_: Request, error: Exception) -> JSONResponse:
        retryable = isinstance(error, RegistrationFailedError) and error.retryable
        code = status.HTTP_502_BAD_GATEWAY if retryable else status.HTTP_422_UNPROCESSABLE_CONTENT
        return JSONResponse(
            status_code=code, content={"detail": str(error), "retryable": retryable}
        )

    app.add_exception_handler(RegistrationFailedError, registration_failed)
    return app

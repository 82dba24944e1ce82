"""The upload controller's REST API: files first, then upload attempts in parts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, status
from pydantic import BaseModel, Field

from ...common.http import Lifespan, map_errors, message_router
from ..core.errors import InvalidUploadError, UploadConflictError, UploadNotFoundError
from ..core.models import FILE_ID_PATTERN, AttemptStatus, FileUpload, UploadAttempt
from ..core.service import UploadService

__all__ = ["create_app"]


class FileAnnouncement(BaseModel):
    """A file the client is going to upload."""

    file_id: str = Field(pattern=FILE_ID_PATTERN)
    size: int = Field(gt=0)


class AttemptRequest(BaseModel):
    """How the client cuts the file; the default part size if omitted."""

    part_size: int | None = Field(default=None, gt=0)


class AttemptView(BaseModel):
    """An upload attempt as clients see it."""

    attempt_id: str
    file_id: str
    status: AttemptStatus
    size: int
    part_size: int
    part_count: int
    reason: str | None

    @classmethod
    def of(cls, attempt: UploadAttempt) -> AttemptView:
        """Build the view of an attempt."""
        return cls(part_count=attempt.part_count, **attempt.model_dump())


class FileView(BaseModel):
    """A file and its attempts, oldest first."""

    file_id: str
    size: int
    attempts: list[AttemptView]


class PartUrl(BaseModel):
    """Where to PUT one part."""

    part_number: int
    url: str


class Completion(BaseModel):
    """What the client says when all parts are uploaded."""

    part_count: int = Field(gt=0)
    md5: str = Field(pattern=r"^[0-9a-f]{32}$")


def _service(request: Request) -> UploadService:
    service: UploadService = request.app.state.upload_service
    return service


Service = Annotated[UploadService, Depends(_service)]
router = APIRouter()


def _file_view(file: FileUpload, attempts: list[UploadAttempt]) -> FileView:
    return FileView(
        file_id=file.file_id, size=file.size, attempts=[AttemptView.of(a) for a in attempts]
    )


@router.post("/files", status_code=status.HTTP_201_CREATED, tags=["files"])
async def announce_file(body: FileAnnouncement, service: Service) -> FileView:
    """Record a file's metadata before any upload (repeating it is fine)."""
    file = await service.announce_file(body.file_id, body.size)
    return _file_view(*(await service.get_file(file.file_id)))


@router.get("/files/{file_id}", tags=["files"])
async def get_file(file_id: str, service: Service) -> FileView:
    """Return a file and its upload attempts."""
    return _file_view(*(await service.get_file(file_id)))


@router.post("/files/{file_id}/attempts", status_code=status.HTTP_201_CREATED, tags=["attempts"])
async def start_attempt(file_id: str, body: AttemptRequest, service: Service) -> AttemptView:
    """Open an upload attempt; 409 while another attempt holds the file."""
    return AttemptView.of(await service.start_attempt(file_id, body.part_size))


@router.get("/attempts/{attempt_id}", tags=["attempts"])
async def get_attempt(attempt_id: str, service: Service) -> AttemptView:
    """Return the state of an upload attempt."""
    return AttemptView.of(await service.get_attempt(attempt_id))


@router.post("/attempts/{attempt_id}/parts/{part_number}", tags=["attempts"])
async def part_url(attempt_id: str, part_number: int, service: Service) -> PartUrl:
    """Return a presigned URL for one part."""
    url = await service.part_upload_url(attempt_id, part_number)
    return PartUrl(part_number=part_number, url=url)


@router.post("/attempts/{attempt_id}/complete", tags=["attempts"])
async def complete_attempt(attempt_id: str, body: Completion, service: Service) -> AttemptView:
    """Assemble the parts and hand the file to the registry (safe to repeat)."""
    return AttemptView.of(await service.complete(attempt_id, body.part_count, body.md5))


@router.delete("/attempts/{attempt_id}", tags=["attempts"])
async def cancel_attempt(attempt_id: str, service: Service) -> AttemptView:
    """Cancel a pending attempt and drop its parts."""
    return AttemptView.of(await service.cancel(attempt_id))


def create_app(
    service: UploadService | None = None, *, lifespan: Lifespan | None = None
) -> FastAPI:
    """Build the REST app around a ready service, or a lifespan that provides one."""
    app = FastAPI(title="Upload controller", lifespan=lifespan)
    if service is not None:
        app.state.upload_service = service
    app.include_router(router)
    app.include_router(message_router(lambda request: _service(request).consume))
    map_errors(
        app,
        {
            UploadNotFoundError: status.HTTP_404_NOT_FOUND,
            UploadConflictError: status.HTTP_409_CONFLICT,
            InvalidUploadError: status.HTTP_422_UNPROCESSABLE_CONTENT,
        },
    )
    return app

"""The upload controller's REST API: files first, then upload attempts in parts.

Every route needs a work order for the file concerned: ``start_upload`` to announce it,
read it, open an attempt and get part URLs; ``complete_upload`` and ``cancel_upload`` for
those steps. An attempt's routes look up the attempt's file after the token is verified; an
attempt of another file is refused exactly like an unknown one, so a token for one file
tells nothing about others.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Request, status
from pydantic import BaseModel, Field

from ...common.handoffs import HandOffVerifier
from ...common.http import (
    Lifespan,
    authorize,
    install_problems,
    message_router,
)
from ...common.work_orders import Operation, WorkOrderRefusedError, WorkOrderVerifier
from ..core.errors import InvalidUploadError, UploadConflictError, UploadNotFoundError
from ..core.models import FILE_ID_PATTERN, AttemptStatus, FileUpload, UploadAttempt
from ..core.service import MAX_FILE_SIZE, MAX_PARTS, UploadService

__all__ = ["create_app"]


class FileAnnouncement(BaseModel):
    """A file the client is going to upload."""

    file_id: str = Field(pattern=FILE_ID_PATTERN)
    size: int = Field(gt=0, le=MAX_FILE_SIZE)


class AttemptRequest(BaseModel):
    """How the client cuts the file; the default part size if omitted."""

    part_size: int | None = Field(default=None, gt=0, le=MAX_FILE_SIZE)


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

    part_count: int = Field(gt=0, le=MAX_PARTS)
    md5: str = Field(pattern=r"^[0-9a-f]{32}$")


def _service(request: Request) -> UploadService:
    service: UploadService = request.app.state.upload_service
    return service


Service = Annotated[UploadService, Depends(_service)]
FileId = Annotated[str, Path(pattern=FILE_ID_PATTERN)]
AttemptId = Annotated[str, Path(pattern=FILE_ID_PATTERN)]
PartNumber = Annotated[int, Path(ge=1, le=MAX_PARTS)]
router = APIRouter()
UPLOADING = (Operation.START_UPLOAD, Operation.COMPLETE_UPLOAD, Operation.CANCEL_UPLOAD)


def _file_view(file: FileUpload, attempts: list[UploadAttempt]) -> FileView:
    return FileView(
        file_id=file.file_id, size=file.size, attempts=[AttemptView.of(a) for a in attempts]
    )


async def _authorized_attempt(
    request: Request, service: UploadService, attempt_id: str, *operations: Operation
) -> UploadAttempt:
    """Verify the work order, then return the attempt if it belongs to the order's file."""
    order = authorize(request, operations, None)
    try:
        attempt = await service.get_attempt(attempt_id)
    except UploadNotFoundError:
        attempt = None
    if attempt is None or attempt.file_id != order.file_id:
        raise WorkOrderRefusedError("it does not cover this upload attempt")
    return attempt


@router.post("/files", status_code=status.HTTP_201_CREATED, tags=["files"])
async def announce_file(body: FileAnnouncement, request: Request, service: Service) -> FileView:
    """Record a file's metadata before any upload (repeating it is fine)."""
    authorize(request, [Operation.START_UPLOAD], body.file_id)
    file = await service.announce_file(body.file_id, body.size)
    return _file_view(*(await service.get_file(file.file_id)))


@router.get("/files/{file_id}", tags=["files"])
async def get_file(file_id: FileId, request: Request, service: Service) -> FileView:
    """Return a file and its upload attempts."""
    authorize(request, UPLOADING, file_id)
    return _file_view(*(await service.get_file(file_id)))


@router.post("/files/{file_id}/attempts", status_code=status.HTTP_201_CREATED, tags=["attempts"])
async def start_attempt(
    file_id: FileId, body: AttemptRequest, request: Request, service: Service
) -> AttemptView:
    """Open an upload attempt; 409 while another attempt holds the file."""
    authorize(request, [Operation.START_UPLOAD], file_id)
    return AttemptView.of(await service.start_attempt(file_id, body.part_size))


@router.get("/attempts/{attempt_id}", tags=["attempts"])
async def get_attempt(attempt_id: AttemptId, request: Request, service: Service) -> AttemptView:
    """Return the state of an upload attempt."""
    return AttemptView.of(await _authorized_attempt(request, service, attempt_id, *UPLOADING))


@router.post("/attempts/{attempt_id}/parts/{part_number}", tags=["attempts"])
async def part_url(
    attempt_id: AttemptId, part_number: PartNumber, request: Request, service: Service
) -> PartUrl:
    """Return a presigned URL for one part."""
    await _authorized_attempt(request, service, attempt_id, Operation.START_UPLOAD)
    url = await service.part_upload_url(attempt_id, part_number)
    return PartUrl(part_number=part_number, url=url)


@router.post("/attempts/{attempt_id}/complete", tags=["attempts"])
async def complete_attempt(
    attempt_id: AttemptId, body: Completion, request: Request, service: Service
) -> AttemptView:
    """Assemble the parts and hand the file to the registry (safe to repeat)."""
    await _authorized_attempt(request, service, attempt_id, Operation.COMPLETE_UPLOAD)
    return AttemptView.of(await service.complete(attempt_id, body.part_count, body.md5))


@router.delete("/attempts/{attempt_id}", tags=["attempts"])
async def cancel_attempt(attempt_id: AttemptId, request: Request, service: Service) -> AttemptView:
    """Cancel a pending attempt and drop its parts."""
    await _authorized_attempt(request, service, attempt_id, Operation.CANCEL_UPLOAD)
    return AttemptView.of(await service.cancel(attempt_id))


def create_app(
    service: UploadService | None = None,
    *,
    work_orders: WorkOrderVerifier,
    hand_offs: HandOffVerifier,
    lifespan: Lifespan | None = None,
) -> FastAPI:
    """Build the REST app around a ready service, or a lifespan that provides one."""
    app = FastAPI(title="Upload controller", lifespan=lifespan)
    if service is not None:
        app.state.upload_service = service
    app.state.work_orders = work_orders
    app.state.hand_offs = hand_offs
    app.include_router(router)
    app.include_router(message_router(lambda request: _service(request).consume))
    install_problems(
        app,
        {
            UploadNotFoundError: status.HTTP_404_NOT_FOUND,
            UploadConflictError: status.HTTP_409_CONFLICT,
            InvalidUploadError: status.HTTP_422_UNPROCESSABLE_CONTENT,
        },
    )
    return app

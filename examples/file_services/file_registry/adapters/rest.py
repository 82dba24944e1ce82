"""The file registry's REST API (called by the upload controller)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, status
from pydantic import BaseModel, Field

from ...common.http import Lifespan, map_errors
from ..core.errors import ChecksumMismatchError, FileConflictError, FileNotRegisteredError
from ..core.models import FileMetadata
from ..core.ports import PublishFailedError
from ..core.service import FileRegistry

__all__ = ["create_app"]


class Registration(BaseModel):
    """A finished upload waiting in the inbox."""

    file_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    bucket_id: str
    object_id: str
    size: int = Field(ge=0)
    md5: str = Field(pattern=r"^[0-9a-f]{32}$")


def _registry(request: Request) -> FileRegistry:
    registry: FileRegistry = request.app.state.file_registry
    return registry


Registry = Annotated[FileRegistry, Depends(_registry)]
router = APIRouter(prefix="/files", tags=["files"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def register_file(body: Registration, registry: Registry) -> FileMetadata:
    """Move the inbox object into permanent storage and record it (safe to repeat)."""
    return await registry.register(**body.model_dump())


@router.get("/{file_id}")
async def get_file(file_id: str, registry: Registry) -> FileMetadata:
    """Return a registered file's metadata."""
    return await registry.get(file_id)


def create_app(
    registry: FileRegistry | None = None, *, lifespan: Lifespan | None = None
) -> FastAPI:
    """Build the REST app around a ready registry, or a lifespan that provides one."""
    app = FastAPI(title="File registry", lifespan=lifespan)
    if registry is not None:
        app.state.file_registry = registry
    app.include_router(router)
    map_errors(
        app,
        {
            FileNotRegisteredError: status.HTTP_404_NOT_FOUND,
            FileConflictError: status.HTTP_409_CONFLICT,
            ChecksumMismatchError: status.HTTP_422_UNPROCESSABLE_CONTENT,
            PublishFailedError: status.HTTP_503_SERVICE_UNAVAILABLE,
        },
    )
    return app

"""The file registry's REST API: file records, deletion, and messages from the other services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response, status

from ...common.http import Lifespan, map_errors, message_router
from ..core.errors import FileNotRegisteredError
from ..core.models import FileMetadata
from ..core.service import FileRegistry

__all__ = ["create_app"]


def _registry(request: Request) -> FileRegistry:
    registry: FileRegistry = request.app.state.file_registry
    return registry


Registry = Annotated[FileRegistry, Depends(_registry)]
router = APIRouter(prefix="/files", tags=["files"])


@router.get("/{file_id}")
async def get_file(file_id: str, registry: Registry) -> FileMetadata:
    """Return a registered file's metadata."""
    return await registry.get(file_id)


@router.delete("/{file_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_file(file_id: str, registry: Registry) -> Response:
    """Delete the file everywhere (safe to repeat; the download controller is told)."""
    await registry.delete(file_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def create_app(
    registry: FileRegistry | None = None, *, lifespan: Lifespan | None = None
) -> FastAPI:
    """Build the REST app around a ready registry, or a lifespan that provides one."""
    app = FastAPI(title="File registry", lifespan=lifespan)
    if registry is not None:
        app.state.file_registry = registry
    app.include_router(router)
    app.include_router(message_router(lambda request: _registry(request).consume))
    map_errors(app, {FileNotRegisteredError: status.HTTP_404_NOT_FOUND})
    return app

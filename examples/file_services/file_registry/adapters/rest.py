"""The file registry's REST API: file records, deletion, and messages from the other services.

``DELETE /files/{id}`` needs a ``delete`` work order for that file; reading a record needs
a ``download`` or ``delete`` work order for it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Request, Response, status

from ...common.handoffs import HandOffVerifier
from ...common.http import (
    Lifespan,
    authorize,
    install_problems,
    message_router,
)
from ...common.work_orders import Operation, WorkOrderVerifier
from ..core.errors import FileNotRegisteredError
from ..core.models import FILE_ID_PATTERN, FileMetadata
from ..core.service import FileRegistry

__all__ = ["create_app"]


def _registry(request: Request) -> FileRegistry:
    registry: FileRegistry = request.app.state.file_registry
    return registry


Registry = Annotated[FileRegistry, Depends(_registry)]
FileId = Annotated[str, Path(pattern=FILE_ID_PATTERN)]
router = APIRouter(prefix="/files", tags=["files"])


@router.get("/{file_id}")
async def get_file(file_id: FileId, request: Request, registry: Registry) -> FileMetadata:
    """Return a registered file's metadata."""
    authorize(request, [Operation.DOWNLOAD, Operation.DELETE], file_id)
    return await registry.get(file_id)


@router.delete("/{file_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_file(file_id: FileId, request: Request, registry: Registry) -> Response:
    """Delete the file everywhere (safe to repeat; the download controller is told)."""
    authorize(request, [Operation.DELETE], file_id)
    await registry.delete(file_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def create_app(
    registry: FileRegistry | None = None,
    *,
    work_orders: WorkOrderVerifier,
    hand_offs: HandOffVerifier,
    lifespan: Lifespan | None = None,
) -> FastAPI:
    """Build the REST app around a ready registry, or a lifespan that provides one."""
    app = FastAPI(title="File registry", lifespan=lifespan)
    if registry is not None:
        app.state.file_registry = registry
    app.state.work_orders = work_orders
    app.state.hand_offs = hand_offs
    app.include_router(router)
    app.include_router(message_router(lambda request: _registry(request).consume))
    install_problems(app, {FileNotRegisteredError: status.HTTP_404_NOT_FOUND})
    return app

"""What the download controller keeps and serves."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

__all__ = ["CleanupClaim", "DownloadableFile", "DrsAccess", "StageState", "StagingPending"]


class StageState(StrEnum):
    """Where the outbox copy of a file stands."""

    REQUESTED = "requested"  # the registry was asked to copy the file to the outbox
    STAGED = "staged"  # the copy is in the outbox; downloads are served from it


class DownloadableFile(BaseModel):
    """A registered file, and its outbox copy if one is staged or requested.

    Each staging has its own ``stage_id``, and its copy its own object ID, so a late
    message about an old staging never touches a newer copy. ``version`` makes every
    change conditional on the record read (the DAO is versioned), so a staging, its
    message, a cleanup and a deletion never overwrite each other's change.
    """

    file_id: str
    size: int
    md5: str
    created: datetime
    stage_id: str | None = None
    stage_state: StageState | None = None
    stage_since: datetime | None = None  # when the staging was requested, or the copy staged
    version: int = 0


class CleanupClaim(BaseModel):
    """Marks one staging as being removed by one cleanup run (the insert is the lock)."""

    stage_id: str
    file_id: str
    claimed: datetime


class DrsAccess(BaseModel):
    """A staged file together with a fresh download URL of its outbox copy."""

    file: DownloadableFile
    url: str
    expires_after: int


class StagingPending(BaseModel):
    """The file is being staged; ask again after ``retry_after`` seconds."""

    file_id: str
    retry_after: int

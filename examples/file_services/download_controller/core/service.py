"""Serves registered files from the outbox bucket, staging them there on demand.

Files live in the registry's permanent bucket; downloads are served only from copies in
the outbox bucket. A request for a file without a copy owes the registry a ``stage_file``
message (in the same transaction as the record saying so) and answers "come back later";
the registry's ``file_staged`` message makes the copy servable. :meth:`cleanup` removes
copies older than a configured age, safely on several instances at once.
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from hexkit.protocols.dao import (
    Dao,
    ResourceAlreadyExistsError,
    ResourceChangedError,
    ResourceNotFoundError,
    TransactionError,
)
from hexkit.protocols.objstorage import ObjectNotFoundError, ObjectStorageProtocol

from ...common.outbox import UnitOfWork, UnknownTopicError, parse_payload
from .models import CleanupClaim, DownloadableFile, DrsAccess, StageState, StagingPending

__all__ = ["DownloadConfig", "DownloadService", "UnknownObjectError"]

REGISTRY = "file_registry"
_ID = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")


class FileStaged(BaseModel):
    """The payload of ``file_staged``."""

    file_id: str = _ID
    stage_id: str = _ID


class FileDeleted(BaseModel):
    """The payload of ``file_deleted``."""

    file_id: str = _ID


class FileRegistered(BaseModel):
    """The payload of ``file_registered`` (the registry's record; its location is not ours)."""

    file_id: str = _ID
    size: int = Field(ge=0, lt=2**63)
    md5: str = Field(pattern=r"^[0-9a-f]{32}$")
    created: datetime


class UnknownObjectError(LookupError):
    """No registered file has this ID."""

    def __init__(self, object_id: str) -> None:
        self.object_id = object_id
        super().__init__(f"No object with ID {object_id!r}; check the ID or wait for registration.")


@dataclass(frozen=True)
class DownloadConfig:
    """The outbox bucket, URL lifetime, and how long copies and staging requests live."""

    outbox_bucket: str
    url_expiry_seconds: int = 3600
    retry_after_seconds: int = 1
    stage_timeout: timedelta = timedelta(minutes=10)  # ask the registry again after this
    outbox_max_age: timedelta = timedelta(days=1)  # cleanup removes older copies
    claim_timeout: timedelta = timedelta(minutes=10)  # a cleanup claim older than this died


def _now() -> datetime:
    return datetime.now(UTC)


class DownloadService:
    """Answers DRS requests from the outbox, and keeps the outbox tidy."""

    def __init__(
        self,
        *,
        config: DownloadConfig,
        files: Dao[DownloadableFile],
        claims: Dao[CleanupClaim],
        storage: ObjectStorageProtocol,
        uow: UnitOfWork,
    ) -> None:
        self._config = config
        self._files = files
        self._claims = claims
        self._storage = storage
        self._uow = uow

    # --- DRS -----------------------------------------------------------------------

    async def access(self, object_id: str) -> DrsAccess | StagingPending:
        """Return a download URL of the outbox copy, or ask the registry to stage one."""
        try:
            file = await self._files.get_by_id(object_id)
        except ResourceNotFoundError:
            raise UnknownObjectError(object_id) from None
        if file.stage_state is StageState.STAGED and file.stage_id is not None:
            try:
                url = await self._storage.get_object_download_url(
                    self._config.outbox_bucket,
                    self._copy_id(file.file_id, file.stage_id),
                    expires_after=self._config.url_expiry_seconds,
                )
            except ObjectNotFoundError:
                pass  # the copy vanished (an operator, a lost bucket): stage it again
            else:
                return DrsAccess(file=file, url=url, expires_after=self._config.url_expiry_seconds)
        elif (
            file.stage_state is StageState.REQUESTED
            and file.stage_since is not None
            and _now() - file.stage_since < self._config.stage_timeout
        ):
            return self._pending(file.file_id)
        stage_id = uuid.uuid4().hex
        requested = file.model_copy(
            update={
                "stage_id": stage_id,
                "stage_state": StageState.REQUESTED,
                "stage_since": _now(),
            }
        )
        try:
            async with self._uow():
                await self._files.update(requested)  # only if nobody changed it since the read
                await self._uow.owe(
                    REGISTRY,
                    "stage_file",
                    file_id=file.file_id,
                    stage_id=stage_id,
                    bucket_id=self._config.outbox_bucket,
                    object_id=self._copy_id(file.file_id, stage_id),
                )
        except (ResourceChangedError, TransactionError):
            # Another request staged it, its copy arrived, or it was deleted: nothing owed.
            if not await self._files.exists(object_id):
                raise UnknownObjectError(object_id) from None
        return self._pending(file.file_id)

    def _pending(self, file_id: str) -> StagingPending:
        return StagingPending(file_id=file_id, retry_after=self._config.retry_after_seconds)

    @staticmethod
    def _copy_id(file_id: str, stage_id: str) -> str:
        return f"{file_id}/{stage_id}"

    # --- messages from the registry (idempotent) ---------------------------------------

    async def consume(self, topic: str, payload: dict[str, Any]) -> None:
        """Apply one message from the file registry; a repeated message changes nothing."""
        if topic == "file_registered":
            registered = parse_payload(FileRegistered, topic, payload)
            await self._registered(DownloadableFile(**registered.model_dump()))
        elif topic == "file_staged":
            staged = parse_payload(FileStaged, topic, payload)
            await self._staged(staged.file_id, staged.stage_id)
        elif topic == "file_deleted":
            await self._deleted(parse_payload(FileDeleted, topic, payload).file_id)
        else:
            raise UnknownTopicError("download controller", topic)

    async def _registered(self, file: DownloadableFile) -> None:
        with suppress(ResourceAlreadyExistsError):  # a repeated message keeps the staging
            await self._files.insert(file)

    async def _staged(self, file_id: str, stage_id: str) -> None:
        # Each pass reads the record again after another writer changed it; each change
        # is progress (a new staging, a cleanup, a deletion), so this ends.
        while True:
            try:
                file = await self._files.get_by_id(file_id)
            except ResourceNotFoundError:
                file = None
            if file is None or file.stage_id != stage_id:
                await self._drop_copy(file_id, stage_id)  # a copy no record points to
                return
            if file.stage_state is not StageState.REQUESTED:
                return  # staged already (a repeated message)
            staged = {"stage_state": StageState.STAGED, "stage_since": _now()}
            with suppress(ResourceChangedError, ResourceNotFoundError):
                await self._files.update(file.model_copy(update=staged))
                return

    async def _deleted(self, file_id: str) -> None:
        while True:  # again after each concurrent change, until this version is deleted
            try:
                file = await self._files.get_by_id(file_id)
            except ResourceNotFoundError:
                return
            if file.stage_id is not None:
                await self._drop_copy(file_id, file.stage_id)  # first: a repeat still finds it
            with suppress(ResourceChangedError, ResourceNotFoundError):
                await self._files.delete(file_id, version=file.version)
                return

    async def _drop_copy(self, file_id: str, stage_id: str) -> None:
        with suppress(ObjectNotFoundError):
            await self._storage.delete_object(
                self._config.outbox_bucket, self._copy_id(file_id, stage_id)
            )

    # --- cleanup ---------------------------------------------------------------------

    async def cleanup(self, *, now: datetime | None = None) -> list[str]:
        """Remove outbox copies staged longer than ``outbox_max_age`` ago; return their files.

        Safe on several instances at once: a copy is removed by the instance whose
        ``CleanupClaim`` insert succeeds (the DAO's ID uniqueness is the lock), and only if
        the record still points to that copy. The record is cleared before the copy is
        deleted, so no request is ever answered with a URL to a deleted copy.
        """
        now = now or _now()
        cutoff = now - self._config.outbox_max_age
        staged = await self._files.find_all(mapping={"stage_state": StageState.STAGED}).to_list()
        removed = []
        for file in staged:
            if file.stage_id is None or file.stage_since is None or file.stage_since > cutoff:
                continue
            if await self._remove_copy(file.file_id, file.stage_id, now):
                removed.append(file.file_id)
        return removed

    async def _claim(self, file_id: str, stage_id: str, now: datetime) -> bool:
        """Take the cleanup claim of one staging, or one whose instance died holding it."""
        claim = CleanupClaim(stage_id=stage_id, file_id=file_id, claimed=now)
        try:
            await self._claims.insert(claim)
        except ResourceAlreadyExistsError:
            try:
                held = await self._claims.get_by_id(stage_id)
            except ResourceNotFoundError:
                return False  # released meanwhile: the copy was handled
            if held.claimed > now - self._config.claim_timeout:
                return False  # another instance is removing this copy
            # The instance that took it crashed before releasing it: take it over. Of
            # several instances doing so at once, the one whose insert succeeds wins.
            with suppress(ResourceNotFoundError):
                await self._claims.delete(stage_id)
            try:
                await self._claims.insert(claim)
            except ResourceAlreadyExistsError:
                return False
        return True

    async def _remove_copy(self, file_id: str, stage_id: str, now: datetime) -> bool:
        if not await self._claim(file_id, stage_id, now):
            return False
        try:
            try:
                current = await self._files.get_by_id(file_id)
            except ResourceNotFoundError:
                return False
            if current.stage_id != stage_id or current.stage_state is not StageState.STAGED:
                return False  # removed and staged anew since this run listed it
            cleared = {"stage_id": None, "stage_state": None, "stage_since": None}
            try:
                await self._files.update(current.model_copy(update=cleared))
            except (ResourceChangedError, ResourceNotFoundError):
                return False  # deleted (its copy with it) or changed meanwhile: not ours
            await self._drop_copy(file_id, stage_id)
            return True
        finally:
            with suppress(ResourceNotFoundError):
                await self._claims.delete(stage_id)

"""The upload controller's core when a complete does not finish: the attempt is not stuck.

A complete holds an attempt as ``completing`` while it assembles the parts. If its storage
call fails, it gives the attempt back (``pending``), so the client can complete again; if
the request died holding it, a complete after ``completing_timeout`` takes it over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from file_services.common.providers import open_outbox
from file_services.upload_controller.core.errors import UploadConflictError
from file_services.upload_controller.core.models import AttemptStatus, UploadAttempt
from file_services.upload_controller.core.service import UploadService
from file_services.upload_controller.wiring import (
    UploadControllerSettings,
    build_upload_service,
)
from file_services_harness import Keys, md5_of

from hexkit.protocols.dao import Dao
from hexkit.protocols.objstorage import StorageUnavailableError, UploadedPart
from hexkit.providers.memory import (
    MemoryDaoFactory,
    MemoryObjectStorage,
    MemoryObjectStorageConfig,
    MemoryTransfer,
)

pytestmark = pytest.mark.asyncio
PART_SIZE = 4096
DATA = b"x" * 1000


class FlakyStorage(MemoryObjectStorage):
    """Memory storage whose first ``failures`` multipart completions fail as if S3 were down."""

    failures = 1

    async def _complete_multipart_upload(
        self, upload_id: str, bucket_id: str, object_id: str, parts: list[UploadedPart]
    ) -> None:
        if self.failures:
            self.failures -= 1
            raise StorageUnavailableError("The storage is down for the test.")
        await super()._complete_multipart_upload(upload_id, bucket_id, object_id, parts)


@dataclass
class Core:
    service: UploadService
    attempts: Dao[UploadAttempt]


async def _core(storage: MemoryObjectStorage) -> Core:
    """The core as the wiring builds it (``completing_timeout`` is 10 minutes)."""
    factory = MemoryDaoFactory()
    settings = UploadControllerSettings(
        inbox_bucket="inbox",
        min_part_size=PART_SIZE,
        default_part_size=PART_SIZE,
        **Keys.generate().settings("upload_controller"),
    )
    _, uow = await open_outbox(factory, "upload_controller")
    service = await build_upload_service(settings, factory, storage, uow)
    return Core(service, service._attempts)  # the versioned DAO it was given


async def _uploaded_parts(core: Core) -> UploadAttempt:
    await core.service.announce_file("f", len(DATA))
    attempt = await core.service.start_attempt("f", None)
    url = await core.service.part_upload_url(attempt.attempt_id, 1)
    await MemoryTransfer().upload_part(url, DATA)
    return attempt


async def test_a_complete_whose_storage_fails_gives_the_attempt_back() -> None:
    storage = FlakyStorage(MemoryObjectStorageConfig(min_part_size=PART_SIZE))
    core = await _core(storage)
    attempt = await _uploaded_parts(core)
    with pytest.raises(StorageUnavailableError):
        await core.service.complete(attempt.attempt_id, 1, md5_of(DATA))
    assert (await core.service.get_attempt(attempt.attempt_id)).status is AttemptStatus.PENDING
    done = await core.service.complete(attempt.attempt_id, 1, md5_of(DATA))
    assert done.status is AttemptStatus.UPLOADED


async def test_a_completing_attempt_is_taken_over_only_after_the_timeout() -> None:
    storage = MemoryObjectStorage(MemoryObjectStorageConfig(min_part_size=PART_SIZE))
    core = await _core(storage)
    attempt = await _uploaded_parts(core)
    # A complete that won the attempt and died before assembling it.
    opened = await core.service.get_attempt(attempt.attempt_id)
    held = opened.model_copy(update={"status": AttemptStatus.COMPLETING, "md5": md5_of(DATA)})
    held = await core.attempts.update(held)
    with pytest.raises(UploadConflictError) as refused:
        await core.service.complete(attempt.attempt_id, 1, md5_of(DATA))
    assert refused.value.current_status == "completing"
    long_ago = held.model_copy(update={"changed": datetime.now(UTC) - timedelta(hours=1)})
    await core.attempts.update(long_ago)
    done = await core.service.complete(attempt.attempt_id, 1, md5_of(DATA))
    assert done.status is AttemptStatus.UPLOADED

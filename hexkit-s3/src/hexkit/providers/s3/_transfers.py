"""Server-side work that spans many requests: streaming uploads and multipart copies.

Both start a multipart upload, run a bounded number of part requests at once, and abort
the upload when anything fails (an error, or the caller's cancellation), so that no
half-finished upload stays behind to be billed and to block ``init_multipart_upload``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from typing import IO, TYPE_CHECKING, Any, cast

from hexkit.protocols.objstorage import (
    MAX_PART_NUMBER,
    Data,
    StorageTimeoutError,
    StorageUnavailableError,
)

from ._config import S3Config
from ._driver import Runner
from ._parts import Buffer, PartBody, PartPool

if TYPE_CHECKING:
    import mmap

    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

__all__ = ["conditional_write", "multipart_copy", "put_stream"]

log = logging.getLogger(__name__)

_ABORT_GRACE = 0.25
"""Seconds a failed transfer waits for its abort when the server is down or hung."""


def conditional_write(config: S3Config) -> dict[str, Any]:
    """Return the parameters that make a write fail if the object exists (412).

    Sent on PutObject, CopyObject and CompleteMultipartUpload, so a writer that raced
    past the protocol's existence check gets ``ObjectAlreadyExistsError``.
    """
    return {"IfNoneMatch": "*"} if config.s3_conditional_writes else {}


class _Parts:
    """Runs part requests, at most ``limit`` at once, and remembers the first failure."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._tasks: list[asyncio.Task[CompletedPartTypeDef]] = []

    async def reserve(self) -> None:
        """Wait for a free slot, then raise a failure seen so far."""
        await self._slots.acquire()
        try:
            self.raise_failure()
        except BaseException:
            self._slots.release()
            raise

    def unreserve(self) -> None:
        """Give back a reserved slot that is not needed."""
        self._slots.release()

    def launch(self, request: Callable[[], Coroutine[Any, Any, CompletedPartTypeDef]]) -> None:
        """Start ``request`` in a reserved slot; the slot frees when it finishes."""
        task = asyncio.create_task(request())
        task.add_done_callback(lambda _: self._slots.release())
        self._tasks.append(task)

    async def start(self, request: Callable[[], Coroutine[Any, Any, CompletedPartTypeDef]]) -> None:
        """Reserve a slot, then launch ``request`` in it."""
        await self.reserve()
        self.launch(request)

    def raise_failure(self) -> None:
        """Raise the error of the first part request that failed, if any did."""
        for task in self._tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def results(self) -> list[CompletedPartTypeDef]:
        """Wait for every part request; return ``{PartNumber, ETag}`` items in order."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.raise_failure()
        return sorted((task.result() for task in self._tasks), key=lambda p: p["PartNumber"])

    async def settle(self) -> None:
        """Let running requests finish before an abort.

        A thread in flight cannot be cancelled, and a part that lands after the abort
        would leave parts behind on some servers.
        """
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def _abort_after(
    runner: Runner, parts: _Parts, bucket_id: str, object_id: str, upload_id: str
) -> None:
    await parts.settle()
    await runner.call(
        runner.client.abort_multipart_upload, Bucket=bucket_id, Key=object_id, UploadId=upload_id
    )


async def _finish_or_abort(
    runner: Runner,
    parts: _Parts,
    work: Awaitable[None],
    *,
    bucket_id: str,
    object_id: str,
    upload_id: str,
    abort: bool,
    condition: dict[str, Any] | None = None,
) -> None:
    """Await ``work``; on any failure (cancellation too) abort the upload, then re-raise.

    ``condition`` adds conditional-write parameters to the completion request.
    """
    try:
        await work
        done = await parts.results()
        # Conditional completions of one key are serialised (see Runner.exclusive).
        async with (
            runner.exclusive(bucket_id, object_id) if condition else contextlib.nullcontext()
        ):
            await runner.call(
                runner.client.complete_multipart_upload,
                Bucket=bucket_id,
                Key=object_id,
                UploadId=upload_id,
                MultipartUpload={"Parts": done},
                **(condition or {}),
            )
    except BaseException as error:
        if not abort:
            raise
        cleanup = asyncio.ensure_future(
            _abort_after(runner, parts, bucket_id, object_id, upload_id)
        )
        # Kept by the runner: a second cancellation must not interrupt the abort, and it
        # may outlive this call (below).
        runner.keep(cleanup)
        # A server that is down or hung would hold the error for another timeout; past a
        # short grace the abort goes on in the background (the provider waits for it on
        # close) and the caller learns of the failure in time.
        unreachable = isinstance(error, StorageTimeoutError | StorageUnavailableError)
        finished, _ = await asyncio.wait({cleanup}, timeout=_ABORT_GRACE if unreachable else None)
        if not finished:
            error.add_note(
                f"The multipart upload {upload_id!r} is being aborted in the background; if"
                " the server cannot be reached, abort_stale_multipart_uploads (or S3's"
                " AbortIncompleteMultipartUpload lifecycle rule) removes it later."
            )
        elif (abort_error := cleanup.exception()) is not None:
            log.warning("Could not abort multipart upload %s: %s", upload_id, abort_error)
            error.add_note(
                f"The multipart upload {upload_id!r} could not be aborted ({abort_error});"
                " abort it with abort_multipart_upload."
            )
        raise


async def put_stream(
    runner: Runner,
    config: S3Config,
    bucket_id: str,
    object_id: str,
    data: Data,
    content_type: str | None,
) -> None:
    """Upload ``data`` with one PUT below the threshold, else as a concurrent multipart upload.

    At most ``s3_multipart_concurrency`` parts are held, in flight or being filled, each
    in a reused buffer, so memory stays near concurrency x chunk size (plus the threshold
    read ahead to decide) whatever the object's size.
    """
    extra: dict[str, Any] = {} if content_type is None else {"ContentType": content_type}
    buffer = Buffer(data)
    try:
        await _put_buffered(runner, config, bucket_id, object_id, buffer, extra)
    finally:
        await buffer.close()


async def _put_buffered(
    runner: Runner,
    config: S3Config,
    bucket_id: str,
    object_id: str,
    buffer: Buffer,
    extra: dict[str, Any],
) -> None:
    chunk_size = config.s3_multipart_chunk_size
    condition = conditional_write(config)
    await buffer.fill(config.s3_multipart_threshold)
    if buffer.exhausted and buffer.size < config.s3_multipart_threshold:
        body = buffer.take(buffer.size)
        await runner.call(
            runner.client.put_object,
            Bucket=bucket_id,
            Key=object_id,
            Body=body,
            **extra,
            **condition,
        )
        return

    created = await runner.call(
        runner.client.create_multipart_upload, Bucket=bucket_id, Key=object_id, **extra
    )
    upload_id: str = created["UploadId"]
    parts = _Parts(config.s3_multipart_concurrency)
    # One buffer per slot: a slot is reserved before a buffer is taken and freed only
    # after its request gave the buffer back, so a free one is always there.
    pool = PartPool(chunk_size, config.s3_multipart_concurrency)

    async def upload(number: int, part: mmap.mmap, length: int) -> CompletedPartTypeDef:
        try:
            answer = await runner.call(
                runner.client.upload_part,
                Bucket=bucket_id,
                Key=object_id,
                UploadId=upload_id,
                PartNumber=number,
                # Re-read from the start on a retry; the buffer is ours until we return.
                Body=cast("IO[Any]", PartBody(part, length)),
            )
        except BaseException:
            # After a timeout or a cancellation a thread may still be reading the buffer:
            # never hand it to another part (the upload fails and is aborted anyway).
            pool.discard(part)
            raise
        pool.release(part)
        return {"PartNumber": number, "ETag": answer["ETag"]}

    async def produce() -> None:
        number = 0
        while True:
            # Reserve the slot before reading: at most the parts in flight and the one
            # being filled are ever held in memory.
            await parts.reserve()
            part = pool.acquire()
            try:
                length = await buffer.fill_part(part)
            except BaseException:
                pool.release(part)
                raise
            if not length:
                pool.release(part)
                parts.unreserve()
                return
            number += 1
            if number > MAX_PART_NUMBER:
                pool.release(part)
                raise ValueError(
                    f"Object {object_id!r} needs more than {MAX_PART_NUMBER} parts of"
                    f" {chunk_size} bytes; raise s3_multipart_chunk_size to upload it."
                )
            parts.launch(functools.partial(upload, number, part, length))

    try:
        await _finish_or_abort(
            runner,
            parts,
            produce(),
            bucket_id=bucket_id,
            object_id=object_id,
            upload_id=upload_id,
            abort=True,
            condition=condition,
        )
    finally:
        pool.close()  # buffers still in a request are closed when it gives them back


async def multipart_copy(
    runner: Runner,
    config: S3Config,
    source: tuple[str, str],
    dest: tuple[str, str],
    *,
    size: int,
    content_type: str | None,
    abort_failed: bool,
) -> None:
    """Copy an object with UploadPartCopy ranges, for objects above CopyObject's limit."""
    (source_bucket, source_key), (dest_bucket, dest_key) = source, dest
    part_size = max(config.s3_copy_part_size, math.ceil(size / MAX_PART_NUMBER))
    extra: dict[str, Any] = {} if content_type is None else {"ContentType": content_type}
    created = await runner.call(
        runner.client.create_multipart_upload, Bucket=dest_bucket, Key=dest_key, **extra
    )
    upload_id: str = created["UploadId"]
    parts = _Parts(config.s3_multipart_concurrency)

    async def copy(number: int, first: int, last: int) -> CompletedPartTypeDef:
        answer = await runner.call(
            runner.client.upload_part_copy,
            Bucket=dest_bucket,
            Key=dest_key,
            UploadId=upload_id,
            PartNumber=number,
            CopySource={"Bucket": source_bucket, "Key": source_key},
            CopySourceRange=f"bytes={first}-{last}",
        )
        return {"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]}

    async def produce() -> None:
        for number, first in enumerate(range(0, size, part_size), start=1):
            last = min(first + part_size, size) - 1
            await parts.start(functools.partial(copy, number, first, last))

    await _finish_or_abort(
        runner,
        parts,
        produce(),
        bucket_id=dest_bucket,
        object_id=dest_key,
        upload_id=upload_id,
        abort=abort_failed,
        condition=conditional_write(config),
    )

"""The object-storage state machine: random operations on a provider and the memory reference.

Each example opens a fresh provider under test and a fresh memory object storage (with
the same 5 MiB minimum part size as S3) and runs random steps on both: buckets created,
listed and deleted, objects put, read, copied, deleted and listed by prefix, multipart
uploads begun, fed, completed and aborted, presigned POST uploads and GET downloads.
Every step must give the same outcome on both: the same bytes, sizes, content types and
object lists, or the same error class.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from hexkit.protocols.objstorage import ObjectStorageProtocol, PresignedTransfer
from hexkit.providers.memory import MemoryObjectStorage, MemoryObjectStorageConfig, MemoryTransfer

from ._base import AsyncMachine, Outcome, capture

__all__ = ["ObjectStorageMachine", "OpenObjectStorage"]

#: What a provider supplies: opens a fresh provider (an async context manager).
OpenObjectStorage = Callable[[], AbstractAsyncContextManager[ObjectStorageProtocol]]

_MIB = 1024 * 1024
_BUCKETS = ("one", "two")
_OBJECTS = st.sampled_from(["a", "a/b", "a/b/c", "ab", "b", "dir/\u00e9 x", "\U0001f600"])
_PREFIXES = st.sampled_from([None, "", "a", "a/", "a/b", "d", "z"])
_DATA = st.one_of(st.binary(max_size=64), st.just(b""))
_TYPES = st.sampled_from([None, "text/plain", "application/octet-stream"])


@dataclass
class _Side:
    """One provider of the pair, its transfer, and its IDs of open multipart uploads."""

    storage: ObjectStorageProtocol
    transfer: PresignedTransfer
    uploads: dict[int, str] = field(default_factory=dict)


class ObjectStorageMachine(AsyncMachine):
    """Runs every object storage operation on the provider and on the memory reference.

    Subclass it and set :attr:`open_provider` and :attr:`transfer`, or use
    :class:`~hexkit.testing.stateful.ObjectStorageStatefulTests`.
    """

    #: Opens a fresh provider under test; set by the subclass.
    open_provider: ClassVar[OpenObjectStorage]
    #: Follows the provider's presigned URLs; set by the subclass.
    transfer: ClassVar[PresignedTransfer]
    #: The smallest part but the last, as the provider enforces it (S3: 5 MiB).
    min_part_size: ClassVar[int] = 5 * _MIB

    def __init__(self) -> None:
        super().__init__()
        # Bucket IDs of this example only: the provider's server may be shared.
        self.prefix = f"m{uuid.uuid4().hex[:10]}"
        config = MemoryObjectStorageConfig(min_part_size=self.min_part_size)
        reference = self.run(
            self.stack.enter_async_context(MemoryObjectStorage.construct(config=config))
        )
        subject = self.run(self.stack.enter_async_context(type(self).open_provider()))
        self.sides = (_Side(reference, MemoryTransfer()), _Side(subject, type(self).transfer))
        self.uploads: list[tuple[str, str]] = []
        self.stack.push_async_callback(self._clean_up)

    def bucket(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def both(self, call: Callable[[_Side], Awaitable[Any]], what: str) -> Outcome:
        """Run ``call`` on the reference, then on the subject; assert equal outcomes."""
        reference = self.run(_call(call, self.sides[0]))
        subject = self.run(_call(call, self.sides[1]))
        assert subject == reference, (
            f"{what}: the provider gave {subject!r}, the memory reference {reference!r}"
        )
        return reference

    async def _clean_up(self) -> None:
        storage = self.sides[1].storage
        for name in _BUCKETS:
            bucket_id = self.bucket(name)
            if await storage.does_bucket_exist(bucket_id):
                for upload_id in await storage.list_multipart_uploads(bucket_id):
                    for _, object_id in self.uploads:
                        await capture(
                            storage.abort_multipart_upload(upload_id, bucket_id, object_id)
                        )
                await storage.delete_bucket(bucket_id, delete_content=True)

    # --- buckets -------------------------------------------------------------------

    @rule(name=st.sampled_from(_BUCKETS))
    def create_bucket(self, name: str) -> None:
        bucket_id = self.bucket(name)
        self.both(lambda side: side.storage.create_bucket(bucket_id), f"create_bucket({name})")

    @rule(name=st.sampled_from(_BUCKETS), content=st.booleans())
    def delete_bucket(self, name: str, content: bool) -> None:
        bucket_id = self.bucket(name)
        self.both(
            lambda side: side.storage.delete_bucket(bucket_id, delete_content=content),
            f"delete_bucket({name}, delete_content={content})",
        )

    @rule(name=st.sampled_from(_BUCKETS), prefix=_PREFIXES)
    def list_objects(self, name: str, prefix: str | None) -> None:
        bucket_id = self.bucket(name)

        async def listed(side: _Side) -> list[str]:
            return [key async for key in side.storage.list_object_ids(bucket_id, prefix=prefix)]

        self.both(listed, f"list_object_ids({name}, prefix={prefix!r})")

    # --- objects -------------------------------------------------------------------

    @rule(name=st.sampled_from(_BUCKETS), object_id=_OBJECTS, data=_DATA, kind=_TYPES)
    def put_object(self, name: str, object_id: str, data: bytes, kind: str | None) -> None:
        bucket_id = self.bucket(name)
        self.both(
            lambda side: side.storage.put_object(bucket_id, object_id, data, content_type=kind),
            f"put_object({name}, {object_id!r}, {data!r}, {kind!r})",
        )

    @rule(name=st.sampled_from(_BUCKETS), object_id=_OBJECTS)
    def read_object(self, name: str, object_id: str) -> None:
        bucket_id = self.bucket(name)

        async def read(side: _Side) -> tuple[bytes, int, str | None, bool]:
            content = b"".join(
                [chunk async for chunk in side.storage.get_object(bucket_id, object_id)]
            )
            meta = await side.storage.get_object_metadata(bucket_id, object_id)
            exists = await side.storage.does_object_exist(bucket_id, object_id)
            return content, meta.size, meta.content_type, exists

        self.both(read, f"read {name}/{object_id!r}")

    @rule(name=st.sampled_from(_BUCKETS), object_id=_OBJECTS)
    def delete_object(self, name: str, object_id: str) -> None:
        bucket_id = self.bucket(name)
        self.both(
            lambda side: side.storage.delete_object(bucket_id, object_id),
            f"delete_object({name}, {object_id!r})",
        )

    @rule(
        source=st.sampled_from(_BUCKETS),
        source_id=_OBJECTS,
        dest=st.sampled_from(_BUCKETS),
        dest_id=_OBJECTS,
    )
    def copy_object(self, source: str, source_id: str, dest: str, dest_id: str) -> None:
        source_bucket, dest_bucket = self.bucket(source), self.bucket(dest)
        self.both(
            lambda side: side.storage.copy_object(source_bucket, source_id, dest_bucket, dest_id),
            f"copy_object({source}/{source_id!r} -> {dest}/{dest_id!r})",
        )

    # --- presigned URLs --------------------------------------------------------------

    @rule(name=st.sampled_from(_BUCKETS), object_id=_OBJECTS, data=_DATA)
    def presigned_upload(self, name: str, object_id: str, data: bytes) -> None:
        bucket_id = self.bucket(name)

        async def upload(side: _Side) -> None:
            post = await side.storage.get_object_upload_url(bucket_id, object_id)
            await side.transfer.upload_post(post, data)

        self.both(upload, f"presigned upload {name}/{object_id!r} of {data!r}")

    @rule(name=st.sampled_from(_BUCKETS), object_id=_OBJECTS)
    def presigned_download(self, name: str, object_id: str) -> None:
        bucket_id = self.bucket(name)

        async def download(side: _Side) -> bytes:
            url = await side.storage.get_object_download_url(bucket_id, object_id)
            return await side.transfer.download(url)

        self.both(download, f"presigned download {name}/{object_id!r}")

    # --- multipart uploads ------------------------------------------------------------

    @rule(name=st.sampled_from(_BUCKETS), object_id=_OBJECTS)
    def init_multipart(self, name: str, object_id: str) -> None:
        bucket_id = self.bucket(name)
        number = len(self.uploads)

        async def init(side: _Side) -> None:
            side.uploads[number] = await side.storage.init_multipart_upload(bucket_id, object_id)

        outcome = self.both(init, f"init_multipart_upload({name}, {object_id!r})")
        if outcome[0] == "ok":
            self.uploads.append((name, object_id))

    @precondition(lambda self: bool(self.uploads))
    @rule(data=st.data(), finish=st.sampled_from(["complete", "abort"]))
    def finish_multipart(self, data: st.DataObject, finish: str) -> None:
        number = data.draw(st.integers(0, len(self.uploads) - 1))
        name, object_id = self.uploads[number]
        bucket_id = self.bucket(name)
        # One small part (valid: the last may be small), a full part and a small one, or
        # two small parts (refused on completion); rarely a full part, which costs 5 MiB.
        parts = data.draw(
            st.sampled_from([[b"tail"], [b"x", b"y"], [b""]])
            | st.just([b"\x01" * self.min_part_size, b"end"])
        )

        async def run(side: _Side) -> Any:
            upload_id = side.uploads[number]
            for part_number, part in enumerate(parts, start=1):
                url = await side.storage.get_part_upload_url(
                    upload_id, bucket_id, object_id, part_number
                )
                await side.transfer.upload_part(url, part)
            if finish == "abort":
                return await side.storage.abort_multipart_upload(upload_id, bucket_id, object_id)
            return await side.storage.complete_multipart_upload(upload_id, bucket_id, object_id)

        self.both(run, f"{finish} multipart upload #{number} of {len(parts)} parts")
        self.list_uploads(name)

    @rule(name=st.sampled_from(_BUCKETS))
    def list_uploads(self, name: str) -> None:
        bucket_id = self.bucket(name)

        async def count(side: _Side) -> int:
            return len(await side.storage.list_multipart_uploads(bucket_id))

        self.both(count, f"list_multipart_uploads({name})")


async def _call(call: Callable[[_Side], Awaitable[Any]], side: _Side) -> Outcome:
    async def awaited() -> Any:
        return await call(side)

    return await capture(awaited())

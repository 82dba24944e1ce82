"""Conformance tests: a closed object storage refuses every call with one clear error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from hexkit.protocols.objstorage import (
    ObjectStorageProtocol,
    StorageClosedError,
    StorageUnavailableError,
)

from ._base import ObjectStorageKitBase, drain

__all__ = ["LifecycleTests"]


class LifecycleTests(ObjectStorageKitBase):
    """What a storage does once the block that constructed it has exited."""

    def open_storage(
        self, storage: ObjectStorageProtocol
    ) -> AbstractAsyncContextManager[ObjectStorageProtocol]:
        """Open another storage configured like ``storage``, to close it in a test.

        The default is ``type(storage).construct(config=storage.config)``; override it
        if the provider is built another way.
        """
        config = getattr(storage, "config", None)
        construct = getattr(type(storage), "construct", None)
        if config is None or construct is None:
            pytest.fail(
                f"{type(storage).__name__} has no config property or construct(); override"
                " open_storage() in the conformance test class."
            )
        opened: AbstractAsyncContextManager[ObjectStorageProtocol] = construct(config=config)
        return opened

    async def test_a_closed_storage_refuses_every_call(
        self, storage: ObjectStorageProtocol
    ) -> None:
        async with self.open_storage(storage) as opened:
            bucket_id = await self.new_bucket(opened)
            await opened.put_object(bucket_id, "kept.txt", b"kept")
            # Iterators made while open, consumed after the close.
            listing = opened.list_object_ids(bucket_id)
            download = opened.get_object(bucket_id, "kept.txt")

        async def listed() -> list[str]:
            return [object_id async for object_id in listing]

        async def list_again() -> list[str]:
            return [object_id async for object_id in opened.list_object_ids(bucket_id)]

        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "does_bucket_exist": lambda: opened.does_bucket_exist(bucket_id),
            "create_bucket": lambda: opened.create_bucket(self.unused_bucket()),
            "delete_bucket": lambda: opened.delete_bucket(bucket_id, delete_content=True),
            "list_object_ids (made before the close)": listed,
            "list_object_ids": list_again,
            "does_object_exist": lambda: opened.does_object_exist(bucket_id, "kept.txt"),
            "get_object_metadata": lambda: opened.get_object_metadata(bucket_id, "kept.txt"),
            "put_object": lambda: opened.put_object(bucket_id, "new.txt", b"new"),
            "get_object (made before the close)": lambda: drain(download),
            "get_object": lambda: drain(opened.get_object(bucket_id, "kept.txt")),
            "copy_object": lambda: opened.copy_object(bucket_id, "kept.txt", bucket_id, "c.txt"),
            "delete_object": lambda: opened.delete_object(bucket_id, "kept.txt"),
            "get_object_download_url": lambda: opened.get_object_download_url(
                bucket_id, "kept.txt"
            ),
            "get_object_upload_url": lambda: opened.get_object_upload_url(bucket_id, "up.txt"),
            "init_multipart_upload": lambda: opened.init_multipart_upload(bucket_id, "mp.bin"),
        }
        for name, call in calls.items():
            with pytest.raises(StorageClosedError) as info:
                await call()
            assert not isinstance(info.value, StorageUnavailableError), name
            assert "closed" in str(info.value), name

"""The object-storage state machine: S3 against the memory reference, operation by operation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from hexkit.protocols.objstorage import ObjectStorageProtocol
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture, S3Server
from hexkit.testing.stateful import ObjectStorageStatefulTests, OpenObjectStorage


class TestS3ObjectStorageMachine(ObjectStorageStatefulTests):
    """Each example opens a storage on the session's server; its buckets are its own."""

    max_examples = 10  # HTTP round trips to the server: a smaller CI budget

    @pytest.fixture
    def open_object_storage(self, s3_server: S3Server) -> OpenObjectStorage:
        @asynccontextmanager
        async def open_storage() -> AsyncIterator[ObjectStorageProtocol]:
            async with S3Fixture.open(s3_server) as fixture:
                yield fixture.storage

        return open_storage

    @pytest.fixture
    def transfer(self) -> HttpTransfer:
        return HttpTransfer()

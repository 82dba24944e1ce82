"""The file services' download path on a replicated SeaweedFS cluster with a crashed node.

Files go in through the upload controller (parts over presigned URLs), the registry moves
them to permanent storage, and the download controller stages them into its outbox
bucket. Then the volume server holding the most chunks is SIGKILLed, and every file must
still download through its DRS access URL with the content that was uploaded.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from file_services_harness import FileServices, run_file_services

from hexkit.providers.memory import MemoryDaoFactory
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture, SeaweedCluster

pytestmark = pytest.mark.asyncio

PART_SIZE = 5 * 1024 * 1024  # S3's smallest part other than the last
# One file of three parts, one of a single part, and small ones.
SIZES = [2 * PART_SIZE + 1234, PART_SIZE, 100_000, 2_000, 1]


@pytest_asyncio.fixture
async def services(s3_cluster: SeaweedCluster) -> AsyncIterator[FileServices]:
    async with (
        S3Fixture.open(s3_cluster.s3_server()) as s3,
        run_file_services(
            MemoryDaoFactory(), s3.storage, HttpTransfer(), part_size=PART_SIZE
        ) as services,
    ):
        yield services


async def test_staged_files_download_intact_after_a_volume_server_crashed(
    services: FileServices, s3_cluster: SeaweedCluster
) -> None:
    uploaded: dict[str, str] = {}
    for number, size in enumerate(SIZES):
        data = os.urandom(size)
        file_id = f"file-{number}"
        await services.upload(file_id, data)
        uploaded[file_id] = hashlib.sha256(data).hexdigest()
    await services.settle()
    for file_id in uploaded:  # staged into the outbox bucket
        assert (await services.downloads.get(f"/objects/{file_id}")).status_code == 202
    await services.settle()

    counts = {node.name: node.stored_files(services.outbox_bucket) for node in s3_cluster.volumes}
    victim = max(s3_cluster.volumes, key=lambda node: counts[node.name])
    assert counts[victim.name] > 0, counts
    victim.kill()

    downloaded = {
        file_id: hashlib.sha256(await services.download(file_id)).hexdigest()
        for file_id in uploaded
    }
    assert downloaded == uploaded

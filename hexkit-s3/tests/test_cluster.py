"""The provider on a replicated SeaweedFS cluster: a crashed volume server loses nothing.

The ``s3_cluster`` fixture starts a master, three volume servers keeping every volume
twice (replication ``001``) and a filer with the S3 gateway, each a process of its own.
Objects written through the provider must read back byte for byte, through the provider
and through presigned URLs, after the volume server holding the most of them is SIGKILLed.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from hexkit.providers.s3 import S3ObjectStorage
from hexkit.providers.s3.testutils import HttpTransfer, S3Fixture, SeaweedCluster, SeaweedNode
from hexkit.providers.s3.testutils import _cluster as cluster_module
from hexkit.providers.s3.testutils._backends import seaweed_identities
from hexkit.providers.s3.testutils._seaweedfs import weed_binary

from ._helpers import MIB, chunks, drain, payload

BUCKET = "durable"
PART = 5 * MIB  # the smallest part S3 allows: multipart objects stay cheap
# 100 objects: many small ones of varied sizes, some of a few parts, one of none.
SIZES = [0, 1, PART - 1, PART, 2 * PART + 17, 3 * PART + 1] + [
    (number * 7919) % (256 * 1024) + number for number in range(94)
]
IN_FLIGHT = 8


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def bounded(jobs: list[Callable[[], Awaitable[None]]]) -> None:
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(job: Callable[[], Awaitable[None]]) -> None:
        async with slots:
            await job()

    await asyncio.gather(*(one(job) for job in jobs))


async def write_objects(storage: S3ObjectStorage) -> dict[str, str]:
    """Write the 100 objects (multipart ones as streams); return their sha256 by name."""
    written: dict[str, str] = {}

    def job(number: int, size: int) -> Callable[[], Awaitable[None]]:
        async def put() -> None:
            data = payload(size, seed=number)
            object_id = f"object-{number:03d}"
            await storage.put_object(BUCKET, object_id, chunks(data, MIB))
            written[object_id] = sha256(data)

        return put

    await storage.create_bucket(BUCKET)
    await bounded([job(number, size) for number, size in enumerate(SIZES)])
    assert len(written) == len(SIZES) == 100
    return written


async def read_back(
    written: dict[str, str], read: Callable[[str], Awaitable[bytes]]
) -> tuple[list[str], list[str]]:
    """Read every object with ``read``; return the names of lost and of corrupt ones."""
    lost: list[str] = []
    corrupt: list[str] = []

    def job(object_id: str) -> Callable[[], Awaitable[None]]:
        async def check() -> None:
            try:
                data = await read(object_id)
            except Exception:  # noqa: BLE001 - any failure to read counts as a loss
                lost.append(object_id)
            else:
                if sha256(data) != written[object_id]:
                    corrupt.append(object_id)

        return check

    await bounded([job(object_id) for object_id in written])
    return sorted(lost), sorted(corrupt)


def fullest(cluster: SeaweedCluster) -> SeaweedNode:
    """The volume server holding the most chunks of the bucket (it must hold some)."""
    counts = {node.name: node.stored_files(BUCKET) for node in cluster.volumes}
    victim = max(cluster.volumes, key=lambda node: counts[node.name])
    assert counts[victim.name] > 0, counts
    # Replication 001: every chunk is on two servers, so the three hold twice the chunks.
    assert sum(counts.values()) % 2 == 0, counts
    return victim


@pytest.mark.asyncio
async def test_objects_survive_a_crashed_volume_server(s3_cluster: SeaweedCluster) -> None:
    server = s3_cluster.s3_server()
    transfer = HttpTransfer()
    options = {"s3_multipart_threshold": PART, "s3_multipart_chunk_size": PART}
    async with S3Fixture.open(server, **options) as s3:
        storage = s3.storage
        written = await write_objects(storage)
        victim = fullest(s3_cluster)

        victim.kill()
        assert not victim.running

        async def through_provider(object_id: str) -> bytes:
            return await drain(storage.get_object(BUCKET, object_id))

        async def through_url(object_id: str) -> bytes:
            url = await storage.get_object_download_url(BUCKET, object_id, expires_after=300)
            return await transfer.download(url)

        assert await read_back(written, through_provider) == ([], [])
        assert await read_back(written, through_url) == ([], [])

        # The crashed server comes back on its ports and data; the cluster writes again.
        s3_cluster.restart_volume(s3_cluster.volumes.index(victim))
        await storage.put_object(BUCKET, "after-restart", b"back")
        assert await drain(storage.get_object(BUCKET, "after-restart")) == b"back"


def cluster_processes(marker: bytes = b"hexkit-seaweedfs-cluster-") -> set[int]:
    """PIDs of running processes whose command line names a cluster directory (``marker``)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:  # not a process, or it ended meanwhile
            continue
        if marker in command and (entry / "stat").read_text().split()[2] != "Z":
            found.add(int(entry.name))
    return found


def test_a_cluster_whose_volume_server_fails_is_stopped_and_deleted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "weed"
    # The real weed for the master; volume servers fail at once, as on a full disk.
    fake.write_text(
        f'#!/bin/sh\nif [ "$1" = volume ]; then echo "no space left on device"; exit 3; fi\n'
        f'exec {weed_binary()} "$@"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setattr(cluster_module, "weed_binary", lambda: fake)
    # Another test process may run a cluster meanwhile: look at this cluster's own only.
    made: list[str] = []
    mkdtemp = tempfile.mkdtemp

    def recorded_mkdtemp(*args: Any, **kwargs: Any) -> str:
        made.append(mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", recorded_mkdtemp)
    cluster = SeaweedCluster(seaweed_identities())
    with pytest.raises(RuntimeError, match=r"volume-\d'.*exited") as info:
        cluster.start()
    assert "no space left on device" in str(info.value)  # the failing node's log
    assert cluster.nodes == []
    (directory,) = [path for path in made if "hexkit-seaweedfs-cluster-" in path]
    assert cluster_processes(directory.encode()) == set()  # the started master is gone too
    assert not Path(directory).exists()

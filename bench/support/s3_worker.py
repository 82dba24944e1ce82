"""One measured S3 transfer in a fresh process: ``python -m support.s3_worker '<job>'``.

bench/s3.py starts one worker per measurement, so each client is measured alone, from
the same state: its imports and a warm-up transfer (operation models, threads, the Rust
runtime) are done first; then freed heap goes back to the OS, the kernel's peak-RSS mark
is reset, and only the measured transfer counts. The job is a JSON object (client, op,
key, size, endpoint, settings); the secret key comes in ``HEXKIT_BENCH_S3_SECRET``. The
worker prints one JSON line: wall seconds, CPU seconds of the process (all threads),
bytes moved and peak RSS growth.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from support.s3 import (
    MIB,
    RepeatingReader,
    Sink,
    peak_rss,
    release_free_memory,
    reset_peak_rss,
    rss,
    stream,
)

WARM_UP_SIZE = 16 * MIB  # over the provider's multipart threshold: warms the part path
Transfer = Callable[[str, int], Awaitable[int]]
Transfers = AsyncIterator[tuple[Transfer, Transfer]]  # (put, get) of one client


@asynccontextmanager
async def provider_transfers(job: dict[str, Any], secret: str) -> Transfers:
    from hexkit.providers.s3 import S3Config, S3ObjectStorage  # noqa: PLC0415

    config = S3Config(
        s3_endpoint_url=job["endpoint"],
        s3_access_key_id=job["key_id"],
        s3_secret_access_key=secret,
        **job.get("settings", {}),
    )
    async with S3ObjectStorage.construct(config=config) as storage:

        async def put(key: str, size: int) -> int:
            await storage.put_object(job["bucket"], key, stream(size))
            return size

        async def get(key: str, _: int) -> int:
            return sum([len(chunk) async for chunk in storage.get_object(job["bucket"], key)])

        yield put, get


@asynccontextmanager
async def boto3_transfers(job: dict[str, Any], secret: str) -> Transfers:
    import boto3  # noqa: PLC0415
    from boto3.s3.transfer import TransferConfig  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    client = boto3.client(
        "s3",
        endpoint_url=job["endpoint"],
        aws_access_key_id=job["key_id"],
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    transfer = TransferConfig()  # boto3's defaults: 8 MiB parts, 10 threads

    async def put(key: str, size: int) -> int:
        reader = RepeatingReader(size)
        client.upload_fileobj(reader, job["bucket"], key, Config=transfer)
        return size

    async def get(key: str, _: int) -> int:
        sink = Sink()
        client.download_fileobj(job["bucket"], key, sink, Config=transfer)
        return sink.written

    yield put, get
    client.close()


@asynccontextmanager
async def obstore_transfers(job: dict[str, Any], secret: str) -> Transfers:
    import obstore  # noqa: PLC0415
    from obstore.store import S3Store  # noqa: PLC0415

    store = S3Store(
        job["bucket"],
        endpoint=job["endpoint"],
        access_key_id=job["key_id"],
        secret_access_key=secret,
        region="us-east-1",
        virtual_hosted_style_request=False,
        client_options={"allow_http": True},
    )

    async def put(key: str, size: int) -> int:
        # Its defaults: 5 MiB parts, 12 in flight.
        await obstore.put_async(store, key, stream(size))
        return size

    async def get(key: str, _: int) -> int:
        result = await obstore.get_async(store, key)
        return sum([len(chunk) async for chunk in result.stream()])

    yield put, get


CLIENTS = {"provider": provider_transfers, "boto3": boto3_transfers, "obstore": obstore_transfers}


async def run(job: dict[str, Any], secret: str) -> dict[str, float]:
    async with CLIENTS[job["client"]](job, secret) as (put, get):
        return await measure(job, put, get)


async def measure(job: dict[str, Any], put: Transfer, get: Transfer) -> dict[str, float]:
    """Warm up, then time one transfer and record the peak RSS growth it causes."""
    action = put if job["op"] == "put" else get
    warm_key = f"warm-{job['client']}-{os.getpid()}"
    await put(warm_key, WARM_UP_SIZE)
    await get(warm_key, WARM_UP_SIZE)
    release_free_memory()
    baseline = rss()
    reset_peak_rss()
    cpu, started = time.process_time(), time.perf_counter()
    moved = await action(job["key"], job["size"])
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    growth = peak_rss() - baseline
    return {"seconds": seconds, "cpu": cpu, "bytes": moved, "rss_growth": growth}


def main() -> None:
    job = json.loads(sys.argv[1])
    secret = os.environ["HEXKIT_BENCH_S3_SECRET"]
    print(json.dumps(asyncio.run(run(job, secret))), flush=True)
    # Skip interpreter teardown: obstore 0.12's runtime can abort the process (SIGABRT)
    # while Python finalizes, after the result is out. Every client exits the same way.
    os._exit(0)


if __name__ == "__main__":
    main()

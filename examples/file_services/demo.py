"""Run the three file services on loopback and push a file through them over real HTTP.

``nox -s demo`` runs this. By default it starts an embedded MongoDB-compatible server
(SecantusDB) and an S3-compatible server (moto) on loopback; set ``DEMO_MONGO_DSN`` and
``DEMO_S3_ENDPOINT_URL`` (with ``DEMO_S3_ACCESS_KEY_ID`` / ``DEMO_S3_SECRET_ACCESS_KEY``)
to use real ones instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

MIB = 1024 * 1024
FILE_SIZE = 20 * MIB + 123_457
PART_SIZE = 5 * MIB
SERVICES = ("upload_controller", "file_registry", "download_controller")


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Backends:
    """Where the services keep records and files."""

    mongo_dsn: str
    s3_endpoint_url: str
    s3_access_key_id: str
    s3_secret_access_key: str


@contextmanager
def backends() -> Iterator[Backends]:
    """Use the servers named in the environment, or start embedded ones on loopback."""
    if os.environ.get("DEMO_MONGO_DSN") and os.environ.get("DEMO_S3_ENDPOINT_URL"):
        yield Backends(
            mongo_dsn=os.environ["DEMO_MONGO_DSN"],
            s3_endpoint_url=os.environ["DEMO_S3_ENDPOINT_URL"],
            s3_access_key_id=os.environ.get("DEMO_S3_ACCESS_KEY_ID", ""),
            s3_secret_access_key=os.environ.get("DEMO_S3_SECRET_ACCESS_KEY", ""),
        )
        return
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - only for the embedded setup
    from secantus import SecantusDBServer  # noqa: PLC0415 - only for the embedded setup

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request log lines
    with tempfile.TemporaryDirectory(prefix="hexkit-demo-") as data_dir:
        mongo = SecantusDBServer(host="127.0.0.1", port=0, storage_path=data_dir)
        mongo.start()
        s3_port = free_port()
        s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
        s3.start()
        try:
            yield Backends(
                mongo_dsn=mongo.uri,
                s3_endpoint_url=f"http://127.0.0.1:{s3_port}",
                s3_access_key_id="demo-access-key",
                s3_secret_access_key="demo-secret-key",  # noqa: S106 - moto accepts any key
            )
        finally:
            s3.stop()
            mongo.stop()


def wait_until_up(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    """Poll ``url`` until it answers, the process dies, or the deadline passes."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode} before it answered")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within the deadline")


@contextmanager
def running_services(found: Backends) -> Iterator[dict[str, str]]:
    """Start the three services with uvicorn on loopback; yield their base URLs."""
    ports = {name: free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "DAO_PROVIDER": "mongodb",
        "OBJSTORAGE_PROVIDER": "s3",
        "DAO_CONFIG": json.dumps({"mongo_dsn": found.mongo_dsn, "db_name": "file_services_demo"}),
        "OBJSTORAGE_CONFIG": json.dumps(
            {
                "s3_endpoint_url": found.s3_endpoint_url,
                "s3_access_key_id": found.s3_access_key_id,
                "s3_secret_access_key": found.s3_secret_access_key,
            }
        ),
        "FILE_REGISTRY_URL": urls["file_registry"],
        "DOWNLOAD_CONTROLLER_URL": urls["download_controller"],
        "DEFAULT_PART_SIZE": str(PART_SIZE),
    }
    with ExitStack() as stack:
        for name in SERVICES:
            command = [
                sys.executable, "-m", "uvicorn", f"file_services.{name}.wiring:create_service_app",
                "--factory", "--host", "127.0.0.1", "--port", str(ports[name]),
                "--log-level", "warning",
            ]  # fmt: skip
            process = subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter
            stack.callback(process.wait, 10)
            stack.callback(process.terminate)
            wait_until_up(f"{urls[name]}/openapi.json", process, time.monotonic() + 60)
        yield urls


async def client_flow(urls: dict[str, str]) -> None:
    """Do what a client does: upload in parts, wait for registration, download, verify."""
    data = os.urandom(FILE_SIZE)
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    file_id = f"demo-{int(time.time())}"
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=120) as http:
        uploads = urls["upload_controller"]
        created = await http.post(
            f"{uploads}/uploads",
            json={"file_id": file_id, "size": FILE_SIZE, "part_size": PART_SIZE},
        )
        created.raise_for_status()
        part_count = created.json()["part_count"]
        for number in range(1, part_count + 1):
            url = (await http.post(f"{uploads}/uploads/{file_id}/parts/{number}")).json()["url"]
            part = data[(number - 1) * PART_SIZE : number * PART_SIZE]
            (await http.put(url, content=part)).raise_for_status()
        completed = await http.post(
            f"{uploads}/uploads/{file_id}/complete", json={"part_count": part_count, "md5": md5}
        )
        completed.raise_for_status()
        deadline = time.monotonic() + 60
        while (await http.get(f"{uploads}/uploads/{file_id}")).json()["status"] != "registered":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{file_id} was not registered within 60 s")
            await asyncio.sleep(0.2)
        drs = (await http.get(f"{urls['download_controller']}/objects/{file_id}")).json()
        download = await http.get(drs["access_methods"][0]["access_url"]["url"])
        download.raise_for_status()
    verified = hashlib.md5(download.content, usedforsecurity=False).hexdigest()
    if verified != md5 or drs["checksums"][0]["checksum"] != md5:
        raise SystemExit(f"checksum mismatch: uploaded {md5}, downloaded {verified}")
    print(f"file id:        {file_id}")
    print(f"uploaded:       {FILE_SIZE} bytes in {part_count} parts of {PART_SIZE} bytes")
    print(f"registered:     {drs['self_uri']} ({drs['size']} bytes)")
    print(f"downloaded:     {len(download.content)} bytes via the presigned DRS access URL")
    print(f"round trip:     {time.monotonic() - started:.1f} s")
    print(f"verified md5:   {verified}")


def main() -> None:
    """Start backends and services, run the client, stop everything."""
    with backends() as found, running_services(found) as urls:
        asyncio.run(client_flow(urls))


if __name__ == "__main__":
    main()

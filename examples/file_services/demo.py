"""Run the three file services on loopback and push a file through them over real HTTP.

``nox -s demo`` runs this. ``DEMO_DAO_PROVIDER`` picks the database: ``mongodb`` (default)
or ``postgres``. By default the demo starts embedded servers on loopback: SecantusDB
(MongoDB-compatible) or PostgreSQL from hexkit-postgres's test utilities, and SeaweedFS for
S3 from hexkit-s3's (a real object store that checks signatures and POST policies).
Set ``DEMO_MONGO_DSN`` / ``DEMO_POSTGRES_DSN`` to use a real database, and
``DEMO_S3_ENDPOINT_URL`` (with ``DEMO_S3_ACCESS_KEY_ID`` / ``DEMO_S3_SECRET_ACCESS_KEY``)
to use a real S3 service.

The demo is also the deployment's access decision: it makes the issuer's key pair and the
services' hand-off keys, gives each service only the public key and its keys, and issues a
work order (a short-lived JWT) for each step a client takes. It ends by showing that a
download with a forged work order is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex
from typing import Any

import httpx
from pydantic import SecretStr

from hexkit.testing import free_port  # hexkit[testing]: the demo starts test servers

from .common.issuer import KeyPair, WorkOrderIssuer, generate_key_pair
from .common.work_orders import Operation

MIB = 1024 * 1024
FILE_SIZE = 20 * MIB + 123_457
PART_SIZE = 5 * MIB
SERVICES = ("upload_controller", "file_registry", "download_controller")
DAO_PROVIDERS = ("mongodb", "postgres")
DATABASE = "file_services_demo"  # MongoDB database or PostgreSQL schema of the demo


@dataclass(frozen=True)
class Keys:
    """The deployment's secrets: the issuer's key pair and each service's hand-off key."""

    work_orders: KeyPair
    hand_offs: dict[str, SecretStr]

    @classmethod
    def generate(cls) -> Keys:
        """Make fresh keys for one run of the demo."""
        return cls(
            generate_key_pair("ES256"), {name: SecretStr(token_hex(32)) for name in SERVICES}
        )

    def env(self, service: str) -> dict[str, str]:
        """Return what ``service`` is given: the public key, its own and its senders' keys."""
        senders = {n: k.get_secret_value() for n, k in self.hand_offs.items() if n != service}
        return {
            "WORK_ORDER_PUBLIC_KEY": self.work_orders.public_pem,
            "HAND_OFF_KEY": self.hand_offs[service].get_secret_value(),
            "HAND_OFF_SENDER_KEYS": json.dumps(senders),
        }


@dataclass(frozen=True)
class Access:
    """The step that decides access: it issues one work order per operation and file."""

    issuer: WorkOrderIssuer

    def grant(self, service: str, operation: Operation, file_id: str) -> dict[str, str]:
        """Return the header carrying a fresh work order (the token itself is never printed)."""
        return {"Authorization": f"Bearer {self.issuer.issue(service, operation, file_id)}"}


@dataclass(frozen=True)
class Backends:
    """Where the services keep records and files: provider names and their settings."""

    dao_provider: str
    dao_config: dict[str, Any]
    objstorage_config: dict[str, Any]


def starting(what: str) -> None:
    """Say what starts now: embedded servers take seconds, and silence looks like a hang."""
    print(f"{'starting':<34} {what}", flush=True)


def dao_provider() -> str:
    """Return the database the demo runs on, from ``DEMO_DAO_PROVIDER``."""
    name = os.environ.get("DEMO_DAO_PROVIDER", "").strip() or "mongodb"
    if name not in DAO_PROVIDERS:
        raise SystemExit(
            f"DEMO_DAO_PROVIDER={name!r} is not a database of the demo;"
            f" use one of {', '.join(DAO_PROVIDERS)}."
        )
    return name


def mongodb_config(stack: ExitStack) -> dict[str, Any]:
    """Use ``DEMO_MONGO_DSN``, or start SecantusDB in a temporary directory."""
    dsn = os.environ.get("DEMO_MONGO_DSN")
    if not dsn:
        from secantus import SecantusDBServer  # noqa: PLC0415 - only for the embedded setup

        starting("SecantusDB (MongoDB-compatible) on loopback")
        data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="hexkit-demo-"))
        server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=data_dir)
        server.start()
        stack.callback(server.stop)
        dsn = server.uri
    return {"mongo_dsn": dsn, "db_name": DATABASE}


def postgres_config(stack: ExitStack) -> dict[str, Any]:
    """Use ``DEMO_POSTGRES_DSN``, or start embedded PostgreSQL in a temporary directory."""
    dsn = os.environ.get("DEMO_POSTGRES_DSN")
    if not dsn:
        # The same server the hexkit-postgres test fixtures run (hexkit-postgres[testing]).
        from hexkit.providers.postgres.testutils import EmbeddedPostgres  # noqa: PLC0415

        starting("embedded PostgreSQL")
        dsn = stack.enter_context(EmbeddedPostgres()).dsn
    return {"postgres_dsn": dsn, "postgres_schema": DATABASE}


def s3_config(stack: ExitStack) -> dict[str, Any]:
    """Use ``DEMO_S3_ENDPOINT_URL`` and its keys, or start SeaweedFS on loopback."""
    endpoint_url = os.environ.get("DEMO_S3_ENDPOINT_URL")
    if endpoint_url:
        return {
            "s3_endpoint_url": endpoint_url,
            "s3_access_key_id": os.environ.get("DEMO_S3_ACCESS_KEY_ID", ""),
            "s3_secret_access_key": os.environ.get("DEMO_S3_SECRET_ACCESS_KEY", ""),
        }
    # The same server the hexkit-s3 test fixtures run by default (hexkit-s3[testing]).
    from hexkit.providers.s3.testutils import start_server  # noqa: PLC0415

    starting("SeaweedFS (S3) on loopback")
    server = stack.enter_context(start_server("embedded"))
    values = server.config_values()
    # The services read their settings as JSON: the secret goes in as plain text.
    return {**values, "s3_secret_access_key": server.secret_access_key.get_secret_value()}


@contextmanager
def backends() -> Iterator[Backends]:
    """Use the servers named in the environment, or start embedded ones on loopback."""
    provider = dao_provider()
    database = {"mongodb": mongodb_config, "postgres": postgres_config}[provider]
    with ExitStack() as stack:
        yield Backends(
            dao_provider=provider, dao_config=database(stack), objstorage_config=s3_config(stack)
        )


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
def running_services(found: Backends, keys: Keys) -> Iterator[dict[str, str]]:
    """Start the three services with uvicorn on loopback; yield their base URLs."""
    ports = {name: free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "DAO_PROVIDER": found.dao_provider,
        "OBJSTORAGE_PROVIDER": "s3",
        "DAO_CONFIG": json.dumps(found.dao_config),
        "OBJSTORAGE_CONFIG": json.dumps(found.objstorage_config),
        "UPLOAD_CONTROLLER_URL": urls["upload_controller"],
        "FILE_REGISTRY_URL": urls["file_registry"],
        "DOWNLOAD_CONTROLLER_URL": urls["download_controller"],
        "DEFAULT_PART_SIZE": str(PART_SIZE),
    }
    with ExitStack() as stack:
        for name in SERVICES:
            starting(f"{name} at {urls[name]}")
            command = [
                sys.executable, "-m", "uvicorn", f"file_services.{name}.wiring:create_service_app",
                "--factory", "--host", "127.0.0.1", "--port", str(ports[name]),
                "--log-level", "warning",
            ]  # fmt: skip
            service_env = {**env, **keys.env(name)}
            process = subprocess.Popen(command, env=service_env)  # noqa: S603 - our own interpreter
            stack.callback(process.wait, 10)
            stack.callback(process.terminate)
            wait_until_up(f"{urls[name]}/openapi.json", process, time.monotonic() + 60)
        yield urls


def step(label: str, response: httpx.Response, detail: str = "") -> httpx.Response:
    """Print one step with its HTTP status; stop the demo on an unexpected failure."""
    print(f"{label:<34} HTTP {response.status_code}  {detail}".rstrip())
    if response.is_error:
        raise SystemExit(f"{label} failed: {response.text}")
    return response


async def poll(
    http: httpx.AsyncClient, url: str, done: Callable[[httpx.Response], bool], what: str
) -> httpx.Response:
    """GET ``url`` until ``done`` says so, honouring Retry-After; give up after 60 s."""
    deadline = time.monotonic() + 60
    while not done(response := await http.get(url)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within 60 s: {response.text}")
        await asyncio.sleep(min(float(response.headers.get("Retry-After", 0.2)), 2))
    return response


async def client_flow(urls: dict[str, str], access: Access) -> None:
    """Do what a client does: announce, upload in parts, wait for registration, download."""
    data = os.urandom(FILE_SIZE)
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    file_id = f"demo-{int(time.time())}"
    uploads, downloads = urls["upload_controller"], urls["download_controller"]
    print(f"{'access decision':<34} work orders for {file_id}: upload, download (ES256, 60 s)")
    upload = access.grant("upload_controller", Operation.START_UPLOAD, file_id)
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=120) as http:
        body = {"file_id": file_id, "size": FILE_SIZE}
        announced = await http.post(f"{uploads}/files", json=body, headers=upload)
        step("announce the file", announced, file_id)
        attempt = step(
            "open an upload attempt",
            await http.post(
                f"{uploads}/files/{file_id}/attempts",
                json={"part_size": PART_SIZE},
                headers=upload,
            ),
        ).json()
        attempt_id, part_count = attempt["attempt_id"], attempt["part_count"]
        for number in range(1, part_count + 1):
            url = (
                await http.post(f"{uploads}/attempts/{attempt_id}/parts/{number}", headers=upload)
            ).json()
            part = data[(number - 1) * PART_SIZE : number * PART_SIZE]
            put = await http.put(url["url"], content=part)
            step(f"upload part {number}/{part_count}", put, f"{len(part)} bytes to the inbox")
        completion = {"part_count": part_count, "md5": md5}
        completed = await http.post(
            f"{uploads}/attempts/{attempt_id}/complete",
            json=completion,
            headers=access.grant("upload_controller", Operation.COMPLETE_UPLOAD, file_id),
        )
        step("complete the upload", completed, f"attempt {completed.json()['status']}")
        http.headers.update(upload)  # polling the attempt
        accepted = await poll(
            http,
            f"{uploads}/attempts/{attempt_id}",
            lambda r: r.json()["status"] != "uploaded",
            "registration",
        )
        step("registration", accepted, f"attempt {accepted.json()['status']}")
        if accepted.json()["status"] != "accepted":
            raise SystemExit(f"the registry refused the file: {accepted.json()['reason']}")
        forged = Access(WorkOrderIssuer(generate_key_pair("ES256").private_pem))
        http.headers.update(forged.grant("download_controller", Operation.DOWNLOAD, file_id))
        refused = await http.get(f"{downloads}/objects/{file_id}")
        print(f"{'download with a forged work order':<34} HTTP {refused.status_code}  refused")
        if refused.status_code != 403:
            raise SystemExit(f"a forged work order was not refused: {refused.text}")
        http.headers.update(access.grant("download_controller", Operation.DOWNLOAD, file_id))
        first = await poll(
            http, f"{downloads}/objects/{file_id}", lambda r: r.status_code != 404, "publication"
        )
        retry_after = first.headers.get("Retry-After")
        step("download request", first, f"Retry-After: {retry_after}" if retry_after else "")
        drs = await poll(
            http, f"{downloads}/objects/{file_id}", lambda r: r.status_code != 202, "staging"
        )
        step("staged, download request again", drs, "DRS object with the outbox URL")
        drs_object = drs.json()
        download = await http.get(drs_object["access_methods"][0]["access_url"]["url"])
        step("download from the outbox bucket", download, f"{len(download.content)} bytes")
    verified = hashlib.md5(download.content, usedforsecurity=False).hexdigest()
    if verified != md5 or drs_object["checksums"][0]["checksum"] != md5:
        raise SystemExit(f"checksum mismatch: uploaded {md5}, downloaded {verified}")
    print(f"{'checksum verified':<34} md5 {verified}")
    print(f"{'round trip':<34} {time.monotonic() - started:.1f} s for {FILE_SIZE} bytes")


def main() -> None:
    """Start backends and services, run the client, stop everything."""
    keys = Keys.generate()
    access = Access(WorkOrderIssuer(keys.work_orders.private_pem))
    with backends() as found, running_services(found, keys) as urls:
        print(f"{'database':<34} {found.dao_provider}, S3 for the buckets")
        asyncio.run(client_flow(urls, access))


if __name__ == "__main__":
    main()

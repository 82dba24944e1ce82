"""``hexkit dev``: start the embedded servers, use them with the printed settings, stop, restart.

The command runs as a child process, as a developer runs it; the test reads the settings
it prints, sets them in its own environment and opens the providers by name through the
registry, so the variable names are the ones the providers' settings models read.
"""

from __future__ import annotations

import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydantic import BaseModel

from hexkit.cli import main
from hexkit.registry import open_provider

START_DEADLINE = 180.0  # seconds for three servers on a loaded two-core machine
STOP_DEADLINE = 90.0
READY = "# hexkit dev: ready; Ctrl-C or SIGTERM stops the servers"


class Note(BaseModel):
    id: str
    text: str


def _reader(stream: object, lines: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)
    lines.put(None)


@contextmanager
def dev(directory: Path, *names: str) -> Iterator[dict[str, str]]:
    """Run ``hexkit dev NAMES --dir DIRECTORY``; yield its settings; SIGTERM it on exit."""
    argv = [sys.executable, "-m", "hexkit.cli", "dev", *names, "--dir", str(directory)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    settings: dict[str, str] = {}
    try:
        while True:
            line = lines.get(timeout=START_DEADLINE)
            if line is None:
                pytest.fail(f"hexkit dev exited: {process.wait()} {process.stderr.read()}")  # type: ignore[union-attr]
            if line.strip() == READY:
                break
            assert line.startswith("export ")
            key, _, value = line.removeprefix("export ").strip().partition("=")
            settings[key] = shlex.split(value)[0]
        yield settings
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=STOP_DEADLINE)
        errors = process.stderr.read()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
        process.stdout.close()  # type: ignore[union-attr]
    assert code == 0, errors
    assert "stopped; the data stays in" in errors


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith("HEXKIT_"):
            monkeypatch.delenv(key)
    return monkeypatch


@pytest.mark.asyncio
async def test_dev_servers_serve_the_printed_settings_and_keep_data_across_restarts(
    tmp_path: Path, environment: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / ".hexkit"
    with dev(directory, "postgres", "s3", "mongodb") as settings:
        assert set(settings) >= {
            "HEXKIT_POSTGRES_POSTGRES_DSN",
            "HEXKIT_S3_ENDPOINT_URL",
            "HEXKIT_S3_ACCESS_KEY_ID",
            "HEXKIT_S3_SECRET_ACCESS_KEY",
            "HEXKIT_MONGODB_MONGO_DSN",
            "HEXKIT_MONGODB_DB_NAME",
        }
        for key, value in settings.items():
            environment.setenv(key, value)
        for name in ("postgres", "mongodb"):
            async with open_provider("dao", name) as factory:
                notes = await factory.get_dao(name="notes", dto_model=Note, id_field="id")
                await notes.insert(Note(id="n-1", text=f"kept by {name}"))
        async with open_provider("objstorage", "s3") as storage:
            await storage.create_bucket("kept")
            await storage.put_object("kept", "hello.txt", b"hello")
    assert (directory / "dev.env").read_text().count("HEXKIT_") == len(settings)

    with dev(directory, "postgres", "s3", "mongodb") as again:
        assert again == settings  # same DSN, ports and credentials: a kept .env still works
        for name in ("postgres", "mongodb"):
            async with open_provider("dao", name) as factory:
                notes = await factory.get_dao(name="notes", dto_model=Note, id_field="id")
                assert await notes.get_by_id("n-1") == Note(id="n-1", text=f"kept by {name}")
        async with open_provider("objstorage", "s3") as storage:
            chunks = [chunk async for chunk in storage.get_object("kept", "hello.txt")]
            assert b"".join(chunks) == b"hello"


def test_an_unknown_dev_server_is_named_with_the_installed_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["dev", "postgress", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "No dev server named 'postgress' is installed" in err
    assert "postgres" in err.split("installed:")[1]

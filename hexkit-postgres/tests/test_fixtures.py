"""The pytest plugin: backend choice, a schema per test, and its helpers."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import asyncpg
import psutil
import pytest
from pydantic import BaseModel

from hexkit.providers.postgres.testutils import (
    BACKEND_ENV,
    EmbeddedPostgres,
    PostgresFixture,
    start_server,
)


class Row(BaseModel):
    id: str


def test_a_dsn_backend_points_at_that_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BACKEND_ENV, "postgresql://u:pw@db.example/app")
    with start_server() as server:
        assert server.backend == "dsn"
        assert "pw" not in repr(server)
        assert server.config("s").postgres_schema == "s"


def test_an_unknown_backend_names_the_choices() -> None:
    with (
        pytest.raises(ValueError, match="'auto', 'embedded', 'testcontainers'"),
        start_server("docker-please"),
    ):
        pass


@pytest.mark.asyncio
async def test_each_test_gets_a_fresh_schema_and_reset_empties_it(
    postgres: PostgresFixture, postgres_dsn: str
) -> None:
    assert postgres.schema.startswith("hexkit_test_")
    assert postgres.config.postgres_dsn.get_secret_value() == postgres_dsn
    dao = await postgres.dao_factory.get_dao(name="rows", dto_model=Row, id_field="id")
    await dao.insert(Row(id="a"))
    await postgres.reset()
    assert await dao.find_all(mapping={}).total_count() == 0
    async with postgres.connect() as connection:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1", postgres.schema
        )
    assert [table for (table,) in tables] == ["rows"]


def _server_processes(data_dir: str) -> list[psutil.Process]:
    """Live processes started on ``data_dir`` (by command line) and their children."""
    found: dict[int, psutil.Process] = {}
    for process in psutil.process_iter(["cmdline"]):
        if data_dir in (process.info["cmdline"] or []):
            found[process.pid] = process
            with contextlib.suppress(psutil.NoSuchProcess):
                found.update((child.pid, child) for child in process.children(recursive=True))
    return [process for process in found.values() if _running(process)]


def _running(process: psutil.Process) -> bool:
    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("hung", [False, True])
def test_leaving_the_block_after_kill_and_restart_leaves_no_server_process(
    tmp_path: Path, hung: bool
) -> None:
    data_dir = str(tmp_path / "pgdata")
    with EmbeddedPostgres(tmp_path) as server:
        server.kill()
        server.start()
        if hung:
            server.pause()
        seen = _server_processes(data_dir)
        assert seen  # the restarted postmaster and its children
    assert not [process for process in seen if _running(process)]
    assert not _server_processes(data_dir)


def test_testutils_without_the_testing_extra_name_the_extra_to_install() -> None:
    # pytest missing, as in an install without [testing]: None in sys.modules blocks it.
    code = (
        "import sys; sys.modules['pytest'] = None\n"
        "try:\n"
        "    import hexkit.providers.postgres.testutils\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'hexkit-postgres[testing]'" in done.stdout
    assert "pytest" in done.stdout


@pytest.mark.asyncio
async def test_an_embedded_server_in_a_str_directory_keeps_its_data_across_restarts(
    tmp_path: Path,
) -> None:
    directory = str(tmp_path / "pg")  # a str, as users write it, not a Path
    with EmbeddedPostgres(directory=directory) as server:
        connection = await asyncpg.connect(server.dsn)
        await connection.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)")
        await connection.close()
    with EmbeddedPostgres(directory=directory) as server:
        connection = await asyncpg.connect(server.dsn)
        assert await connection.fetchval("SELECT v FROM kept") == 7
        await connection.close()
    assert (tmp_path / "pg").is_dir()  # a given directory is the caller's: never deleted

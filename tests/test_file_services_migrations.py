"""The file registry's example migrations run on the memory provider, in code and by CLI."""

from __future__ import annotations

import datetime
import json

import pytest
from file_services.file_registry.core.models import FileMetadata
from file_services.file_registry.migrations import LATEST, MIGRATIONS, FileRecordV1

from hexkit.cli import main
from hexkit.migrations import migrate, migration_status
from hexkit.providers.memory import MemoryDaoFactory

RECORD = FileMetadata(
    file_id="report-1",
    bucket_id="permanent",
    object_id="0f6a",
    size=12,
    md5="0" * 32,
    created=datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC),
)


@pytest.mark.asyncio
async def test_existing_file_records_get_the_default_content_type_and_back() -> None:
    factory = MemoryDaoFactory()
    files = await factory.get_dao(name="files", dto_model=FileMetadata, id_field="file_id")
    await files.insert(RECORD)

    dry = await migrate(factory, MIGRATIONS, target=LATEST, dry_run=True)
    assert dry.steps[0].documents == {"files": 1}
    await migrate(factory, MIGRATIONS, target=LATEST)

    migrated = await factory.get_dao(name="files", dto_model=FileRecordV1, id_field="file_id")
    record = await migrated.get_by_id("report-1")
    assert record.content_type == "application/octet-stream"
    assert record.model_dump(exclude={"content_type"}) == RECORD.model_dump()
    assert (await migration_status(factory)).version == 1

    await migrate(factory, MIGRATIONS, target=0)
    files = await factory.get_dao(name="files", dto_model=FileMetadata, id_field="file_id")
    assert await files.get_by_id("report-1") == RECORD


def test_the_cli_runs_the_example_migrations(capsys: pytest.CaptureFixture[str]) -> None:
    module = "file_services.file_registry.migrations"
    assert main(["migrate", "up", "--provider", "memory", "--migrations", module, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["start_version"], report["version"]) == (0, 1)

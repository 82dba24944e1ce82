"""The public surface: exported names, registration, and the plugin's light imports."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import hexkit.providers.postgres
import hexkit.providers.postgres.testutils
from hexkit.providers.postgres import PostgresConfig, PostgresDaoFactory
from hexkit.providers.postgres.testutils import PostgresFixture
from hexkit.registry import Registry, get_provider, open_provider

# The version this distribution ships: its pyproject.toml, which a release bumps.
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
VERSION = tomllib.loads(PYPROJECT.read_text())["project"]["version"]


def test_public_names_are_pinned() -> None:
    assert hexkit.providers.postgres.__all__ == [
        "FIND_BATCH_SIZE",
        "PostgresConfig",
        "PostgresDao",
        "PostgresDaoFactory",
        "PostgresDaoSurrogateId",
        "encode_document",
    ]
    assert hexkit.providers.postgres.testutils.__all__ == [
        "BACKEND_ENV",
        "IMAGE_ENV",
        "EmbeddedPostgres",
        "PostgresDevServer",
        "PostgresFixture",
        "PostgresServer",
        "dev_server",
        "postgres",
        "postgres_dsn",
        "postgres_server",
        "start_server",
    ]
    assert hexkit.providers.postgres.FIND_BATCH_SIZE > 0
    for name in hexkit.providers.postgres.__all__:
        if name == "FIND_BATCH_SIZE":
            continue  # an int: it has no __module__
        home = getattr(hexkit.providers.postgres, name).__module__
        assert home.startswith("hexkit.providers.postgres._")


def test_postgres_is_registered_from_its_distribution() -> None:
    info = get_provider("dao", "postgres")
    assert info.distribution == "hexkit-postgres"
    assert info.version == VERSION
    assert info.load() is PostgresDaoFactory


def test_the_plugin_and_the_package_import_no_driver() -> None:
    code = (
        "import sys, hexkit.providers.postgres, hexkit.providers.postgres._plugin as p;"
        " p.hexkit_providers();"
        " print(sorted(m for m in sys.modules if m.split('.')[0] == 'asyncpg'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_plugins_providers_load() -> None:
    from hexkit.providers.postgres import _plugin  # noqa: PLC0415

    registry = Registry(autoload=False)
    registry.register_plugin(_plugin, distribution="hexkit-postgres")
    for spec in _plugin.hexkit_providers():
        assert registry.get_provider(spec.kind, spec.name).load() is PostgresDaoFactory


def test_the_cli_lists_dao_postgres() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hexkit.cli", "providers"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert any(line.split()[:2] == ["dao", "postgres"] for line in result.stdout.splitlines())


@pytest.mark.asyncio
async def test_open_provider_by_name_builds_a_working_factory(postgres: PostgresFixture) -> None:
    values = {
        "postgres_dsn": postgres.config.postgres_dsn.get_secret_value(),
        "postgres_schema": postgres.schema,
    }
    async with open_provider("dao", "postgres", config=values) as factory:
        assert isinstance(factory, PostgresDaoFactory)
        assert isinstance(factory.config, PostgresConfig)
        assert postgres.schema in repr(factory)

"""The public surface: exported names, registration, and the plugin's light imports."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import hexkit.providers.s3
import hexkit.providers.s3.testutils
from hexkit.providers.s3 import S3Config, S3ObjectStorage
from hexkit.providers.s3.testutils import S3Fixture
from hexkit.registry import get_provider, open_provider

# The version this distribution ships: its pyproject.toml, which a release bumps.
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
VERSION = tomllib.loads(PYPROJECT.read_text())["project"]["version"]


def test_public_names_are_pinned() -> None:
    assert hexkit.providers.s3.__all__ == ["S3Config", "S3CredentialsError", "S3ObjectStorage"]
    assert hexkit.providers.s3.testutils.__all__ == [
        "BACKEND_ENV",
        "HttpTransfer",
        "S3DevServer",
        "S3Fixture",
        "S3Server",
        "SeaweedCluster",
        "SeaweedIdentity",
        "SeaweedNode",
        "SeaweedServer",
        "dev_server",
        "s3",
        "s3_cluster",
        "s3_server",
        "start_server",
    ]
    for name in hexkit.providers.s3.__all__:
        # Defined in this distribution; an error names the package users import it from.
        home = getattr(hexkit.providers.s3, name).__module__
        assert home == "hexkit.providers.s3" or home.startswith("hexkit.providers.s3._")


def test_s3_is_registered_from_its_distribution() -> None:
    info = get_provider("objstorage", "s3")
    assert info.distribution == "hexkit-s3"
    assert info.version == VERSION
    assert info.load() is S3ObjectStorage


def test_the_plugin_module_does_not_import_boto3() -> None:
    code = (
        "import sys, hexkit.providers.s3._plugin as p; p.hexkit_providers();"
        " print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_namespace_packages_have_no_init() -> None:
    import hexkit  # noqa: PLC0415
    import hexkit.providers  # noqa: PLC0415

    assert getattr(hexkit, "__file__", None) is None
    assert getattr(hexkit.providers, "__file__", None) is None


@pytest.mark.asyncio
async def test_open_provider_by_name_builds_a_working_storage(s3: S3Fixture) -> None:
    values = s3.server.config_values()
    values["s3_secret_access_key"] = values["s3_secret_access_key"].get_secret_value()
    async with open_provider("objstorage", "s3", config=values) as storage:
        assert isinstance(storage, S3ObjectStorage)
        assert isinstance(storage.config, S3Config)
        await storage.create_bucket("by-name")
        await storage.put_object("by-name", "hello", b"world")
        assert await s3.storage.get_object_size("by-name", "hello") == 5

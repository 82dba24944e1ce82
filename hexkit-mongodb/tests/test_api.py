"""The public surface: exported names, registration, and settings."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

import hexkit.providers.mongodb as package
from hexkit.cli import main
from hexkit.providers.mongodb import MongoDbConfig, MongoDbDaoFactory, testutils
from hexkit.registry import Registry

# The version this distribution ships: its pyproject.toml, which a release bumps.
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
VERSION = tomllib.loads(PYPROJECT.read_text())["project"]["version"]
SECRET_DSN = "mongodb://admin:s3cr3t-pa55@db.example:27017/?authSource=admin"  # noqa: S105 - a fake secret to look for in outputs


def test_package_exports_exactly_the_public_names() -> None:
    assert package.__all__ == [
        "MongoDbConfig",
        "MongoDbDao",
        "MongoDbDaoFactory",
        "MongoDbDaoSurrogateId",
        "encode_document",
        "to_decimal",
    ]
    for name in package.__all__:
        assert getattr(package, name).__module__.startswith("hexkit.providers.mongodb._")


def test_testutils_exports_exactly_the_fixtures_and_helpers() -> None:
    assert sorted(testutils.__all__) == [
        "BACKEND_ENV",
        "DRIVER_ENV",
        "EmbeddedMongoDb",
        "MongoDbDevServer",
        "MongoDbFixture",
        "MongoDbServer",
        "dev_server",
        "mongodb",
        "mongodb_driver",
        "mongodb_server",
        "running_server",
    ]


def test_registry_lists_mongodb_from_this_distribution() -> None:
    info = Registry().get_provider("dao", "mongodb")
    assert info.distribution == "hexkit-mongodb"
    assert info.version == VERSION
    assert info.load() is MongoDbDaoFactory


def test_listing_providers_does_not_import_pymongo() -> None:
    code = (
        "import sys; from hexkit.registry import Registry; "
        "names = [p.name for p in Registry().list_providers('dao')]; "
        "assert 'mongodb' in names, names; "
        "assert 'pymongo' not in sys.modules, 'pymongo imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_config_reads_the_documented_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEXKIT_MONGODB_MONGO_DSN", SECRET_DSN)
    monkeypatch.setenv("HEXKIT_MONGODB_DB_NAME", "orders")
    monkeypatch.setenv("HEXKIT_MONGODB_MONGO_TIMEOUT", "7")
    monkeypatch.setenv("HEXKIT_MONGODB_MONGO_DRIVER", "motor")
    monkeypatch.setenv("HEXKIT_MONGODB_BSON_DATE_COLLECTIONS", '["sessions", "events"]')
    config = MongoDbConfig()  # type: ignore[call-arg]
    assert config.mongo_dsn.get_secret_value() == SECRET_DSN
    assert (config.db_name, config.mongo_timeout, config.mongo_driver) == ("orders", 7, "motor")
    assert config.bson_date_collections == {"sessions", "events"}


def test_config_defaults_to_pymongo_and_driver_timeouts() -> None:
    config = MongoDbConfig(mongo_dsn=SECRET_DSN, db_name="x")  # type: ignore[arg-type]
    assert config.mongo_driver == "pymongo"
    assert config.mongo_timeout is None
    assert config.bson_date_collections == frozenset()


def test_dsn_never_shows_in_repr_or_str() -> None:
    config = MongoDbConfig(mongo_dsn=SECRET_DSN, db_name="x")  # type: ignore[arg-type]
    assert "s3cr3t" not in repr(config)
    assert "s3cr3t" not in str(config)


@pytest.mark.parametrize(
    "dsn", ["postgres://admin:s3cr3t-pa55@db:5432", "admin:s3cr3t-pa55@db", "mongodb:/s3cr3t"]
)
def test_dsn_with_wrong_scheme_is_rejected_without_echoing_it(dsn: str) -> None:
    with pytest.raises(ValidationError) as info:
        MongoDbConfig(mongo_dsn=dsn, db_name="x")  # type: ignore[arg-type]
    message = str(info.value)
    assert "mongodb://" in message
    assert "s3cr3t" not in message


@pytest.mark.parametrize("dsn", ["mongodb://localhost", "mongodb+srv://user:pw@cluster.example"])
def test_both_dsn_schemes_are_accepted(dsn: str) -> None:
    assert MongoDbConfig(mongo_dsn=dsn, db_name="x").mongo_dsn.get_secret_value() == dsn  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mongo_timeout", 0),
        ("mongo_driver", "mongoengine"),
        ("db_name", ""),
        ("bson_date_collections", ["no spaces"]),
    ],
)
def test_invalid_settings_are_rejected(field: str, value: object) -> None:
    values: dict[str, object] = {"mongo_dsn": "mongodb://localhost", "db_name": "x"}
    values[field] = value
    with pytest.raises(ValidationError):
        MongoDbConfig(**values)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_factory_repr_hides_the_dsn() -> None:
    config = MongoDbConfig(mongo_dsn=SECRET_DSN, db_name="x", mongo_timeout=1)  # type: ignore[arg-type]
    async with MongoDbDaoFactory.construct(config=config) as factory:
        assert "s3cr3t" not in repr(factory)
        assert factory.config is config


@pytest.mark.parametrize(
    "dsn", ["mongodb://app:s3cr3t-pw@127.0.0.1:99999999/", "mongodb://app:s3cr3t-pw@[::1/"]
)
def test_the_cli_reports_an_unusable_dsn_in_one_line_without_the_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, dsn: str
) -> None:
    monkeypatch.setenv("HEXKIT_MONGODB_MONGO_DSN", dsn)
    monkeypatch.setenv("HEXKIT_MONGODB_DB_NAME", "app")
    assert main(["migrate", "status", "--provider", "mongodb"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert "mongo_dsn: cannot be used (ValueError)" in err
    assert "s3cr3t-pw" not in err

"""Settings: environment names, validation, and the DSN kept secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hexkit.cli import main
from hexkit.protocols.dao import DbUnavailableError
from hexkit.providers.postgres import PostgresConfig, PostgresDaoFactory

SECRET = "s3cr3t-pw"  # noqa: S105 - a made-up password the tests look for


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEXKIT_POSTGRES_POSTGRES_DSN", f"postgresql://app:{SECRET}@db/app")
    monkeypatch.setenv("HEXKIT_POSTGRES_POSTGRES_SCHEMA", "Files")
    monkeypatch.setenv("HEXKIT_POSTGRES_POSTGRES_STATEMENT_CACHE_SIZE", "0")
    config = PostgresConfig()  # type: ignore[call-arg]
    assert config.postgres_schema == "Files"
    assert config.postgres_statement_cache_size == 0
    assert SECRET not in repr(config)


def test_the_unix_socket_dsn_form_is_accepted() -> None:
    config = PostgresConfig(postgres_dsn="postgresql://postgres:@/postgres?host=/run/pg")  # type: ignore[arg-type]
    assert config.postgres_dsn.get_secret_value().endswith("host=/run/pg")


def test_a_wrong_dsn_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as info:
        PostgresConfig(postgres_dsn=f"mysql://root:{SECRET}@db/app")  # type: ignore[arg-type]
    assert "postgresql://" in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("postgres_schema", "x" * 64), ("postgres_schema", ""), ("postgres_timeout", 0)],
)
def test_out_of_range_settings_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        PostgresConfig(postgres_dsn="postgresql://db/app", **{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "schema", ["information_schema", "pg_catalog", "pg_toast", "pg_temp_3", "pg_mine"]
)
def test_system_schemas_are_refused_naming_the_value(schema: str) -> None:
    with pytest.raises(ValidationError, match="system schema") as info:
        PostgresConfig(postgres_dsn="postgresql://db/app", postgres_schema=schema)  # type: ignore[arg-type]
    assert repr(schema) in str(info.value)


@pytest.mark.parametrize("schema", ["public", "Files", "PG_CATALOG", "my_pg_data"])
def test_schemas_of_ones_own_are_accepted(schema: str) -> None:
    config = PostgresConfig(postgres_dsn="postgresql://db/app", postgres_schema=schema)  # type: ignore[arg-type]
    assert config.postgres_schema == schema


def test_a_pool_cannot_keep_more_connections_than_it_may_open() -> None:
    with pytest.raises(ValidationError, match="postgres_pool_max_size"):
        PostgresConfig(
            postgres_dsn="postgresql://db/app",  # type: ignore[arg-type]
            postgres_pool_min_size=5,
            postgres_pool_max_size=2,
        )


@pytest.mark.asyncio
async def test_an_unreachable_server_fails_construct_with_advice_and_no_secret(
    tmp_path: object,
) -> None:
    config = PostgresConfig(
        postgres_dsn=f"postgresql://app:{SECRET}@/app?host={tmp_path}",  # type: ignore[arg-type]
        postgres_timeout=2,
    )
    with pytest.raises(DbUnavailableError) as info:
        async with PostgresDaoFactory.construct(config=config):
            pass
    assert "check that the server runs" in str(info.value)
    assert SECRET not in str(info.value)
    assert "<" not in str(info.value)  # no placeholder such as "collection '<connect>'"


def _migrate_status(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["migrate", "status", "--provider", "postgres"])
    out, err = capsys.readouterr()
    assert out == ""
    return code, err


@pytest.mark.parametrize(
    ("dsn", "hint"),
    [
        (f"postgresql://app:{SECRET}@127.0.0.1:99999999/app", "the port must be 1-65535"),
        (f"postgresql://app:{SECRET}@127.0.0.1:5432/app?sslmode=bogus", "sslmode"),
        (f"postgresql://app:{SECRET}@[::1/app", "not a well-formed URI"),
    ],
)
def test_the_cli_reports_an_unusable_dsn_in_one_line_without_the_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, dsn: str, hint: str
) -> None:
    monkeypatch.setenv("HEXKIT_POSTGRES_POSTGRES_DSN", dsn)
    code, err = _migrate_status(capsys)
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert "postgres_dsn" in err
    assert hint in err
    assert SECRET not in err


def test_the_cli_names_the_environment_variable_of_a_missing_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HEXKIT_POSTGRES_POSTGRES_DSN", raising=False)
    code, err = _migrate_status(capsys)
    assert code == 1
    assert "postgres_dsn (environment variable HEXKIT_POSTGRES_POSTGRES_DSN): Field required" in err


def test_the_cli_reports_an_unreachable_server_without_placeholders(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv(
        "HEXKIT_POSTGRES_POSTGRES_DSN", f"postgresql://app:{SECRET}@/app?host={tmp_path}"
    )
    monkeypatch.setenv("HEXKIT_POSTGRES_POSTGRES_TIMEOUT", "2")
    code, err = _migrate_status(capsys)
    assert code == 1
    assert "The connection to PostgreSQL failed" in err
    assert "<" not in err
    assert SECRET not in err

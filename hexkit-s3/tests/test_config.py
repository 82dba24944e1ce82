"""S3Config: environment names, defaults, limits, and secrets that stay secret."""

# ruff: noqa: S105, S106 - the credentials here are made up, to check they never leak

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from hexkit.providers.s3 import S3Config, S3ObjectStorage

SECRET = "very-secret-key-1234"
TOKEN = "very-secret-token-5678"


def test_fields_read_their_documented_environment_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ini = tmp_path / "aws.ini"
    env = {
        "HEXKIT_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "HEXKIT_S3_ACCESS_KEY_ID": "key-id",
        "HEXKIT_S3_SECRET_ACCESS_KEY": SECRET,
        "HEXKIT_S3_SESSION_TOKEN": TOKEN,
        "HEXKIT_AWS_CONFIG_INI": str(ini),
        "HEXKIT_S3_REGION": "eu-central-1",
        "HEXKIT_S3_MAX_CONCURRENCY": "7",
        "HEXKIT_S3_MULTIPART_THRESHOLD": "1",
        "HEXKIT_S3_COPY_THRESHOLD": "123",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = S3Config()  # type: ignore[call-arg]
    assert config.s3_endpoint_url == "http://127.0.0.1:9000"
    assert config.s3_secret_access_key.get_secret_value() == SECRET
    assert config.s3_session_token is not None
    assert config.s3_session_token.get_secret_value() == TOKEN
    assert config.aws_config_ini == ini
    assert (config.s3_region, config.s3_max_concurrency) == ("eu-central-1", 7)
    assert (config.s3_multipart_threshold, config.s3_copy_threshold) == (1, 123)


def test_custom_endpoints_default_to_path_style_and_aws_to_auto() -> None:
    custom = S3Config(
        s3_endpoint_url="http://localhost:9000", s3_access_key_id="k", s3_secret_access_key="s"
    )
    aws = S3Config(s3_access_key_id="k", s3_secret_access_key=SecretStr("s"))
    chosen = S3Config(
        s3_endpoint_url="http://localhost:9000",
        s3_access_key_id="k",
        s3_secret_access_key="s",
        s3_addressing_style="virtual",
    )
    assert custom.s3_addressing_style == "path"
    assert aws.s3_addressing_style == "auto"
    assert chosen.s3_addressing_style == "virtual"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("s3_multipart_chunk_size", 5 * 1024 * 1024 - 1),
        ("s3_copy_part_size", 1024),
        ("s3_copy_threshold", 5 * 1024**3 + 1),
        ("s3_max_concurrency", 0),
    ],
)
def test_settings_outside_s3s_limits_are_refused(field: str, value: int) -> None:
    with pytest.raises(ValidationError, match=field):
        S3Config(s3_access_key_id="k", s3_secret_access_key="s", **{field: value})


def test_secrets_are_absent_from_reprs_and_validation_errors() -> None:
    config = S3Config(
        s3_endpoint_url="http://localhost:9000",
        s3_access_key_id="k",
        s3_secret_access_key=SECRET,
        s3_session_token=TOKEN,
    )
    text = repr(config) + str(config) + config.model_dump_json()
    assert SECRET not in text
    assert TOKEN not in text
    with pytest.raises(ValidationError) as info:
        S3Config(s3_access_key_id="k", s3_secret_access_key=SECRET, s3_max_concurrency=-1)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    "wrong",
    [
        {"s3_sesion_token": TOKEN},  # misspelt
        {"s3_session_token": TOKEN.encode() + b"\xff"},  # bytes that are no text
        {"s3_secret_access_key": [SECRET]},
    ],
)
def test_misspelt_or_mistyped_secrets_are_not_echoed(wrong: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as info:
        S3Config.model_validate({"s3_access_key_id": "k", "s3_secret_access_key": "s", **wrong})
    name = next(iter(wrong))
    assert name in str(info.value)  # the field is named, so the caller can fix it
    for text in (str(info.value), repr(info.value)):
        assert SECRET not in text
        assert TOKEN not in text


@pytest.mark.asyncio
async def test_the_storage_repr_names_the_endpoint_but_no_secret() -> None:
    config = S3Config(
        s3_endpoint_url="http://127.0.0.1:9",
        s3_access_key_id="k",
        s3_secret_access_key=SECRET,
        s3_session_token=TOKEN,
    )
    async with S3ObjectStorage.construct(config=config) as storage:
        text = repr(storage)
    assert text == "S3ObjectStorage(endpoint='http://127.0.0.1:9')"


def test_other_hexkit_variables_in_the_environment_are_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEXKIT_TEST_S3", "embedded")
    monkeypatch.setenv("HEXKIT_MEMORY_CHUNK_SIZE", "10")
    monkeypatch.setenv("HEXKIT_S3_ACCESS_KEY_ID", "key-id")
    monkeypatch.setenv("HEXKIT_S3_SECRET_ACCESS_KEY", SECRET)
    assert S3Config().s3_access_key_id == "key-id"  # type: ignore[call-arg]


@pytest.mark.asyncio
async def test_aws_config_ini_settings_reach_the_client(tmp_path: Path) -> None:
    ini = tmp_path / "config"
    ini.write_text("[default]\nrequest_checksum_calculation = when_required\n")
    config = S3Config(
        s3_endpoint_url="http://127.0.0.1:9",
        s3_access_key_id="k",
        s3_secret_access_key=SECRET,
        aws_config_ini=ini,
    )
    async with S3ObjectStorage.construct(config=config) as storage:
        assert storage._client.meta.config.request_checksum_calculation == "when_required"


@pytest.mark.asyncio
async def test_a_missing_aws_config_ini_is_reported_not_ignored(tmp_path: Path) -> None:
    config = S3Config(
        s3_access_key_id="k", s3_secret_access_key=SECRET, aws_config_ini=tmp_path / "nope"
    )
    with pytest.raises(FileNotFoundError, match="HEXKIT_AWS_CONFIG_INI"):
        async with S3ObjectStorage.construct(config=config):
            pass

"""No config model of any registered provider echoes a secret in errors, reprs or logs.

A sentinel stands in for a secret and goes in through every door a caller might use: a
misspelt field, a value of the wrong type for each secret field, the environment, and the
registry's ``open_provider``. It must come out of none of them.
"""

from __future__ import annotations

import logging
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretBytes, SecretStr, ValidationError
from pydantic_settings import BaseSettings

from hexkit.registry import ProviderConfigError, ProviderInfo, list_providers, open_provider

SENTINEL = "sentinel-secret-7f3a9c"

# A valid config of each provider we ship, with the sentinel in every secret, so that the
# repr of a config that validates is checked too. Third-party providers get the other checks.
VALID: dict[tuple[str, str], dict[str, Any]] = {
    ("dao", "memory"): {},
    ("objstorage", "memory"): {},
    ("dao", "mongodb"): {
        "mongo_dsn": f"mongodb://user:{SENTINEL}@127.0.0.1:27017",
        "db_name": "db",
    },
    ("dao", "postgres"): {
        "postgres_dsn": f"postgresql://user:{SENTINEL}@127.0.0.1:5432/db",
    },
    ("objstorage", "s3"): {
        "s3_access_key_id": "key-id",
        "s3_secret_access_key": SENTINEL,
        "s3_session_token": SENTINEL,
    },
}

PROVIDERS = list_providers()


def _id(info: ProviderInfo) -> str:
    return f"{info.kind}-{info.name}"


def _is_secret(annotation: object) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_secret(arg) for arg in typing.get_args(annotation))
    return False


def _secret_fields(model: type[BaseSettings]) -> list[str]:
    return [name for name, field in model.model_fields.items() if _is_secret(field.annotation)]


def _env_name(model: type[BaseSettings], field: str) -> str:
    return f"{model.model_config.get('env_prefix', '')}{field}".upper()


def _assert_clean(*texts: object) -> None:
    for text in texts:
        assert SENTINEL not in str(text)


def _assert_error_clean(error: BaseException) -> None:
    _assert_clean(str(error), repr(error))
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            _assert_clean(str(linked), repr(linked))


@pytest.fixture
def no_leak_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Capture every log record at DEBUG level and check none carries the sentinel."""
    caplog.set_level(logging.DEBUG)
    yield
    for record in caplog.records:
        _assert_clean(record.getMessage(), record.exc_text or "", record.__dict__)


def test_every_shipped_provider_is_covered() -> None:
    found = {(info.kind, info.name) for info in PROVIDERS}
    assert set(VALID) <= found, f"missing providers: {set(VALID) - found}"


@pytest.mark.usefixtures("no_leak_in_logs")
@pytest.mark.parametrize("info", PROVIDERS, ids=_id)
def test_a_misspelt_field_does_not_echo_its_value(info: ProviderInfo) -> None:
    model = info.load().config_model
    base = VALID.get((info.kind, info.name), {})
    for field in [*model.model_fields, "secret"]:
        try:
            config = model.model_validate({**base, f"{field}_typo": SENTINEL})
        except ValidationError as error:
            _assert_error_clean(error)
        else:
            _assert_clean(repr(config), str(config))


@pytest.mark.usefixtures("no_leak_in_logs")
@pytest.mark.parametrize("info", PROVIDERS, ids=_id)
def test_a_secret_of_the_wrong_type_is_not_echoed(info: ProviderInfo) -> None:
    model = info.load().config_model
    base = VALID.get((info.kind, info.name), {})
    for field in _secret_fields(model):
        for wrong in ([SENTINEL], {"value": SENTINEL}, SENTINEL.encode() + b"\xff", (SENTINEL,)):
            with pytest.raises(ValidationError) as info_error:
                model.model_validate({**base, field: wrong})
            _assert_error_clean(info_error.value)


@pytest.mark.usefixtures("no_leak_in_logs")
@pytest.mark.parametrize("info", PROVIDERS, ids=_id)
def test_secrets_from_the_environment_stay_out_of_reprs_and_errors(
    info: ProviderInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = info.load().config_model
    for field, value in VALID.get((info.kind, info.name), {}).items():
        monkeypatch.setenv(_env_name(model, field), str(value))
    for field in _secret_fields(model):
        monkeypatch.setenv(_env_name(model, field), SENTINEL)
    try:
        config = model()
    except ValidationError as error:  # a sentinel that is no valid secret, or missing fields
        _assert_error_clean(error)
    else:
        _assert_clean(repr(config), str(config))


@pytest.mark.usefixtures("no_leak_in_logs")
@pytest.mark.parametrize("info", PROVIDERS, ids=_id)
def test_valid_configs_keep_secrets_out_of_reprs(info: ProviderInfo) -> None:
    valid = VALID.get((info.kind, info.name))
    if valid is None:
        pytest.skip("no known valid config for a third-party provider")
    config = info.load().config_model.model_validate(valid)
    _assert_clean(repr(config), str(config), config.model_dump_json())


@pytest.mark.asyncio
@pytest.mark.usefixtures("no_leak_in_logs")
@pytest.mark.parametrize("info", PROVIDERS, ids=_id)
async def test_the_registry_config_error_echoes_no_secret(
    info: ProviderInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = info.load().config_model
    base = VALID.get((info.kind, info.name), {})
    bad_inputs = [{**base, "secret_typo": SENTINEL}]
    bad_inputs += [{**base, field: [SENTINEL]} for field in _secret_fields(model)]
    for bad in bad_inputs:
        with pytest.raises(ProviderConfigError) as error:
            async with open_provider(info.kind, info.name, config=bad):  # type: ignore[call-overload]
                pass
        _assert_error_clean(error.value)
        # errors() and json() of a ValidationError hold the input: none may ride along.
        assert not isinstance(error.value.__cause__, ValidationError)
        assert not isinstance(error.value.__context__, ValidationError)
    for field in _secret_fields(model):  # secrets from the environment, the rest missing
        monkeypatch.setenv(_env_name(model, field), SENTINEL)
    try:
        async with open_provider(info.kind, info.name):  # type: ignore[call-overload]
            pass
    except ProviderConfigError as env_error:
        _assert_error_clean(env_error)

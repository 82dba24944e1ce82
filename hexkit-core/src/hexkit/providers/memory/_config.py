"""Settings of the memory providers (env prefix ``HEXKIT_MEMORY_``).

Configs swapped between providers may carry secrets, so validation errors never echo
the input.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["MemoryDaoConfig", "MemoryObjectStorageConfig"]

_MIB = 1024 * 1024


class MemoryDaoConfig(BaseSettings):
    """Settings of the memory DAO provider (env prefix ``HEXKIT_MEMORY_``)."""

    model_config = SettingsConfigDict(env_prefix="HEXKIT_MEMORY_", hide_input_in_errors=True)

    cursor_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs find_all page cursors (at least 16 characters). None"
        " signs with a random key made once per process: cursors then fail after a restart"
        " and on other instances; set the same secret on every instance behind one"
        " load balancer.",
    )

    @field_validator("cursor_secret")
    @classmethod
    def _check_cursor_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse a guessable secret, without echoing it."""
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError(
                "cursor_secret must have at least 16 characters; generate one, e.g. with"
                " python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value


class MemoryObjectStorageConfig(BaseSettings):
    """Settings of the memory object storage (env prefix ``HEXKIT_MEMORY_``)."""

    model_config = SettingsConfigDict(env_prefix="HEXKIT_MEMORY_", hide_input_in_errors=True)

    chunk_size: int = Field(default=_MIB, ge=1, description="Bytes per chunk of get_object.")
    min_part_size: int = Field(
        default=5 * _MIB,
        ge=1,
        description="Smallest size of a multipart part other than the last, as S3 enforces.",
    )

"""Settings of the memory providers (env prefix ``HEXKIT_MEMORY_``).

Configs swapped between providers may carry secrets, so validation errors never echo
the input.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["MemoryDaoConfig", "MemoryObjectStorageConfig"]

_MIB = 1024 * 1024


class MemoryDaoConfig(BaseSettings):
    """The memory DAO provider needs no settings."""

    model_config = SettingsConfigDict(env_prefix="HEXKIT_MEMORY_", hide_input_in_errors=True)


class MemoryObjectStorageConfig(BaseSettings):
    """Settings of the memory object storage (env prefix ``HEXKIT_MEMORY_``)."""

    model_config = SettingsConfigDict(env_prefix="HEXKIT_MEMORY_", hide_input_in_errors=True)

    chunk_size: int = Field(default=_MIB, ge=1, description="Bytes per chunk of get_object.")
    min_part_size: int = Field(
        default=5 * _MIB,
        ge=1,
        description="Smallest size of a multipart part other than the last, as S3 enforces.",
    )

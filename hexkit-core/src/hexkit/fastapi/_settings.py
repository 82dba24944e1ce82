"""Which providers an application opens, read from the environment."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings

__all__ = ["ProviderSettings"]


class ProviderSettings(BaseSettings):
    """The providers to open by name (env ``DAO_PROVIDER``, ``OBJSTORAGE_PROVIDER``).

    ``None`` opens no provider of that kind. ``DAO_CONFIG`` / ``OBJSTORAGE_CONFIG`` take
    JSON objects; when empty, each provider reads its own settings from the environment.
    The configs may hold credentials, so they are left out of ``repr``. Subclass to add an
    ``env_prefix`` or settings of your own.
    """

    dao_provider: str | None = "memory"
    objstorage_provider: str | None = None
    dao_config: dict[str, Any] = Field(default_factory=dict, repr=False)
    objstorage_config: dict[str, Any] = Field(default_factory=dict, repr=False)

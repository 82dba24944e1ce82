"""Descriptions of installed providers, and the lazy import of their classes."""

from __future__ import annotations

import importlib
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, cast, runtime_checkable

from pydantic_settings import BaseSettings

from ._errors import ProviderLoadError
from ._hooks import ProviderKind

__all__ = ["ProviderClass", "ProviderInfo"]


@runtime_checkable
class ProviderClass(Protocol):
    """What a provider class offers the registry."""

    config_model: ClassVar[type[BaseSettings]]

    @classmethod
    def construct(cls, *, config: Any) -> AbstractAsyncContextManager[Any]:
        """Build the provider; leaving the context releases clients and threads."""
        ...


@dataclass(frozen=True)
class ProviderInfo:
    """One provider as a plugin announced it; :meth:`load` imports its class lazily."""

    kind: ProviderKind
    name: str
    description: str
    distribution: str | None
    version: str | None
    target: str
    #: The entry point that registered it (``None`` for the core's and in-code plugins).
    plugin: str | None = None

    def load(self) -> type[ProviderClass]:
        """Import and return the provider class; ``ProviderLoadError`` if that fails."""
        module_name, _, attribute = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
            provider = getattr(module, attribute)
        except Exception as error:
            raise ProviderLoadError(
                kind=self.kind, name=self.name, target=self.target, reason=repr(error)
            ) from error
        if not isinstance(provider, type) or not isinstance(provider, ProviderClass):
            raise ProviderLoadError(
                kind=self.kind,
                name=self.name,
                target=self.target,
                reason="it is not a class with config_model and construct()",
            )
        return cast("type[ProviderClass]", provider)

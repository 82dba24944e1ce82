"""Find providers by kind and name among installed plugins.

Plugins announce providers through the pluggy hook ``hexkit_providers`` and are found
through entry points of group ``hexkit``; applications resolve them by name::

    async with open_provider("dao", "mongodb", config={...}) as dao_factory:
        ...
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, overload

from pydantic_settings import BaseSettings

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol

from ._dev import DEV_SERVER_GROUP, DevServer, DevServerStarter, dev_server_starters
from ._distributions import InstalledDistribution, foreign_core, installed_distributions
from ._errors import (
    BrokenPlugin,
    BrokenPluginWarning,
    ProviderConfigError,
    ProviderConflictError,
    ProviderLoadError,
    ProviderNotFoundError,
    RegistryError,
    first_party_kind,
)
from ._hooks import ProviderKind, ProviderSpec, hookimpl, hookspec
from ._info import ProviderClass, ProviderInfo
from ._lazy import lazy_exports
from ._open import ProviderWrapper, add_provider_wrapper, open_provider_from
from ._registry import AUTOLOAD_ENV, Registry

__all__ = [
    "AUTOLOAD_ENV",
    "DEV_SERVER_GROUP",
    "BrokenPlugin",
    "BrokenPluginWarning",
    "DevServer",
    "DevServerStarter",
    "InstalledDistribution",
    "ProviderClass",
    "ProviderConfigError",
    "ProviderConflictError",
    "ProviderInfo",
    "ProviderKind",
    "ProviderLoadError",
    "ProviderNotFoundError",
    "ProviderSpec",
    "ProviderWrapper",
    "Registry",
    "RegistryError",
    "add_provider_wrapper",
    "default_registry",
    "dev_server_starters",
    "first_party_kind",
    "foreign_core",
    "get_provider",
    "hookimpl",
    "hookspec",
    "installed_distributions",
    "lazy_exports",
    "list_broken_plugins",
    "list_providers",
    "open_provider",
    "register_plugin",
]


# Tracebacks and reprs show errors by the path users import them from, not the private
# module that defines them; pickling finds them there too.
for _name in __all__:
    _error = globals().get(_name)
    if isinstance(_error, type) and issubclass(_error, BaseException):
        _error.__module__ = __name__
del _name, _error

_default: Registry | None = None


def default_registry() -> Registry:
    """Return the process-wide registry, creating it on first use."""
    global _default  # noqa: PLW0603 - one lazily built registry per process
    if _default is None:
        _default = Registry()
    return _default


def list_providers(kind: ProviderKind | None = None) -> list[ProviderInfo]:
    """Return the installed providers, optionally of one kind."""
    return default_registry().list_providers(kind)


def list_broken_plugins() -> list[BrokenPlugin]:
    """Return plugins that failed to load, with the reason."""
    return default_registry().list_broken_plugins()


def get_provider(kind: ProviderKind, name: str) -> ProviderInfo:
    """Return the provider of this kind and name, or raise ``ProviderNotFoundError``."""
    return default_registry().get_provider(kind, name)


def register_plugin(
    plugin: object, *, distribution: str | None = None, version: str | None = None
) -> None:
    """Register an in-code plugin with the process-wide registry."""
    default_registry().register_plugin(plugin, distribution=distribution, version=version)


@overload
def open_provider(
    kind: Literal["dao"],
    name: str,
    *,
    config: BaseSettings | Mapping[str, Any] | None = None,
) -> AbstractAsyncContextManager[DaoFactoryProtocol]: ...


@overload
def open_provider(
    kind: Literal["objstorage"],
    name: str,
    *,
    config: BaseSettings | Mapping[str, Any] | None = None,
) -> AbstractAsyncContextManager[ObjectStorageProtocol]: ...


def open_provider(
    kind: ProviderKind,
    name: str,
    *,
    config: BaseSettings | Mapping[str, Any] | None = None,
) -> AbstractAsyncContextManager[Any]:
    """Construct the named provider as an async context manager.

    ``config`` is ``None`` (read from the environment), a mapping validated into the
    provider's ``config_model``, or an instance of it.
    """
    return open_provider_from(default_registry(), kind, name, config=config)

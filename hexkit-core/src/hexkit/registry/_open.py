"""Construct a provider by kind and name from a config."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol

from ._errors import ProviderConfigError, ProviderLoadError
from ._hooks import ProviderKind
from ._info import ProviderInfo
from ._registry import Registry

__all__ = ["ProviderWrapper", "add_provider_wrapper", "build_config", "open_provider_from"]

_PROTOCOLS: dict[str, type] = {"dao": DaoFactoryProtocol, "objstorage": ObjectStorageProtocol}

#: ``wrapper(info, config, provider)`` returns what ``open_provider`` hands out instead.
ProviderWrapper = Callable[[ProviderInfo, BaseSettings, Any], Any]

# Empty unless an integration (hexkit.otel) adds one: then opening a provider costs a loop
# over this list, and the objects handed out are whatever the wrappers return.
_wrappers: list[ProviderWrapper] = []


def add_provider_wrapper(wrapper: ProviderWrapper) -> Callable[[], None]:
    """Have every provider opened from now on pass through ``wrapper``; return its remover.

    Process-wide, for integrations such as tracing; providers opened before keep what
    they were. The wrapper must return an object of the same protocol.
    """
    _wrappers.append(wrapper)

    def remove() -> None:
        if wrapper in _wrappers:
            _wrappers.remove(wrapper)

    return remove


def build_config(
    info: ProviderInfo,
    config_model: type[BaseSettings],
    config: BaseSettings | Mapping[str, Any] | None,
) -> BaseSettings:
    """Turn ``None`` (environment), a mapping or a config instance into the provider's config."""
    if isinstance(config, config_model):
        return config
    if config is not None and not isinstance(config, Mapping):
        raise TypeError(
            f"config for the {info.kind} provider {info.name!r} must be None, a mapping or a"
            f" {config_model.__name__}, got {type(config).__name__}."
        )
    try:
        return config_model() if config is None else config_model.model_validate(dict(config))
    except ValidationError as error:
        problems = [
            (".".join(str(part) for part in item["loc"]) or "<root>", item["msg"])
            for item in error.errors(include_input=False, include_url=False)
        ]
    # Raised outside the except block so that the ValidationError, whose ``errors()`` and
    # ``json()`` hold the rejected input (secrets included), is not kept as ``__context__``.
    env = _env_names(config_model) if config is None else None
    raise ProviderConfigError(kind=info.kind, name=info.name, problems=problems, env=env)


def _env_names(config_model: type[BaseSettings]) -> dict[str, str]:
    """Map each field to the environment variable pydantic-settings reads it from."""
    prefix = str(config_model.model_config.get("env_prefix") or "")
    upper = not config_model.model_config.get("case_sensitive", False)
    names = {}
    for field, info in config_model.model_fields.items():
        if info.validation_alias is None:
            name = prefix + field
            names[field] = name.upper() if upper else name
    return names


@asynccontextmanager
async def open_provider_from(
    registry: Registry,
    kind: ProviderKind,
    name: str,
    *,
    config: BaseSettings | Mapping[str, Any] | None = None,
) -> AsyncIterator[Any]:
    """Resolve, configure and construct a provider; release it on exit."""
    info = registry.get_provider(kind, name)
    provider_class = info.load()
    settings = build_config(info, provider_class.config_model, config)
    async with provider_class.construct(config=settings) as constructed:
        provider = constructed
        protocol = _PROTOCOLS[info.kind]
        if not isinstance(provider, protocol):
            raise ProviderLoadError(
                kind=info.kind,
                name=info.name,
                target=info.target,
                reason=f"construct() yielded {type(provider).__name__}, not a {protocol.__name__}",
            )
        for wrapper in tuple(_wrappers):
            provider = wrapper(info, settings, provider)
        yield provider

"""The registry: plugins found through pluggy and the ``hexkit`` entry point group."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import pluggy

from ._errors import (
    BrokenPlugin,
    BrokenPluginWarning,
    ProviderConflictError,
    ProviderNotFoundError,
)
from ._hooks import KINDS, PROJECT_NAME, HexkitHookSpecs, ProviderKind, ProviderSpec
from ._info import ProviderInfo

__all__ = ["AUTOLOAD_ENV", "Registry"]

AUTOLOAD_ENV = "HEXKIT_DISABLE_PLUGIN_AUTOLOAD"
_CORE_DISTRIBUTION = "hexkit"
_logger = logging.getLogger("hexkit.registry")


@dataclass(frozen=True)
class _Origin:
    """Where a registered plugin came from."""

    distribution: str | None
    version: str | None
    entry_point: str | None = None
    value: str | None = None


class Registry:
    """Providers contributed by plugins, resolved by kind and name.

    Entry points of group ``hexkit`` load on first use unless ``autoload`` is false
    (by default: unless ``HEXKIT_DISABLE_PLUGIN_AUTOLOAD=1``). The core's memory
    providers are always registered. Each broken plugin is reported once per registry
    as a ``BrokenPluginWarning`` and a log record on ``hexkit.registry``, unless
    ``warn_broken`` is false (the CLI, which lists them itself).
    """

    def __init__(self, *, autoload: bool | None = None, warn_broken: bool = True) -> None:
        self._manager = pluggy.PluginManager(PROJECT_NAME)
        self._manager.add_hookspecs(HexkitHookSpecs)
        self._autoload = (
            os.environ.get(AUTOLOAD_ENV, "") not in ("1", "true", "yes")
            if autoload is None
            else autoload
        )
        self._loaded = False
        self._warn_broken = warn_broken
        self._warned: set[tuple[str, str | None, str | None]] = set()
        self._origins: dict[int, _Origin] = {}
        self._broken: list[BrokenPlugin] = []
        self._hook_broken: list[BrokenPlugin] = []
        self._register_core_plugins()

    def _register_core_plugins(self) -> None:
        """Register the core's own plugins (the memory providers), autoload or not.

        They are found through the core's entry points like every other plugin, so the
        registry never imports what it registers.
        """
        for entry_point in importlib.metadata.entry_points(group=PROJECT_NAME):
            dist = entry_point.dist
            if dist is not None and dist.metadata["Name"] == _CORE_DISTRIBUTION:
                self.register_plugin(
                    entry_point.load(), distribution=_CORE_DISTRIBUTION, version=dist.version
                )

    def register_plugin(
        self, plugin: object, *, distribution: str | None = None, version: str | None = None
    ) -> None:
        """Register an in-code plugin (a module or object with ``hexkit_providers``)."""
        self._register(plugin, _Origin(distribution, version))

    def _register(self, plugin: object, origin: _Origin) -> None:
        self._manager.register(plugin)
        self._origins[id(plugin)] = origin

    def _load_entry_points(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if not self._autoload:
            return
        for entry_point in importlib.metadata.entry_points(group=PROJECT_NAME):
            dist = entry_point.dist
            name = dist.metadata["Name"] if dist is not None else None
            version = dist.version if dist is not None else None
            try:
                plugin = entry_point.load()
                if self._manager.is_registered(plugin):
                    continue
                self._register(plugin, _Origin(name, version, entry_point.name, entry_point.value))
            except Exception as error:  # noqa: BLE001 - one broken plugin must not hide the rest
                self._broken.append(
                    BrokenPlugin(entry_point.name, name, version, repr(error), entry_point.value)
                )

    def _collect(self) -> list[ProviderInfo]:
        self._load_entry_points()
        infos: list[ProviderInfo] = []
        broken_now: list[BrokenPlugin] = []
        for impl in self._manager.hook.hexkit_providers.get_hookimpls():
            origin = self._origins.get(id(impl.plugin), _Origin(None, None))
            try:
                specs: list[ProviderSpec] = list(cast("Iterable[ProviderSpec]", impl.function()))
                infos.extend(self._info(spec, origin) for spec in specs)
            except Exception as error:  # noqa: BLE001 - report the plugin as broken instead
                broken_now.append(
                    BrokenPlugin(
                        origin.entry_point or impl.plugin_name,
                        origin.distribution,
                        origin.version,
                        repr(error),
                        origin.value,
                    )
                )
        self._hook_broken = broken_now
        self._warn([*self._broken, *broken_now])
        return sorted(infos, key=lambda info: (info.kind, info.name, info.distribution or ""))

    def _warn(self, broken: list[BrokenPlugin]) -> None:
        """Report each broken plugin once: a log record and a ``BrokenPluginWarning``."""
        if not self._warn_broken:
            return
        for plugin in broken:
            key = (plugin.entry_point, plugin.distribution, plugin.value)
            if key in self._warned:
                continue
            # Marked first: under ``-W error`` the warning raises, and must do so only once.
            self._warned.add(key)
            warning = BrokenPluginWarning(plugin)
            _logger.warning("%s", warning)
            warnings.warn(warning, stacklevel=4)

    @staticmethod
    def _info(spec: ProviderSpec, origin: _Origin) -> ProviderInfo:
        if not isinstance(spec, ProviderSpec) or spec.kind not in KINDS or ":" not in spec.target:
            raise TypeError(f"invalid provider description {spec!r}")
        return ProviderInfo(
            kind=spec.kind,
            name=spec.name,
            description=spec.description,
            distribution=origin.distribution,
            version=origin.version,
            target=spec.target,
            plugin=origin.entry_point,
        )

    def list_providers(self, kind: ProviderKind | None = None) -> list[ProviderInfo]:
        """Return every provider (of one kind, if given), conflicting ones included."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"Unknown provider kind {kind!r}; use one of {list(KINDS)}.")
        return [info for info in self._collect() if kind is None or info.kind == kind]

    def list_broken_plugins(self) -> list[BrokenPlugin]:
        """Return plugins that failed to import or to describe their providers."""
        self._collect()
        return [*self._broken, *self._hook_broken]

    def get_provider(self, kind: ProviderKind, name: str) -> ProviderInfo:
        """Return the provider of this kind and name.

        Raises ``ProviderNotFoundError`` (listing what is installed) or
        ``ProviderConflictError`` when several plugins claim it.
        """
        matches: dict[str, list[ProviderInfo]] = defaultdict(list)
        for info in self.list_providers(kind):
            matches[info.name].append(info)
        found = matches.get(name)
        if not found:
            raise ProviderNotFoundError(
                kind=kind, name=name, installed=matches, broken=self.list_broken_plugins()
            )
        if len(found) > 1:
            raise ProviderConflictError(
                kind=kind,
                name=name,
                distributions=[info.distribution or "<registered in code>" for info in found],
            )
        return found[0]

    def __repr__(self) -> str:
        return f"Registry(autoload={self._autoload})"

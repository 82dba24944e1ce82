"""The registry: plugins found through pluggy and the ``hexkit`` entry point group."""

from __future__ import annotations

import importlib.metadata
import os
from collections import defaultdict
from collections.abc import Iterable
from typing import cast

import pluggy

from ._errors import ProviderConflictError, ProviderNotFoundError
from ._hooks import KINDS, PROJECT_NAME, HexkitHookSpecs, ProviderKind, ProviderSpec
from ._info import BrokenPlugin, ProviderInfo

__all__ = ["AUTOLOAD_ENV", "Registry"]

AUTOLOAD_ENV = "HEXKIT_DISABLE_PLUGIN_AUTOLOAD"
_BUILTIN_PLUGIN = "hexkit.providers.memory._plugin"


def _core_version() -> str | None:
    try:
        return importlib.metadata.version("hexkit")
    except importlib.metadata.PackageNotFoundError:
        return None


class Registry:
    """Providers contributed by plugins, resolved by kind and name.

    Entry points of group ``hexkit`` load on first use unless ``autoload`` is false
    (by default: unless ``HEXKIT_DISABLE_PLUGIN_AUTOLOAD=1``). The core's memory
    providers are always registered.
    """

    def __init__(self, *, autoload: bool | None = None) -> None:
        self._manager = pluggy.PluginManager(PROJECT_NAME)
        self._manager.add_hookspecs(HexkitHookSpecs)
        self._autoload = (
            os.environ.get(AUTOLOAD_ENV, "") not in ("1", "true", "yes")
            if autoload is None
            else autoload
        )
        self._loaded = False
        self._origins: dict[int, tuple[str | None, str | None]] = {}
        self._broken: list[BrokenPlugin] = []
        self._hook_broken: list[BrokenPlugin] = []
        builtin = importlib.import_module(_BUILTIN_PLUGIN)
        self.register_plugin(builtin, distribution="hexkit", version=_core_version())

    def register_plugin(
        self, plugin: object, *, distribution: str | None = None, version: str | None = None
    ) -> None:
        """Register an in-code plugin (a module or object with ``hexkit_providers``)."""
        self._manager.register(plugin)
        self._origins[id(plugin)] = (distribution, version)

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
                self.register_plugin(plugin, distribution=name, version=version)
            except Exception as error:  # noqa: BLE001 - one broken plugin must not hide the rest
                self._broken.append(
                    BrokenPlugin(
                        f"{entry_point.name} = {entry_point.value}", name, version, repr(error)
                    )
                )

    def _collect(self) -> list[ProviderInfo]:
        self._load_entry_points()
        infos: list[ProviderInfo] = []
        broken_now: list[BrokenPlugin] = []
        for impl in self._manager.hook.hexkit_providers.get_hookimpls():
            distribution, version = self._origins.get(id(impl.plugin), (None, None))
            try:
                specs: list[ProviderSpec] = list(cast("Iterable[ProviderSpec]", impl.function()))
                infos.extend(self._info(spec, distribution, version) for spec in specs)
            except Exception as error:  # noqa: BLE001 - report the plugin as broken instead
                broken_now.append(
                    BrokenPlugin(impl.plugin_name, distribution, version, repr(error))
                )
        self._hook_broken = broken_now
        return sorted(infos, key=lambda info: (info.kind, info.name, info.distribution or ""))

    @staticmethod
    def _info(spec: ProviderSpec, distribution: str | None, version: str | None) -> ProviderInfo:
        if not isinstance(spec, ProviderSpec) or spec.kind not in KINDS or ":" not in spec.target:
            raise TypeError(f"invalid provider description {spec!r}")
        return ProviderInfo(
            kind=spec.kind,
            name=spec.name,
            description=spec.description,
            distribution=distribution,
            version=version,
            target=spec.target,
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
            raise ProviderNotFoundError(kind=kind, name=name, installed=matches)
        if len(found) > 1:
            raise ProviderConflictError(
                kind=kind,
                name=name,
                distributions=[info.distribution or "<registered in code>" for info in found],
            )
        return found[0]

    def __repr__(self) -> str:
        return f"Registry(autoload={self._autoload})"

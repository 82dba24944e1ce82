"""Errors of the provider registry, as a tree, and the broken plugins they report.

::

    RegistryError
    ├── ProviderNotFoundError (LookupError)    .kind, .name, .broken
    ├── ProviderConflictError                  .kind, .name, .distributions
    ├── ProviderLoadError (ImportError)        .kind, .name
    └── ProviderConfigError (ValueError)       .kind, .name, .fields

    BrokenPluginWarning (RuntimeWarning)       .plugin  (a warning, not an error)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "BrokenPlugin",
    "BrokenPluginWarning",
    "ProviderConfigError",
    "ProviderConflictError",
    "ProviderLoadError",
    "ProviderNotFoundError",
    "RegistryError",
    "first_party_kind",
]

# Providers we publish: (kind, name) -> (the core's extra that installs it, its distribution).
# First-party entry points are named after their provider.
KNOWN_PROVIDERS: dict[tuple[str, str], tuple[str, str]] = {
    ("dao", "mongodb"): ("mongodb", "hexkit-mongodb"),
    ("dao", "postgres"): ("postgres", "hexkit-postgres"),
    ("objstorage", "s3"): ("s3", "hexkit-s3"),
}


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin that could not be imported or whose hook failed.

    ``entry_point`` is the entry point's name (a plugin registered in code: its pluggy
    name) and ``value`` what it points to (``module`` or ``module:attribute``).
    """

    entry_point: str
    distribution: str | None
    version: str | None
    reason: str
    value: str | None = None


def first_party_kind(plugin: BrokenPlugin) -> str | None:
    """Return the kind of provider a broken plugin holds when it is one we publish, else ``None``.

    Only an entry point named after one of our providers, in the distribution we publish
    it in, counts: a broken third-party plugin may hold providers of any kind.
    """
    for (kind, name), (_, distribution) in KNOWN_PROVIDERS.items():
        if plugin.entry_point == name and plugin.distribution == distribution:
            return kind
    return None


def install_hint(extra: str) -> str:
    """Return the command that installs the core with ``extra`` from our own index only.

    Never a bare ``pip install "hexkit[...]"``: that resolves PyPI's unrelated ``hexkit``.
    """
    return f'pip install --index-url <your hexkit index>/simple "hexkit[{extra}]"'


def describe_broken(plugin: BrokenPlugin) -> str:
    """Say which plugin failed and why, for messages and warnings."""
    origin = plugin.distribution or "code registered at runtime"
    if plugin.distribution and plugin.version:
        origin += f" {plugin.version}"
    return f"plugin {plugin.entry_point!r} of {origin}: {plugin.reason}"


def _likely_providers(kind: str, name: str, plugin: BrokenPlugin) -> bool:
    known = KNOWN_PROVIDERS.get((kind, name))
    return plugin.entry_point == name or (known is not None and plugin.distribution == known[1])


class RegistryError(Exception):
    """Base of errors raised by the provider registry."""


class ProviderNotFoundError(RegistryError, LookupError):
    """No installed plugin provides this kind and name."""

    def __init__(
        self,
        *,
        kind: str,
        name: str,
        installed: Iterable[str],
        broken: Iterable[BrokenPlugin] = (),
    ) -> None:
        self.kind = kind
        self.name = name
        failed = list(broken)
        #: The broken plugins that most likely hold this provider (entry point named after
        #: it, or the distribution we publish it in); empty when it is simply not installed.
        self.broken = tuple(item for item in failed if _likely_providers(kind, name, item))
        names = sorted(installed)
        listing = ", ".join(repr(item) for item in names) if names else "none"
        if self.broken:
            reasons = "; ".join(describe_broken(item) for item in self.broken)
            message = (
                f"The {kind} provider {name!r} is installed but its plugin is broken ({reasons})."
                f" Working {kind} providers: {listing}. Fix the error above (often a missing"
                " or incompatible dependency: reinstall the distribution);"
                " `hexkit providers` shows the status of every plugin."
            )
            super().__init__(message)
            return
        message = f"No {kind} provider named {name!r} is installed (installed: {listing})."
        known = KNOWN_PROVIDERS.get((kind, name))
        if known is not None:
            message += (
                f" Install it from our package index, never from PyPI (whose 'hexkit' is"
                f" another project): {install_hint(known[0])}"
            )
        else:
            message += " Install the plugin distribution that provides it."
        if failed:
            reasons = "; ".join(describe_broken(item) for item in failed)
            message += f" These plugins failed to load and may provide it: {reasons}."
        super().__init__(message)


class ProviderConflictError(RegistryError):
    """Two plugins claim the same kind and name."""

    def __init__(self, *, kind: str, name: str, distributions: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.distributions = tuple(distributions)
        super().__init__(
            f"The {kind} provider {name!r} is claimed by several plugins:"
            f" {', '.join(self.distributions)}. Uninstall all but one of them."
        )


class ProviderLoadError(RegistryError, ImportError):
    """A provider's class could not be imported."""

    def __init__(self, *, kind: str, name: str, target: str, reason: str) -> None:
        self.kind = kind
        self.name = name
        super().__init__(
            f"The {kind} provider {name!r} ({target}) could not be loaded: {reason}."
            " Reinstall its distribution or check its dependencies."
        )


class ProviderConfigError(RegistryError, ValueError):
    """The configuration given for a provider does not validate."""

    def __init__(
        self,
        *,
        kind: str,
        name: str,
        problems: Iterable[tuple[str, str]],
        env: Mapping[str, str] | None = None,
    ) -> None:
        """``env`` maps fields to the environment variables they were read from, if any."""
        self.kind = kind
        self.name = name
        items = list(problems)
        self.fields = tuple(field for field, _ in items)
        named = env or {}
        details = "; ".join(
            f"{field} (environment variable {named[field]}): {message}"
            if field in named
            else f"{field}: {message}"
            for field, message in items
        )
        hint = " Set the environment variables named, or pass the config." if named else ""
        super().__init__(
            f"Invalid configuration for the {kind} provider {name!r}: {details}.{hint}"
        )


class BrokenPluginWarning(RuntimeWarning):
    """An installed plugin failed to load; its providers are unavailable.

    Emitted once per registry (and logged on the ``hexkit.registry`` logger); filter it
    with ``warnings.filterwarnings("ignore", category=BrokenPluginWarning)``.
    """

    def __init__(self, plugin: BrokenPlugin) -> None:
        self.plugin = plugin
        super().__init__(
            f"hexkit {describe_broken(plugin)}. Its providers are unavailable; reinstall the"
            " distribution or check its dependencies (`hexkit providers` lists every plugin)."
        )

"""Errors of the provider registry, as a tree.

::

    RegistryError
    ├── ProviderNotFoundError (LookupError)    .kind, .name
    ├── ProviderConflictError                  .kind, .name, .distributions
    ├── ProviderLoadError (ImportError)        .kind, .name
    └── ProviderConfigError (ValueError)       .kind, .name, .fields
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ProviderConfigError",
    "ProviderConflictError",
    "ProviderLoadError",
    "ProviderNotFoundError",
    "RegistryError",
]

# Providers we publish, and the extra that installs each.
KNOWN_EXTRAS: dict[tuple[str, str], str] = {
    ("dao", "mongodb"): "mongodb",
    ("objstorage", "s3"): "s3",
}


class RegistryError(Exception):
    """Base of errors raised by the provider registry."""


class ProviderNotFoundError(RegistryError, LookupError):
    """No installed plugin provides this kind and name."""

    def __init__(self, *, kind: str, name: str, installed: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        names = sorted(installed)
        listing = ", ".join(repr(item) for item in names) if names else "none"
        message = f"No {kind} provider named {name!r} is installed (installed: {listing})."
        extra = KNOWN_EXTRAS.get((kind, name))
        if extra is not None:
            message += f' Install it with: pip install "hexkit[{extra}]"'
        else:
            message += " Install the plugin distribution that provides it."
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

    def __init__(self, *, kind: str, name: str, problems: Iterable[tuple[str, str]]) -> None:
        self.kind = kind
        self.name = name
        items = list(problems)
        self.fields = tuple(field for field, _ in items)
        details = "; ".join(f"{field}: {message}" for field, message in items)
        super().__init__(f"Invalid configuration for the {kind} provider {name!r}: {details}.")

"""Lazy re-exports for a provider package's ``__init__``.

The registry imports a plugin's ``_plugin`` module to list providers, which imports its
package ``__init__`` first; listing must not import the driver. A package therefore
re-exports its public names on first access::

    if TYPE_CHECKING:  # what type checkers and IDEs see
        from ._config import MongoDbConfig

    __all__ = ["MongoDbConfig"]
    __getattr__, __dir__ = lazy_exports(__name__, {"MongoDbConfig": "._config"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a module ``__getattr__`` and ``__dir__`` that import ``homes`` on first access.

    ``homes`` maps each public name to the module that defines it, relative to
    ``package`` (``"._config"``) or absolute. A name is imported once, then cached in the
    package's namespace, so later lookups are plain attribute reads.
    """
    table = dict(homes)

    def __getattr__(name: str) -> Any:
        home = table.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *table})

    return __getattr__, __dir__

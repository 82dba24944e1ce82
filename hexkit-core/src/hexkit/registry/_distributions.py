"""Which hexkit distributions are installed, and whether the ``hexkit`` one is ours.

PyPI hosts an unrelated project named ``hexkit``. When an installer resolves our name
there, its distribution replaces or shadows ours; we recognise ours by the console
script it declares (``hexkit = hexkit.cli:main``; ``hexkit.registry._cli:main`` before
the command moved to ``hexkit.cli``), which every install of ours carries, wheel or editable.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass

from ._hooks import PROJECT_NAME

__all__ = ["CORE_DISTRIBUTION", "InstalledDistribution", "foreign_core", "installed_distributions"]

CORE_DISTRIBUTION = "hexkit"
# The current target first; the former one still marks an install of ours whose metadata
# predates the move (an editable install not yet reinstalled).
_MARKERS = ("hexkit.cli:main", "hexkit.registry._cli:main")


@dataclass(frozen=True)
class InstalledDistribution:
    """A distribution of the core or of a provider plugin, as installed."""

    name: str
    version: str | None


def _core() -> importlib.metadata.Distribution | None:
    try:
        return importlib.metadata.distribution(CORE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


def installed_distributions() -> list[InstalledDistribution]:
    """Return the core first, then every distribution with ``hexkit`` entry points, by name.

    Reads metadata only: no plugin is imported, so a broken plugin is listed too.
    """
    core = _core()
    found = [InstalledDistribution(CORE_DISTRIBUTION, core.version if core else None)]
    plugins: dict[str, str | None] = {}
    for entry_point in importlib.metadata.entry_points(group=PROJECT_NAME):
        dist = entry_point.dist
        if dist is not None and dist.metadata["Name"] not in plugins:
            plugins[dist.metadata["Name"]] = dist.version
    found += [
        InstalledDistribution(name, plugins[name])
        for name in sorted(plugins)
        if name != CORE_DISTRIBUTION
    ]
    return found


def foreign_core() -> str | None:
    """Return why the installed ``hexkit`` distribution is not ours, or ``None`` if it is.

    A missing ``hexkit`` distribution (the code runs from a source tree) is not foreign.
    """
    core = _core()
    if core is None:
        return None
    scripts = core.entry_points.select(group="console_scripts", name=CORE_DISTRIBUTION)
    if any(entry_point.value in _MARKERS for entry_point in scripts):
        return None
    location = core.locate_file("")
    return (
        f"The installed 'hexkit' distribution (version {core.version}, in {location}) is not"
        " this project's hexkit but the unrelated project of that name on PyPI, so our"
        " providers may be missing or broken. Uninstall it (pip uninstall hexkit) and"
        " reinstall from our package index only:"
        ' pip install --index-url <your hexkit index>/simple "hexkit[mongodb,s3]"'
        " (see the README, Install)."
    )

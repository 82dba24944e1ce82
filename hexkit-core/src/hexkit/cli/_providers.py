"""``hexkit providers [--kind K] [--json]`` and ``hexkit --version``.

Both read the registry's public API only: the providers and broken plugins of a fresh
registry, the installed distributions, and whether the installed core is ours.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any, get_args

from hexkit.registry import (
    BrokenPlugin,
    ProviderInfo,
    ProviderKind,
    ProviderLoadError,
    Registry,
    first_party_kind,
    foreign_core,
    installed_distributions,
)

__all__ = ["add_providers_parser", "run_providers", "version_text"]

KINDS: tuple[ProviderKind, ...] = get_args(ProviderKind)


def _status(info: ProviderInfo, claims: Counter[tuple[ProviderKind, str]]) -> str:
    if claims[(info.kind, info.name)] > 1:
        return "conflict"
    try:
        info.load()
    except ProviderLoadError as error:
        return f"broken: {error}"
    return "ok"


def _broken_kind(broken: BrokenPlugin) -> str:
    """Return the kind a broken plugin provides, if it is one we publish; else ``"?"``."""
    return first_party_kind(broken) or "?"


def _rows(registry: Registry, kind: ProviderKind | None) -> list[dict[str, str]]:
    providers = registry.list_providers(kind)
    claims = Counter((info.kind, info.name) for info in providers)
    rows = [
        {
            "kind": info.kind,
            "name": info.name,
            "distribution": info.distribution or "-",
            "version": info.version or "-",
            "plugin": info.plugin or "-",
            "status": _status(info, claims),
            "description": info.description,
        }
        for info in providers
    ]
    for broken in registry.list_broken_plugins():
        broken_kind = _broken_kind(broken)
        # A plugin of unknown kind may hold a provider of any kind: always listed.
        if kind is None or broken_kind in (kind, "?"):
            rows.append(
                {
                    "kind": broken_kind,
                    "name": broken.entry_point,
                    "distribution": broken.distribution or "-",
                    "version": broken.version or "-",
                    "plugin": broken.entry_point,
                    "status": f"broken: {broken.reason}",
                    "description": "",
                }
            )
    return rows


def _exit_status(rows: list[dict[str, str]], kind: str | None) -> int:
    """1 if a listed provider of the asked kind (any kind without ``--kind``) is not ok.

    With ``--kind``, a broken plugin of unknown kind is listed but does not fail the run.
    """
    return int(any(row["status"] != "ok" and kind in (None, row["kind"]) for row in rows))


def version_text() -> str:
    """Name the core and every provider distribution with their versions (``--version``)."""
    lines = [
        f"{dist.name} {dist.version or '(not installed as a distribution)'}"
        for dist in installed_distributions()
    ]
    problem = foreign_core()
    if problem is not None:
        lines.append(f"warning: {problem}")
    return "\n".join(lines)


def _table(rows: list[dict[str, str]]) -> str:
    columns = ("kind", "name", "distribution", "version", "plugin", "status")
    widths = {col: max([len(col), *(len(row[col]) for row in rows)]) for col in columns[:-1]}
    lines = ["  ".join(col.upper().ljust(widths.get(col, 0)) for col in columns).rstrip()]
    lines += [
        "  ".join(row[col].ljust(widths.get(col, 0)) for col in columns).rstrip() for row in rows
    ]
    return "\n".join(lines)


def add_providers_parser(commands: Any) -> None:
    """Add ``providers`` with its options to the console script's subcommands."""
    providers = commands.add_parser("providers", help="list installed providers")
    providers.add_argument(
        "--kind",
        choices=KINDS,
        help="only providers of this kind (and the exit status only for them)",
    )
    providers.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run_providers(args: argparse.Namespace) -> int:
    """Run ``hexkit providers``; return the exit status (1 if a listed provider is not ok)."""
    problem = foreign_core()
    if problem is not None:
        print(f"warning: {problem}", file=sys.stderr)
    # Broken plugins are rows of the listing, so no BrokenPluginWarning on top.
    rows = _rows(Registry(warn_broken=False), args.kind)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(_table(rows))
    return 1 if problem is not None else _exit_status(rows, args.kind)

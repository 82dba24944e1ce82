"""The ``hexkit`` console script.

``hexkit --version`` names the core and every provider distribution;
``hexkit providers [--kind K] [--json]`` lists providers; ``hexkit migrate status|up|down``
runs ``hexkit.migrations`` (see ``hexkit.migrations._cli``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence

from hexkit.migrations._cli import add_migrate_parser, run_migrate

from ._distributions import foreign_core, installed_distributions
from ._errors import KNOWN_PROVIDERS, BrokenPlugin, ProviderLoadError
from ._hooks import KINDS, ProviderKind
from ._info import ProviderInfo
from ._registry import Registry

__all__ = ["main"]


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
    for (kind, name), (_, distribution) in KNOWN_PROVIDERS.items():
        if broken.entry_point == name and broken.distribution == distribution:
            return kind
    return "?"


def _rows(registry: Registry, kind: str | None) -> list[dict[str, str]]:
    providers = registry.list_providers(kind)  # type: ignore[arg-type]
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


def _version_text() -> str:
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; return the exit status."""
    parser = argparse.ArgumentParser(prog="hexkit", description="hexkit provider tools")
    parser.add_argument(
        "--version",
        action="store_true",
        help="print the versions of the core and of every provider distribution",
    )
    commands = parser.add_subparsers(dest="command")
    providers = commands.add_parser("providers", help="list installed providers")
    providers.add_argument(
        "--kind",
        choices=KINDS,
        help="only providers of this kind (and the exit status only for them)",
    )
    providers.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_migrate_parser(commands)
    args = parser.parse_args(argv)
    if args.version:
        print(_version_text())
        return 0
    if args.command is None:
        parser.error("name a command: providers or migrate (or use --version)")
    if args.command == "migrate":
        return run_migrate(args)

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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

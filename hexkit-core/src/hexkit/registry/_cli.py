"""The ``hexkit`` console script.

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

from ._errors import ProviderLoadError
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


def _rows(registry: Registry, kind: str | None) -> list[dict[str, str]]:
    providers = registry.list_providers(kind)  # type: ignore[arg-type]
    claims = Counter((info.kind, info.name) for info in providers)
    rows = [
        {
            "kind": info.kind,
            "name": info.name,
            "distribution": info.distribution or "-",
            "version": info.version or "-",
            "status": _status(info, claims),
            "description": info.description,
        }
        for info in providers
    ]
    rows.extend(
        {
            "kind": "?",
            "name": broken.entry_point,
            "distribution": broken.distribution or "-",
            "version": broken.version or "-",
            "status": f"broken: {broken.reason}",
            "description": "",
        }
        for broken in registry.list_broken_plugins()
    )
    return rows


def _table(rows: list[dict[str, str]]) -> str:
    columns = ("kind", "name", "distribution", "version", "status")
    widths = {col: max([len(col), *(len(row[col]) for row in rows)]) for col in columns[:-1]}
    lines = ["  ".join(col.upper().ljust(widths.get(col, 0)) for col in columns).rstrip()]
    lines += [
        "  ".join(row[col].ljust(widths.get(col, 0)) for col in columns).rstrip() for row in rows
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; return the exit status."""
    parser = argparse.ArgumentParser(prog="hexkit", description="hexkit provider tools")
    commands = parser.add_subparsers(dest="command", required=True)
    providers = commands.add_parser("providers", help="list installed providers")
    providers.add_argument("--kind", choices=KINDS, help="only providers of this kind")
    providers.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_migrate_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "migrate":
        return run_migrate(args)

    rows = _rows(Registry(), args.kind)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(_table(rows))
    return 1 if any(row["status"] != "ok" for row in rows) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

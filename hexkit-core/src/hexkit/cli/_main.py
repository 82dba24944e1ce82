"""Assemble the ``hexkit`` console script from its subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ._dev import add_dev_parser, run_dev
from ._migrate import add_migrate_parser, run_migrate
from ._providers import add_providers_parser, run_providers, version_text

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; return the exit status."""
    parser = argparse.ArgumentParser(prog="hexkit", description="hexkit provider tools")
    parser.add_argument(
        "--version",
        action="store_true",
        help="print the versions of the core and of every provider distribution",
    )
    commands = parser.add_subparsers(dest="command")
    add_providers_parser(commands)
    add_migrate_parser(commands)
    add_dev_parser(commands)
    args = parser.parse_args(argv)
    if args.version:
        print(version_text())
        return 0
    if args.command is None:
        parser.error("name a command: providers, migrate or dev (or use --version)")
    if args.command == "migrate":
        return run_migrate(args)
    if args.command == "dev":
        return run_dev(args)
    return run_providers(args)

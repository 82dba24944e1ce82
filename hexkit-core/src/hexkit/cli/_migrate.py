"""``hexkit migrate status|up|down``: run migrations from the command line.

The provider is resolved by name through the registry; its config comes from the
environment (the provider's settings model), or from ``--config`` (a JSON object or
the path of a JSON file). Config values are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hexkit.migrations import (
    Migration,
    MigrationError,
    MigrationReport,
    MigrationState,
    check_migrations,
    migrate,
    migration_status,
)
from hexkit.protocols.dao import DaoError
from hexkit.registry import RegistryError, open_provider

from ._progress import Progress

__all__ = ["add_migrate_parser", "run_migrate"]


class CliError(Exception):
    """A problem with the command line's arguments, reported without a traceback."""


def add_migrate_parser(commands: Any) -> None:
    """Add ``migrate`` with its subcommands to the console script's parser."""
    parser = commands.add_parser("migrate", help="show or change the version of DAO data")
    actions = parser.add_subparsers(dest="action", required=True)
    for action, text in (
        ("status", "show the version, lock and history"),
        ("up", "migrate up to --target (default: the last migration)"),
        ("down", "migrate down to --target (default: one version down)"),
    ):
        sub = actions.add_parser(action, help=text)
        sub.add_argument("--provider", required=True, help="DAO provider name, e.g. mongodb")
        sub.add_argument(
            "--config", help="provider config: a JSON object or a JSON file (default: env)"
        )
        sub.add_argument(
            "--migrations",
            required=action != "status",
            help="module holding the list MIGRATIONS, e.g. my_service.migrations",
        )
        sub.add_argument("--json", action="store_true", help="print JSON instead of text")
        if action != "status":
            sub.add_argument("--target", type=int, help="the version to reach")
            sub.add_argument("--dry-run", action="store_true", help="report, write nothing")
            sub.add_argument("--batch-size", type=int, default=1000)
            sub.add_argument("--lock-timeout", type=float, default=300.0)


def _config(raw: str | None) -> Mapping[str, Any] | None:
    if raw is None:
        return None
    text = raw if raw.lstrip().startswith("{") else _read(raw)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:  # the message quotes no input
        raise CliError(
            f"--config is not valid JSON ({error.msg} at line {error.lineno})."
        ) from None
    if not isinstance(value, dict):
        raise CliError("--config must be a JSON object of the provider's settings.")
    return value


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(
            f"--config {path!r} is neither a JSON object nor a readable file ({error.strerror})."
        ) from None


def _migrations(name: str | None) -> list[Migration]:
    if name is None:
        return []
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        raise CliError(
            f"Cannot import --migrations {name!r}: {error}. Check the module name and that"
            " its package is on the path (run from the project root, or set PYTHONPATH)."
        ) from None
    except Exception as error:  # noqa: BLE001 - any error of the user's module, shown whole
        raise CliError(
            f"Importing --migrations {name!r} failed with {type(error).__name__}: {error}."
            " Fix the module (`python -c 'import <module>'` shows the traceback)."
        ) from None
    found = getattr(module, "MIGRATIONS", None)
    if not isinstance(found, list | tuple):
        raise CliError(f"Module {name!r} has no list named MIGRATIONS; define one.")
    check_migrations(found)
    return list(found)


def _target(args: argparse.Namespace, state: MigrationState, known: int) -> int:
    if args.target is not None:
        target: int = args.target
    else:
        target = known if args.action == "up" else max(state.version - 1, 0)
    if args.action == "up" and target < state.version:
        raise CliError(f"The database is at version {state.version}; use `down` to reach {target}.")
    if args.action == "down" and target > state.version:
        raise CliError(f"The database is at version {state.version}; use `up` to reach {target}.")
    return target


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: _plain(getattr(value, item.name))
            for item in dataclasses.fields(value)
            if not item.name.startswith("_")
        }
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _status_text(state: MigrationState, known: int | None) -> str:
    latest = f" (latest: {known})" if known is not None else ""
    lines = [f"version: {state.version}{latest}"]
    lock = state.lock
    lines.append(
        f"lock: held by {lock.owner} until {lock.expires_at:%Y-%m-%d %H:%M:%S}Z"
        if lock
        else "lock: free"
    )
    lines.append("history:" if state.history else "history: none")
    lines += [
        f"  {e.previous} -> {e.version}  {e.direction:<4}  {e.finished_at:%Y-%m-%d %H:%M:%S}Z"
        f"  {e.seconds:.3f} s  {e.documents} documents"
        for e in state.history
    ]
    return "\n".join(lines)


def _report_text(report: MigrationReport) -> str:
    verb = "would migrate" if report.dry_run else "migrated"
    if not report.steps:
        return f"nothing to do: the database is at version {report.version}"
    lines = [f"{verb} {report.start_version} -> {report.version}:"]
    for step in report.steps:
        counts = ", ".join(f"{name}={count}" for name, count in step.documents.items())
        removed = f"; removes {', '.join(step.removed)}" if step.removed else ""
        lines.append(f"  {step.previous} -> {step.version} {step.direction}: {counts}{removed}")
        if report.dry_run and step.invalid:
            lines.append(f"    {step.invalid} documents would fail validation, first:")
            lines += [
                f"    {f.collection} {f.id!r} {f.field or '<document>'}: {f.reason}"
                for f in step.failures
            ]
    return "\n".join(lines)


async def _run(args: argparse.Namespace) -> tuple[Any, str]:
    migrations = _migrations(args.migrations)
    config = _config(args.config)
    async with open_provider("dao", args.provider, config=config) as factory:
        state = await migration_status(factory)
        if args.action == "status":
            known = len(migrations) if args.migrations else None
            payload = {"version": state.version, "latest": known, **_plain(state)}
            payload.pop("layout")
            return payload, _status_text(state, known)
        report = await migrate(
            factory,
            migrations,
            target=_target(args, state, len(migrations)),
            dry_run=args.dry_run,
            batch_size=args.batch_size,
            lock_timeout=args.lock_timeout,
            on_event=Progress(sys.stderr, json_lines=args.json),
        )
        return _plain(report), _report_text(report)


def run_migrate(args: argparse.Namespace) -> int:
    """Run ``hexkit migrate``; return the exit status (1 on a migration error)."""
    try:
        payload, text = asyncio.run(_run(args))
    except (CliError, MigrationError, RegistryError, DaoError) as error:
        # DaoError: the database is down, times out or refuses (its message says what to do).
        if args.json:
            print(json.dumps({"error": type(error).__name__, "message": str(error)}))
        else:
            print(f"hexkit migrate: {error}", file=sys.stderr)
        return 1
    print(json.dumps(payload, indent=2) if args.json else text)
    failed = (
        isinstance(payload, dict)
        and payload.get("dry_run")
        and any(step.get("invalid") for step in payload.get("steps", []))
    )
    return 1 if failed else 0

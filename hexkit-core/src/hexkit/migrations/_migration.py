"""A migration: one version step, its transforms and the models its output must fit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from hexkit.protocols.dao import DaoSpec, DaoUsageError, build_spec

from ._errors import (
    IrreversibleMigrationError,
    MigrationDefinitionError,
    UnknownVersionError,
    names,
)
from ._transforms import Transform

__all__ = ["Migration", "Step", "check_migrations", "plan_steps"]


@dataclass(frozen=True)
class Migration:
    """The step from version ``version - 1`` to ``version`` (and back, with ``down``).

    ``up`` transforms the raw documents of the collections they name; ``models`` names
    every collection the step writes and the pydantic model each of its documents must
    validate against before anything becomes visible. ``id_fields`` names the ID field
    of every collection involved. Collections that transforms read but ``models`` does
    not name disappear after the step. ``down`` and ``down_models`` do the reverse.
    """

    version: int
    up: Sequence[Transform]
    models: Mapping[str, type[BaseModel]]
    id_fields: Mapping[str, str]
    down: Sequence[Transform] | None = None
    down_models: Mapping[str, type[BaseModel]] | None = None
    description: str = ""
    _specs: dict[tuple[str, str], DaoSpec[Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        version = self.version
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise MigrationDefinitionError(
                version=None, reason=f"version must be an integer of at least 1, got {version!r}"
            )
        if (self.down is None) != (self.down_models is None):
            raise MigrationDefinitionError(
                version=version, reason="give down and down_models together, or neither"
            )
        directions = [("up", self.up, self.models)]
        if self.down is not None and self.down_models is not None:
            directions.append(("down", self.down, self.down_models))
        for label, transforms, models in directions:
            self._check_direction(label, transforms, models)

    def _check_direction(
        self, label: str, transforms: Sequence[Transform], models: Mapping[str, type[BaseModel]]
    ) -> None:
        if isinstance(transforms, Transform) or not all(
            isinstance(item, Transform) for item in transforms
        ):
            raise MigrationDefinitionError(
                version=self.version,
                reason=f"{label} must be a list of transforms (add_field(), rename_field(), ...)",
            )
        if not models:
            raise MigrationDefinitionError(
                version=self.version,
                reason=f"{label} writes no collection; name each in {label}-models with its model",
            )
        involved = set(models).union(*(item.reads for item in transforms))
        missing = sorted(involved - set(self.id_fields))
        if missing:
            raise MigrationDefinitionError(
                version=self.version, reason=f"id_fields has no entry for {names(missing)}"
            )
        for name, model in models.items():
            try:
                self._specs[(label, name)] = build_spec(
                    name=name, dto_model=model, id_field=self.id_fields[name]
                )
            except (DaoUsageError, TypeError) as error:
                raise MigrationDefinitionError(
                    version=self.version, reason=f"collection {name!r} ({label}): {error}"
                ) from error

    def step(self, direction: Literal["up", "down"]) -> Step:
        """Return the step that runs this migration in ``direction``."""
        up = direction == "up"
        transforms = self.up if up else self.down
        models = self.models if up else self.down_models
        if transforms is None or models is None:
            raise IrreversibleMigrationError(version=self.version, stored=self.version, target=0)
        specs = {name: self._specs[(direction, name)] for name in models}
        reads = set(models).union(*(item.reads for item in transforms))
        return Step(
            version=self.version if up else self.version - 1,
            previous=self.version - 1 if up else self.version,
            direction=direction,
            transforms=tuple(transforms),
            specs=specs,
            id_fields=dict(self.id_fields),
            reads=tuple(sorted(reads)),
            removed=tuple(sorted(reads - set(models))),
        )


@dataclass(frozen=True)
class Step:
    """One migration in one direction, as the runner executes it."""

    version: int
    previous: int
    direction: Literal["up", "down"]
    transforms: tuple[Transform, ...]
    specs: Mapping[str, DaoSpec[Any]]
    id_fields: Mapping[str, str]
    reads: tuple[str, ...]
    removed: tuple[str, ...]


def check_migrations(migrations: Sequence[Migration]) -> dict[int, Migration]:
    """Return the migrations by version; versions must run 1, 2, ... without gaps."""
    if isinstance(migrations, Migration) or not all(
        isinstance(item, Migration) for item in migrations
    ):
        raise MigrationDefinitionError(
            version=None, reason="pass a list of Migration objects (e.g. MIGRATIONS)"
        )
    by_version: dict[int, Migration] = {}
    for migration in migrations:
        if migration.version in by_version:
            raise MigrationDefinitionError(
                version=migration.version, reason="two migrations have this version"
            )
        by_version[migration.version] = migration
    gaps = sorted(set(range(1, len(by_version) + 1)) - set(by_version))
    if gaps:
        raise MigrationDefinitionError(
            version=gaps[0], reason="versions must run 1, 2, 3, ... and this one is missing"
        )
    return by_version


def plan_steps(migrations: Sequence[Migration], *, stored: int, target: int) -> list[Step]:
    """Return the steps from ``stored`` to ``target``, or raise before anything runs."""
    by_version = check_migrations(migrations)
    known = len(by_version)
    if not isinstance(target, int) or isinstance(target, bool) or not 0 <= target <= known:
        raise MigrationDefinitionError(
            version=None,
            reason=f"target must be an integer from 0 to {known} (the last migration's"
            f" version), got {target!r}",
        )
    if stored > known:
        raise UnknownVersionError(version=stored, known=known)
    if target >= stored:
        return [by_version[version].step("up") for version in range(stored + 1, target + 1)]
    steps = []
    for version in range(stored, target, -1):
        if by_version[version].down is None:
            raise IrreversibleMigrationError(version=version, stored=stored, target=target)
        steps.append(by_version[version].step("down"))
    return steps

"""Errors of ``hexkit.migrations``.

Every error names the version (and where it applies the collection and document ID)
it is about, and its message says what to do::

    MigrationError (RuntimeError)
    ├── MigrationDefinitionError (ValueError)       .version
    ├── MigrationsNotSupportedError (TypeError)     .factory
    ├── IrreversibleMigrationError (NotImplementedError)  .version
    ├── UnknownVersionError (LookupError)           .version, .known
    ├── VersionMismatchError (ValueError)           .stored, .expected
    ├── MigrationTransformError                     .version, .collection, .id
    ├── MigrationValidationError (ValueError)       .version, .collection, .id, .field, .reason
    ├── MigrationIdConflictError (ValueError)       .version, .collection, .id
    ├── MigrationLockTimeoutError (TimeoutError)    .owner, .waited
    └── MigrationLockLostError                      .version

Errors raised while a step runs leave the stored data at the version before that step:
nothing of the step became visible, its staging collections were dropped and the lock
released.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "IrreversibleMigrationError",
    "MigrationDefinitionError",
    "MigrationError",
    "MigrationIdConflictError",
    "MigrationLockLostError",
    "MigrationLockTimeoutError",
    "MigrationTransformError",
    "MigrationValidationError",
    "MigrationsNotSupportedError",
    "UnknownVersionError",
    "VersionMismatchError",
]

_UNCHANGED = "Nothing became visible: the data stays at version {before}."


class MigrationError(RuntimeError):
    """Base of every error raised by ``hexkit.migrations``."""


class MigrationDefinitionError(MigrationError, ValueError):
    """A ``Migration`` or the list of migrations is malformed; fix the migration code."""

    def __init__(self, *, version: int | None, reason: str) -> None:
        self.version = version
        where = f"Migration to version {version}" if version is not None else "The migrations"
        super().__init__(f"{where}: {reason}.")


class MigrationsNotSupportedError(MigrationError, TypeError):
    """The DAO factory's provider does not implement migrations."""

    def __init__(self, *, factory: object) -> None:
        self.factory = factory
        super().__init__(
            f"{type(factory).__name__} has no migration_store(); its provider does not"
            " support hexkit.migrations yet. Use a provider that does (memory, mongodb,"
            " postgres)."
        )


class IrreversibleMigrationError(MigrationError, NotImplementedError):
    """A backward migration needs a step that has no ``down``."""

    def __init__(self, *, version: int, stored: int, target: int) -> None:
        self.version = version
        super().__init__(
            f"Cannot migrate down from version {stored} to {target}: the migration to"
            f" version {version} has no down transforms. Add down= and down_models= to it,"
            " or choose a target at or above that version. Nothing was changed."
        )


class UnknownVersionError(MigrationError, LookupError):
    """The database is at a version that the given migrations do not reach."""

    def __init__(self, *, version: int, known: int) -> None:
        self.version = version
        self.known = known
        super().__init__(
            f"The database is at version {version}, but these migrations only reach version"
            f" {known}; run code that knows version {version} (e.g. to migrate down), or"
            " restore the database. Nothing was changed."
        )


class VersionMismatchError(MigrationError, ValueError):
    """``check_only`` found the database at another version than the code expects."""

    def __init__(self, *, stored: int, expected: int) -> None:
        self.stored = stored
        self.expected = expected
        super().__init__(
            f"The database is at version {stored}, but this code expects version"
            f" {expected}; run `hexkit migrate up` (or migrate() without check_only) before"
            " starting it."
        )


class MigrationTransformError(MigrationError):
    """A transform raised on a document; the original exception is the ``__cause__``."""

    def __init__(self, *, version: int, before: int, collection: str, id_: Any) -> None:
        self.version = version
        self.collection = collection
        self.id = id_
        super().__init__(
            f"Migrating to version {version}: a transform failed on the document with ID"
            f" {id_!r} of collection {collection!r} (see the cause); fix the transform."
            f" {_UNCHANGED.format(before=before)}"
        )


class MigrationValidationError(MigrationError, ValueError):
    """A migrated document does not validate against its collection's model."""

    def __init__(
        self,
        *,
        version: int,
        before: int,
        collection: str,
        id_: Any,
        field: str | None,
        reason: str,
    ) -> None:
        self.version = version
        self.collection = collection
        self.id = id_
        self.field = field
        self.reason = reason
        where = f" field {field!r}:" if field else ""
        super().__init__(
            f"Migrating to version {version}: the document with ID {id_!r} of collection"
            f" {collection!r} does not validate after the transforms:{where} {reason}."
            " Fix the transforms or the model (a dry run lists the first failures)."
            f" {_UNCHANGED.format(before=before)}"
        )


class MigrationIdConflictError(MigrationError, ValueError):
    """Two migrated documents of one collection have the same ID."""

    def __init__(self, *, version: int, before: int, collection: str, id_: Any) -> None:
        self.version = version
        self.collection = collection
        self.id = id_
        super().__init__(
            f"Migrating to version {version}: two documents of collection {collection!r}"
            f" have the ID {id_!r} after the transforms; make the new IDs distinct."
            f" {_UNCHANGED.format(before=before)}"
        )


class MigrationLockTimeoutError(MigrationError, TimeoutError):
    """Another runner held the migration lock for longer than ``lock_timeout``."""

    def __init__(self, *, owner: str | None, waited: float, target: int) -> None:
        self.owner = owner
        self.waited = waited
        holder = f"runner {owner!r}" if owner else "another runner"
        super().__init__(
            f"Waited {waited:.1f} s for {holder} to finish migrating (target version"
            f" {target}); raise lock_timeout for long migrations. A crashed runner's lock"
            " expires after its lock_ttl, and the next run then takes over."
        )


class MigrationLockLostError(MigrationError):
    """The lock expired while this runner worked, so another runner may have taken over."""

    def __init__(self, *, version: int, before: int) -> None:
        self.version = version
        super().__init__(
            f"Lost the migration lock while migrating to version {version} (it expired,"
            " and another runner may have taken over); raise lock_ttl, or check for slow"
            f" transforms or storage. {_UNCHANGED.format(before=before)}"
        )


def names(items: Sequence[str]) -> str:
    """Return ``items`` quoted and comma-separated, for messages."""
    return ", ".join(repr(item) for item in items)

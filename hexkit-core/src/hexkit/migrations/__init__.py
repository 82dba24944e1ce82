"""Schema migrations of DAO data, one API for every provider that supports them.

Define each version step as a :class:`Migration` of per-document transforms (helpers:
:func:`add_field`, :func:`rename_field`, :func:`drop_field`, :func:`change_id`,
:func:`map_documents`, :func:`split_collection`, :func:`merge_collections`) and run
``await migrate(dao_factory, MIGRATIONS, target=N)`` at service start. Providers
implement :class:`MigrationStore` (see ``_store`` for the design); errors are drawn
as a tree in ``_errors``. :func:`check_migrations` checks a list without running it
(the ``hexkit migrate`` command does); :func:`store_of` returns a factory's store. The
how-to is ``hexkit-core/docs/migrations.md``.
"""

from ._errors import (
    IrreversibleMigrationError,
    MigrationDefinitionError,
    MigrationError,
    MigrationIdConflictError,
    MigrationLockLostError,
    MigrationLockTimeoutError,
    MigrationsNotSupportedError,
    MigrationTransformError,
    MigrationValidationError,
    UnknownVersionError,
    VersionMismatchError,
)
from ._migration import Migration, check_migrations
from ._pipeline import Failure, StepReport
from ._runner import MigrationEvent, MigrationReport, migrate, migration_status, store_of
from ._store import HistoryEntry, LockInfo, MigrationState, MigrationStore, SupportsMigrations
from ._transforms import (
    Document,
    Transform,
    add_field,
    change_id,
    drop_field,
    map_documents,
    merge_collections,
    rename_field,
    split_collection,
)

__all__ = [
    "Document",
    "Failure",
    "HistoryEntry",
    "IrreversibleMigrationError",
    "LockInfo",
    "Migration",
    "MigrationDefinitionError",
    "MigrationError",
    "MigrationEvent",
    "MigrationIdConflictError",
    "MigrationLockLostError",
    "MigrationLockTimeoutError",
    "MigrationReport",
    "MigrationState",
    "MigrationStore",
    "MigrationTransformError",
    "MigrationValidationError",
    "MigrationsNotSupportedError",
    "StepReport",
    "SupportsMigrations",
    "Transform",
    "UnknownVersionError",
    "VersionMismatchError",
    "add_field",
    "change_id",
    "check_migrations",
    "drop_field",
    "map_documents",
    "merge_collections",
    "migrate",
    "migration_status",
    "rename_field",
    "split_collection",
    "store_of",
]


# Tracebacks and reprs show errors by the path users import them from, not the private
# module that defines them; pickling finds them there too.
for _name in __all__:
    _error = globals().get(_name)
    if isinstance(_error, type) and issubclass(_error, BaseException):
        _error.__module__ = __name__
del _name, _error

"""Each public package exports exactly what we mean to export."""

from __future__ import annotations

import importlib

import pytest

EXPECTED = {
    "hexkit.protocols": {"MAX_QUOTED", "clip", "shorten"},
    "hexkit.protocols.dao": {
        "CreationModelError", "Dao", "DaoError", "DaoFactoryProtocol", "DaoNameError",
        "DaoSpec", "DaoSurrogateId", "DaoUsageError", "DbTimeoutError", "DbUnavailableError",
        "FindError", "FindQuery", "FindResult", "IdFieldError", "IdGenerator", "IdType",
        "Index", "IndexFieldError", "InvalidFindMappingError", "InvalidIdError",
        "MultipleHitsFoundError", "NoHitsFoundError", "ProviderClosedError",
        "ResourceAlreadyExistsError",
        "ResourceNotFoundError", "TransactionError", "TransactionsNotSupportedError",
        "UniqueConstraintViolationError", "single_hit", "set_order", "MAX_DOCUMENT_SIZE",
        "MAX_INDEXED_SIZE",
        "MAX_NESTING",
        "SORTABLE_TYPES", "STRING_STORED_TYPES", "DocumentTooLargeError", "InvalidDocumentError",
        "UnsupportedFieldError", "ValidatedDto", "build_spec", "check_document",
        "DEFAULT_BATCH_SIZE", "BulkFailure", "BulkInsertResult", "BulkItem", "BulkResult",
        "BulkWriteError", "distinct_runs", "run_bulk",
        "CursorSigner", "InvalidCursorError", "PageNotFinishedError", "PageTracker", "Position",
        "field_value",
        "INITIAL_VERSION", "ResourceChangedError", "VersionFieldError",
        "changed_error", "check_delete_version", "expected_version", "stamp_version",
        "stored_document_error",
    },
    "hexkit.protocols.objstorage": {
        "MAX_EXPIRES_AFTER", "MAX_PART_NUMBER", "BucketAlreadyExistsError", "BucketError",
        "BucketIdValidationError", "BucketNotEmptyError", "BucketNotFoundError", "Data",
        "MultiPartUploadAbortError", "MultiPartUploadAlreadyExistsError",
        "MultiPartUploadConfirmError", "MultiPartUploadError", "MultiPartUploadNotFoundError",
        "ObjectAlreadyExistsError", "ObjectError", "ObjectIdValidationError", "ObjectMetadata",
        "ObjectNotFoundError", "ObjectStorageError", "ObjectStorageProtocol",
        "ObjectStorageUsageError", "PresignedPostURL",
        "PresignedTransfer", "StorageClosedError", "StorageTimeoutError", "StorageUnavailableError",
        "TransferRejectedError", "UploadedPart", "check_parts", "validate_bucket_id",
        "validate_object_id",
    },
    "hexkit.registry": {
        "AUTOLOAD_ENV", "BrokenPlugin", "BrokenPluginWarning", "InstalledDistribution",
        "installed_distributions", "ProviderClass", "ProviderConfigError",
        "ProviderConflictError", "ProviderInfo", "ProviderKind", "ProviderLoadError",
        "ProviderNotFoundError", "ProviderSpec", "Registry", "RegistryError", "default_registry",
        "get_provider", "hookimpl", "hookspec", "lazy_exports", "list_broken_plugins",
        "list_providers", "open_provider", "register_plugin", "first_party_kind", "foreign_core",
        "DEV_SERVER_GROUP", "DevServer", "DevServerStarter", "dev_server_starters",
        "ProviderWrapper", "add_provider_wrapper",
    },
    "hexkit.providers.memory": {
        "MemoryDao", "MemoryDaoConfig", "MemoryDaoFactory", "MemoryObjectStorage",
        "MemoryObjectStorageConfig", "MemoryTransfer",
    },
    "hexkit.migrations": {
        "Document", "Failure", "HistoryEntry", "IrreversibleMigrationError", "LockInfo",
        "Migration", "MigrationDefinitionError", "MigrationError", "MigrationEvent",
        "MigrationIdConflictError", "MigrationLockLostError", "MigrationLockTimeoutError",
        "MigrationReport", "MigrationState", "MigrationStore", "MigrationTransformError",
        "MigrationValidationError", "MigrationsNotSupportedError", "StepReport",
        "SupportsMigrations", "Transform", "UnknownVersionError", "VersionMismatchError",
        "add_field", "change_id", "drop_field", "map_documents", "merge_collections", "migrate",
        "migration_status", "rename_field", "split_collection", "check_migrations", "store_of",
    },
    "hexkit.cli": {"main"},
    "hexkit.fastapi": {
        "ERROR_ROOTS", "ERROR_STATUSES", "MAX_VALUE_CHARS", "PROBLEM_MEDIA_TYPE",
        "DaoDependency", "DaoFactoryDep", "Lifespan", "ObjectStorageDep", "ProblemResponse",
        "ProviderSettings", "Providers", "add_problem_handlers", "get_dao_factory",
        "get_object_storage", "get_providers", "hexkit_lifespan", "open_providers",
        "problem_detail", "problem_response", "providers_of", "status_of",
    },
    "hexkit.testing.dao": {
        "Address", "Color", "DaoConformance", "Everything", "Level", "make_everything",
    },
    "hexkit.testing.migrations": {
        "ITEMS", "ItemV1", "ItemV2", "MigrationConformance", "MigrationProcessTests", "item",
        "migrations",
    },
    "hexkit.testing.objstorage": {"ObjectStorageConformance"},
    "hexkit.testing": {
        "Address", "Color", "DaoConformance", "Everything", "Level", "MigrationConformance",
        "MigrationProcessTests",
        "ObjectStorageConformance",
        "make_everything",
        "check_plugin_module", "docker_available", "free_port",
    },
}  # fmt: skip


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_all_is_what_we_mean_to_export(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert set(module.__all__) == EXPECTED[module_name]
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        ("hexkit.protocols.dao:ResourceNotFoundError", LookupError),
        ("hexkit.protocols.dao:InvalidFindMappingError", ValueError),
        ("hexkit.protocols.dao:NoHitsFoundError", LookupError),
        ("hexkit.protocols.dao:InvalidDocumentError", ValueError),
        ("hexkit.protocols.dao:DocumentTooLargeError", ValueError),
        ("hexkit.protocols.dao:UnsupportedFieldError", TypeError),
        ("hexkit.protocols.dao:DbTimeoutError", TimeoutError),
        ("hexkit.protocols.dao:DbUnavailableError", ConnectionError),
        ("hexkit.protocols.dao:DaoError", RuntimeError),
        ("hexkit.protocols.dao:BulkWriteError", RuntimeError),
        ("hexkit.protocols.objstorage:ObjectStorageError", RuntimeError),
        ("hexkit.protocols.objstorage:BucketNotFoundError", LookupError),
        ("hexkit.protocols.objstorage:ObjectNotFoundError", LookupError),
        ("hexkit.protocols.objstorage:MultiPartUploadNotFoundError", LookupError),
        ("hexkit.protocols.objstorage:BucketIdValidationError", ValueError),
        ("hexkit.protocols.objstorage:ObjectIdValidationError", ValueError),
        ("hexkit.protocols.objstorage:StorageUnavailableError", ConnectionError),
        ("hexkit.protocols.objstorage:StorageTimeoutError", TimeoutError),
        ("hexkit.registry:ProviderNotFoundError", LookupError),
        ("hexkit.migrations:MigrationError", RuntimeError),
        ("hexkit.migrations:MigrationDefinitionError", ValueError),
        ("hexkit.migrations:MigrationsNotSupportedError", TypeError),
        ("hexkit.migrations:IrreversibleMigrationError", NotImplementedError),
        ("hexkit.migrations:UnknownVersionError", LookupError),
        ("hexkit.migrations:VersionMismatchError", ValueError),
        ("hexkit.migrations:MigrationValidationError", ValueError),
        ("hexkit.migrations:MigrationIdConflictError", ValueError),
        ("hexkit.migrations:MigrationLockTimeoutError", TimeoutError),
    ],
)
def test_errors_subclass_the_matching_builtin(error: str, builtin: type) -> None:
    module_name, _, name = error.partition(":")
    assert issubclass(getattr(importlib.import_module(module_name), name), builtin)

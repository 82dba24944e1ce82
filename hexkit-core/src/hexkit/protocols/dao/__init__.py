"""The DAO protocol: a generic, async CRUD port over pydantic models.

Application cores type against :class:`Dao`, :class:`DaoSurrogateId` and
:class:`DaoFactoryProtocol`; providers subclass :class:`DaoFactoryProtocol`,
build their DAOs from the validated :class:`DaoSpec`, and validate finds with
:meth:`DaoSpec.find_query`; they run bulk writes through :func:`run_bulk`, which
applies the outcome rule of ``_bulk``. :func:`build_spec` validates ``get_dao`` arguments into a
spec and :func:`check_document` applies the storage rules to a dumped document, for code
that validates data outside a DAO (``hexkit.migrations``). See ``_errors`` for the error
tree.
"""

from ._bulk import (
    DEFAULT_BATCH_SIZE,
    BulkFailure,
    BulkInsertResult,
    BulkItem,
    BulkResult,
    BulkWriteError,
    distinct_runs,
    run_bulk,
)
from ._cursor import CursorSigner, PageTracker, Position, field_value
from ._documents import MAX_DOCUMENT_SIZE, MAX_INDEXED_SIZE, MAX_NESTING, check_document
from ._errors import (
    CreationModelError,
    DaoError,
    DaoNameError,
    DaoUsageError,
    DbTimeoutError,
    DbUnavailableError,
    DocumentTooLargeError,
    FindError,
    IdFieldError,
    IndexFieldError,
    InvalidCursorError,
    InvalidDocumentError,
    InvalidFindMappingError,
    InvalidIdError,
    MultipleHitsFoundError,
    NoHitsFoundError,
    PageNotFinishedError,
    ProviderClosedError,
    ResourceAlreadyExistsError,
    ResourceChangedError,
    ResourceNotFoundError,
    TransactionError,
    TransactionsNotSupportedError,
    UniqueConstraintViolationError,
    UnsupportedFieldError,
    VersionFieldError,
    stored_document_error,
)
from ._normal import set_order
from ._protocol import Dao, DaoFactoryProtocol, DaoSurrogateId, FindResult
from ._spec import (
    DaoSpec,
    FindQuery,
    IdGenerator,
    IdType,
    Index,
    ValidatedDto,
    build_spec,
    single_hit,
)
from ._types import SORTABLE_TYPES, STRING_STORED_TYPES
from ._versions import (
    INITIAL_VERSION,
    changed_error,
    check_delete_version,
    expected_version,
    stamp_version,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "INITIAL_VERSION",
    "MAX_DOCUMENT_SIZE",
    "MAX_INDEXED_SIZE",
    "MAX_NESTING",
    "SORTABLE_TYPES",
    "STRING_STORED_TYPES",
    "BulkFailure",
    "BulkInsertResult",
    "BulkItem",
    "BulkResult",
    "BulkWriteError",
    "CreationModelError",
    "CursorSigner",
    "Dao",
    "DaoError",
    "DaoFactoryProtocol",
    "DaoNameError",
    "DaoSpec",
    "DaoSurrogateId",
    "DaoUsageError",
    "DbTimeoutError",
    "DbUnavailableError",
    "DocumentTooLargeError",
    "FindError",
    "FindQuery",
    "FindResult",
    "IdFieldError",
    "IdGenerator",
    "IdType",
    "Index",
    "IndexFieldError",
    "InvalidCursorError",
    "InvalidDocumentError",
    "InvalidFindMappingError",
    "InvalidIdError",
    "MultipleHitsFoundError",
    "NoHitsFoundError",
    "PageNotFinishedError",
    "PageTracker",
    "Position",
    "ProviderClosedError",
    "ResourceAlreadyExistsError",
    "ResourceChangedError",
    "ResourceNotFoundError",
    "TransactionError",
    "TransactionsNotSupportedError",
    "UniqueConstraintViolationError",
    "UnsupportedFieldError",
    "ValidatedDto",
    "VersionFieldError",
    "build_spec",
    "changed_error",
    "check_delete_version",
    "check_document",
    "distinct_runs",
    "expected_version",
    "field_value",
    "run_bulk",
    "set_order",
    "single_hit",
    "stamp_version",
    "stored_document_error",
]


# Tracebacks and reprs show errors by the path users import them from, not the private
# module that defines them; pickling finds them there too.
for _name in __all__:
    _error = globals().get(_name)
    if isinstance(_error, type) and issubclass(_error, BaseException):
        _error.__module__ = __name__
del _name, _error

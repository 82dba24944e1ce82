"""The DAO protocol: a generic, async CRUD port over pydantic models.

Application cores type against :class:`Dao`, :class:`DaoSurrogateId` and
:class:`DaoFactoryProtocol`; providers subclass :class:`DaoFactoryProtocol`,
build their DAOs from the validated :class:`DaoSpec`, and validate finds with
:meth:`DaoSpec.find_query`. See ``_errors`` for the error tree.
"""

from ._errors import (
    CreationModelError,
    DaoError,
    DaoNameError,
    DaoUsageError,
    DbTimeoutError,
    DbUnavailableError,
    FindError,
    IdFieldError,
    IndexFieldError,
    InvalidFindMappingError,
    InvalidIdError,
    MultipleHitsFoundError,
    NoHitsFoundError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    TransactionError,
    TransactionsNotSupportedError,
    UniqueConstraintViolationError,
)
from ._protocol import Dao, DaoFactoryProtocol, DaoSurrogateId, FindResult
from ._spec import DaoSpec, FindQuery, IdGenerator, IdType, Index, single_hit

__all__ = [
    "CreationModelError",
    "Dao",
    "DaoError",
    "DaoFactoryProtocol",
    "DaoNameError",
    "DaoSpec",
    "DaoSurrogateId",
    "DaoUsageError",
    "DbTimeoutError",
    "DbUnavailableError",
    "FindError",
    "FindQuery",
    "FindResult",
    "IdFieldError",
    "IdGenerator",
    "IdType",
    "Index",
    "IndexFieldError",
    "InvalidFindMappingError",
    "InvalidIdError",
    "MultipleHitsFoundError",
    "NoHitsFoundError",
    "ResourceAlreadyExistsError",
    "ResourceNotFoundError",
    "TransactionError",
    "TransactionsNotSupportedError",
    "UniqueConstraintViolationError",
    "single_hit",
]

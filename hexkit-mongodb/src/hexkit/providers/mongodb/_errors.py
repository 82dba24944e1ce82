"""Translation of driver exceptions into the DAO protocol's errors.

No raw ``pymongo`` exception escapes a DAO method for a storage-side failure::

    DuplicateKeyError on the _id index          -> ResourceAlreadyExistsError
    DuplicateKeyError on another unique index   -> UniqueConstraintViolationError
    ServerSelectionTimeoutError                 -> DbUnavailableError
    NetworkTimeout, ExecutionTimeout,
    WTimeoutError, WaitQueueTimeoutError        -> DbTimeoutError
    ConnectionFailure (AutoReconnect, ...)      -> DbUnavailableError
    write conflicts and other transient
    transaction errors inside a transaction     -> TransactionError
    any other PyMongoError                      -> DaoError

Messages carry the driver's message (never the DSN, which the driver does not
put into its errors) and say what to do next.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymongo import errors

from hexkit.protocols.dao import (
    DaoError,
    DbTimeoutError,
    DbUnavailableError,
    ResourceAlreadyExistsError,
    TransactionError,
    UniqueConstraintViolationError,
)

__all__ = ["translate_errors", "translated"]

_TIMEOUTS = (
    errors.NetworkTimeout,
    errors.ExecutionTimeout,
    errors.WTimeoutError,
    errors.WaitQueueTimeoutError,
)
_WRITE_CONFLICT = 112


def _duplicate_key_fields(error: errors.DuplicateKeyError) -> tuple[str, ...]:
    details = error.details or {}
    pattern = details.get("keyPattern")
    if isinstance(pattern, dict) and pattern:
        return tuple(str(key) for key in pattern)
    message = str(details.get("errmsg", error))
    if "index: _id_ " in message:
        return ("_id",)
    return ("<unknown>",)


def translated(  # noqa: PLR0911 - one return per row of the table above
    error: errors.PyMongoError,
    *,
    collection: str,
    id_: Any = None,
    id_field: str = "id",
    in_transaction: bool = False,
) -> DaoError:
    """Return the protocol error for a driver error (the caller raises it ``from`` it)."""
    if isinstance(error, errors.DuplicateKeyError):
        fields = _duplicate_key_fields(error)
        if fields == ("_id",):
            return ResourceAlreadyExistsError(id_=id_, collection=collection)
        named = tuple(id_field if name == "_id" else name for name in fields)
        return UniqueConstraintViolationError(fields=named, collection=collection)
    labels = getattr(error, "has_error_label", None)
    transient = labels is not None and labels("TransientTransactionError")
    if in_transaction and (
        transient or (isinstance(error, errors.OperationFailure) and error.code == _WRITE_CONFLICT)
    ):
        return TransactionError(
            f"The transaction on collection {collection!r} conflicted with another write"
            f" or lost its server ({error}); nothing was committed, retry the transaction."
        )
    if isinstance(error, errors.ServerSelectionTimeoutError):
        return DbUnavailableError(
            f"No MongoDB server could be selected for collection {collection!r} in time"
            " (the server is down or unreachable); check that it runs and that mongo_dsn"
            " points to it, then retry."
        )
    if isinstance(error, _TIMEOUTS):
        return DbTimeoutError(
            f"MongoDB did not answer in time for collection {collection!r} ({error});"
            " retry later or raise mongo_timeout."
        )
    if isinstance(error, errors.ConnectionFailure):
        return DbUnavailableError(
            f"The connection to MongoDB failed for collection {collection!r} ({error});"
            " check that the server runs and is reachable, then retry."
        )
    return DaoError(
        f"MongoDB rejected an operation on collection {collection!r}:"
        f" {type(error).__name__}: {error}. Check the server log and the data; retry if"
        " the cause was transient."
    )


@contextmanager
def translate_errors(
    *,
    collection: str,
    id_: Any = None,
    id_field: str = "id",
    in_transaction: bool = False,
) -> Iterator[None]:
    """Re-raise driver errors raised in the block as protocol errors."""
    try:
        yield
    except errors.PyMongoError as error:
        raise translated(
            error,
            collection=collection,
            id_=id_,
            id_field=id_field,
            in_transaction=in_transaction,
        ) from error

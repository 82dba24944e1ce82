"""Translation of driver exceptions into the DAO protocol's errors.

No raw ``pymongo`` exception escapes a DAO method for a storage-side failure::

    DuplicateKeyError on the _id index          -> ResourceAlreadyExistsError
    DuplicateKeyError on another unique index   -> UniqueConstraintViolationError
    any timeout (error.timeout: NetworkTimeout,
    ExecutionTimeout, WTimeoutError, ...), and
    ServerSelectionTimeoutError while the
    server hangs (its checks timed out)         -> DbTimeoutError
    ServerSelectionTimeoutError otherwise
    (connection refused, no server known)       -> DbUnavailableError
    write conflicts and other transient
    transaction errors inside a transaction     -> TransactionError
    ConnectionFailure (AutoReconnect, ...)      -> DbUnavailableError
    authentication failed (code 18)             -> DbUnavailableError (check settings)
    any other PyMongoError                      -> DaoError

A timeout says nothing about whether the server applied a write: a write that
timed out may still be applied once the server answers again.

Messages carry the driver's message (never the DSN, which the driver does not
put into its errors) and say what to do next.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import bson
from bson.errors import InvalidDocument
from pymongo import errors

from hexkit.protocols import shorten
from hexkit.protocols.dao import (
    DaoError,
    DbTimeoutError,
    DbUnavailableError,
    DocumentTooLargeError,
    InvalidDocumentError,
    ResourceAlreadyExistsError,
    TransactionError,
    UniqueConstraintViolationError,
)

from ._codec import BsonDateError

__all__ = ["bson_date_refused", "is_timeout", "translate_errors", "translated"]

_WRITE_CONFLICT = 112
_AUTHENTICATION_FAILED = 18


def _where(collection: str | None, preposition: str) -> str:
    """Return `` for collection 'name'`` for a message, or nothing for a call without one."""
    return f" {preposition} collection {shorten(collection)}" if collection else ""


def is_timeout(error: errors.PyMongoError, *, server_hangs: bool = False) -> bool:
    """Return whether the server did not answer in time (rather than refused or failed).

    PyMongo marks every ``ServerSelectionTimeoutError`` as a timeout, also when the
    connection was refused. Its message lists each server's last check error, and
    that error reads "timed out" only when the server accepted the connection and
    then did not answer: the hung server this function is looking for. Operations
    that the driver interrupted because such a check timed out fail with a plain
    ``ConnectionFailure``; ``server_hangs`` (from the client's topology) marks them.
    """
    if isinstance(error, errors.ServerSelectionTimeoutError):
        return "timed out" in str(error)
    if error.timeout:
        return True
    return server_hangs and isinstance(error, errors.ConnectionFailure)


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
    collection: str | None,
    id_: Any = None,
    id_field: str = "id",
    in_transaction: bool = False,
    server_hangs: bool = False,
) -> DaoError:
    """Return the protocol error for a driver error (the caller raises it ``from`` it).

    ``server_hangs`` says that the driver's last check of a server timed out (see
    ``is_timeout``).
    """
    if isinstance(error, errors.DuplicateKeyError):
        fields = _duplicate_key_fields(error)
        if fields == ("_id",):
            return ResourceAlreadyExistsError(id_=id_, collection=collection)
        named = tuple(id_field if name == "_id" else name for name in fields)
        return UniqueConstraintViolationError(fields=named, collection=collection)
    if is_timeout(error, server_hangs=server_hangs):
        during = " (the transaction is aborted; retry it)" if in_transaction else ""
        return DbTimeoutError(
            f"MongoDB did not answer within the time limit (mongo_timeout)"
            f"{_where(collection, 'for')}{during}: {error}. The server is overloaded, hung or"
            " unreachable; a write that timed out may still be applied later, so check"
            " before repeating it (or repeat it idempotently, e.g. with upsert). Retry"
            " later or raise mongo_timeout."
        )
    labels = getattr(error, "has_error_label", None)
    transient = labels is not None and labels("TransientTransactionError")
    if in_transaction and (
        transient or (isinstance(error, errors.OperationFailure) and error.code == _WRITE_CONFLICT)
    ):
        return TransactionError(
            f"The transaction{_where(collection, 'on')} conflicted with another write"
            f" or lost its server ({error}); nothing was committed, retry the transaction."
        )
    if isinstance(error, errors.ServerSelectionTimeoutError):
        return DbUnavailableError(
            f"No MongoDB server could be selected{_where(collection, 'for')} in time"
            " (the server is down or unreachable); check that it runs and that mongo_dsn"
            " points to it, then retry."
        )
    if isinstance(error, errors.OperationFailure) and error.code == _AUTHENTICATION_FAILED:
        # The driver's message carries the server's whole reply; the advice is enough.
        return DbUnavailableError(
            f"MongoDB refused the credentials{_where(collection, 'for')}"
            " (AuthenticationFailed); check the user, password and authSource in"
            " mongo_dsn (not shown because it is secret)."
        )
    if isinstance(error, errors.ConnectionFailure):
        return DbUnavailableError(
            f"The connection to MongoDB failed{_where(collection, 'for')} ({error});"
            " check that the server runs and is reachable, then retry."
        )
    return DaoError(
        f"MongoDB rejected an operation{_where(collection, 'on')}:"
        f" {type(error).__name__}: {error}. Check the server log and the data; retry if"
        " the cause was transient."
    )


@contextmanager
def translate_errors(
    *,
    collection: str | None,
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


# Raised while encoding a document the core's checks let through; never PyMongoErrors.
UNENCODABLE = (InvalidDocument, OverflowError)
_BSON_MAX = 16 * 1024 * 1024


def refused_document(error: Exception, collection: str, id_: Any, document: Any) -> DaoError:
    """Translate a document the driver refused to encode (the core checks most before)."""
    if isinstance(error, errors.DocumentTooLarge):
        return DocumentTooLargeError(
            collection=collection, id_=id_, size=len(bson.encode(document)), limit=_BSON_MAX
        )
    return InvalidDocumentError(
        collection=collection,
        id_=id_,
        field=None,
        reason=f"MongoDB cannot encode it ({type(error).__name__}: {error})",
    )


def bson_date_refused(error: BsonDateError, collection: str, id_: Any) -> InvalidDocumentError:
    """Translate a datetime a ``bson_date_collections`` collection cannot store."""
    return InvalidDocumentError(
        collection=collection,
        id_=id_,
        field=error.field,
        reason=f"is {error.value.isoformat()}, which cannot be a BSON date: {error.reason}"
        " (the collection is listed in bson_date_collections, so its datetimes are"
        " stored as BSON dates)",
    )

"""Translation of asyncpg and OS errors into the DAO protocol's errors.

No raw asyncpg or OS exception escapes a DAO method for a storage-side failure::

    the per-call deadline (postgres_timeout) passed,
    query_canceled (57014), lock_not_available (55P03) -> DbTimeoutError
    no pooled connection free within the deadline
    (all of them checked out)                          -> DbTimeoutError (pool advice)
    refused / reset / missing socket (OSError),
    connection_exception (08*), admin/crash shutdown,
    cannot_connect_now (57P0*), too_many_connections,
    a closed connection (InterfaceError)               -> DbUnavailableError
    invalid_authorization (28*), unknown database      -> DbUnavailableError (check settings)
    unique_violation (23505) on a unique index         -> UniqueConstraintViolationError
    in_failed_sql_transaction (25P02), serialization
    failure / deadlock (40*) inside a transaction      -> TransactionError
    any other PostgresError                            -> DaoError (with its SQLSTATE)

Conflicts on the primary key never reach this table: inserts use ``ON CONFLICT (id) DO
NOTHING`` and report ``ResourceAlreadyExistsError`` themselves. Messages carry the
server's message and SQLSTATE, never the DSN, and say what to do next.
"""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg

from hexkit.protocols import shorten
from hexkit.protocols.dao import (
    DaoError,
    DbTimeoutError,
    DbUnavailableError,
    TransactionError,
    UniqueConstraintViolationError,
)

__all__ = ["is_connection_error", "timed_out", "translated"]

_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300", "3D000"})


def _where(collection: str | None, preposition: str) -> str:
    """Return `` for collection 'name'`` for a message, or nothing for a call without one."""
    return f" {preposition} collection {shorten(collection)}" if collection else ""


def timed_out(
    *, collection: str | None, timeout: float, pool_exhausted: bool, pool_size: int
) -> DaoError:
    """Return the error for a call that passed its deadline.

    ``pool_exhausted`` says that the call waited for a pooled connection while all of
    them were in use; otherwise the server did not answer (a statement, or connecting).
    """
    if pool_exhausted:
        return DbTimeoutError(
            f"No pooled PostgreSQL connection became free within {timeout} s"
            f"{_where(collection, 'for')}:"
            f" all {pool_size} are in use (by transactions, unfinished"
            " find_all results or slow calls). Close results you do not consume with"
            " aclose(), keep transactions short, or raise postgres_pool_max_size."
        )
    return DbTimeoutError(
        f"PostgreSQL did not answer within {timeout} s{_where(collection, 'for')};"
        " check the server's load and locks, retry later or raise postgres_timeout."
    )


def is_connection_error(error: BaseException) -> bool:
    """Tell whether ``error`` means the connection is gone or unusable."""
    if isinstance(error, OSError | asyncpg.InterfaceError):
        return True
    if isinstance(error, asyncpg.PostgresError):
        state = getattr(error, "sqlstate", "") or ""
        return state.startswith("08") or state in _UNAVAILABLE_STATES
    return False


def translated(  # noqa: PLR0911 - one return per row of the table above
    error: BaseException,
    *,
    collection: str | None,
    unique_indexes: Mapping[str, tuple[str, ...]] | None = None,
    in_transaction: bool = False,
) -> DaoError:
    """Return the protocol error for a driver or OS error (raise it ``from`` the error)."""
    if isinstance(error, DaoError):
        return error
    if isinstance(error, asyncpg.UniqueViolationError):
        name = getattr(error, "constraint_name", None) or ""
        fields = (unique_indexes or {}).get(name, ("<unknown>",))
        return UniqueConstraintViolationError(fields=fields, collection=collection)
    state = str(getattr(error, "sqlstate", "") or "")
    if isinstance(error, asyncpg.PostgresError) and state in ("57014", "55P03"):
        return DbTimeoutError(
            f"PostgreSQL cancelled a statement{_where(collection, 'on')} ({error});"
            " retry later or raise the server's statement_timeout / lock_timeout."
        )
    if state.startswith("28") or state == "3D000":
        return DbUnavailableError(
            f"PostgreSQL refused the connection{_where(collection, 'for')} ({error});"
            " check the user, password and database in postgres_dsn."
        )
    if is_connection_error(error):
        return DbUnavailableError(
            f"The connection to PostgreSQL failed{_where(collection, 'for')}"
            f" ({type(error).__name__}: {error}); check that the server runs and that"
            " postgres_dsn points to it, then retry."
        )
    if in_transaction and (state == "25P02" or state.startswith("40")):
        return TransactionError(
            f"The transaction{_where(collection, 'on')} failed ({error}); nothing was"
            " committed, leave the transaction block and retry the transaction."
        )
    if state.startswith("40"):
        return DaoError(
            f"PostgreSQL aborted an operation{_where(collection, 'on')} ({error}); retry it."
        )
    return DaoError(
        f"PostgreSQL rejected an operation{_where(collection, 'on')}:"
        f" {type(error).__name__} [{state or 'no SQLSTATE'}]: {error}. Check the server"
        " log and the data; retry if the cause was transient."
    )

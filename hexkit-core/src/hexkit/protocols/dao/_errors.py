"""Errors of the DAO protocol.

Storage-side failures raised by DAO methods (providers raise nothing else for those)::

    DaoError (RuntimeError)
    ├── ResourceNotFoundError (LookupError)           .id
    ├── ResourceAlreadyExistsError                    .id
    ├── UniqueConstraintViolationError                .fields
    ├── ResourceChangedError                          .id, .expected, .stored
    ├── InvalidDocumentError (ValueError)             .collection, .id, .field, .reason
    │   └── DocumentTooLargeError                     .size, .limit
    ├── FindError
    │   ├── InvalidFindMappingError (ValueError)      .mapping, .key  (a usage error too)
    │   ├── NoHitsFoundError (LookupError)            .mapping
    │   └── MultipleHitsFoundError                    .mapping
    ├── DbTimeoutError (TimeoutError)
    ├── DbUnavailableError (ConnectionError)
    ├── TransactionError
    ├── TransactionsNotSupportedError
    └── BulkWriteError (defined in _bulk)             .failures, .written, .attempted,
                                                      .rolled_back, .dtos

Mistakes in how the API is called, raised before any storage is touched::

    DaoUsageError
    ├── InvalidFindMappingError (also a FindError, above)
    ├── IdFieldError (TypeError)                      .model, .field
    ├── CreationModelError (TypeError)                .model, .missing, .unexpected
    ├── IndexFieldError (ValueError)                  .model, .field
    ├── VersionFieldError (TypeError)                 .model, .field
    ├── DaoNameError (ValueError)                     .name
    ├── UnsupportedFieldError (TypeError)             .model, .field
    ├── InvalidIdError (ValueError)                   .id
    ├── InvalidCursorError (ValueError)               .reason
    ├── PageNotFinishedError (RuntimeError)
    └── ProviderClosedError (RuntimeError)            .provider

``ProviderClosedError`` is a usage error, not a storage failure: the factory's
``construct()`` / ``open_provider()`` block has exited and released its connections, so a
DAO, find result or transaction of it fails at once, whether the server runs or not, and
retrying cannot help (unlike ``DbUnavailableError``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._text import clip, shorten

__all__ = [
    "CreationModelError",
    "DaoError",
    "DaoNameError",
    "DaoUsageError",
    "DbTimeoutError",
    "DbUnavailableError",
    "DocumentTooLargeError",
    "FindError",
    "IdFieldError",
    "IndexFieldError",
    "InvalidCursorError",
    "InvalidDocumentError",
    "InvalidFindMappingError",
    "InvalidIdError",
    "MultipleHitsFoundError",
    "NoHitsFoundError",
    "PageNotFinishedError",
    "ProviderClosedError",
    "ResourceAlreadyExistsError",
    "ResourceChangedError",
    "ResourceNotFoundError",
    "TransactionError",
    "TransactionsNotSupportedError",
    "UniqueConstraintViolationError",
    "UnsupportedFieldError",
    "VersionFieldError",
    "stored_document_error",
]


class DaoUsageError(Exception):
    """Base of errors in how the DAO API is called; fix the calling code."""


class DaoError(RuntimeError):
    """Base of every storage-side failure raised by a DAO method."""


class ResourceNotFoundError(DaoError, LookupError):
    """No resource with this ID exists in the collection."""

    def __init__(self, *, id_: Any, collection: str | None = None) -> None:
        self.id = id_
        self.collection = collection
        where = f" in collection {shorten(collection)}" if collection else ""
        super().__init__(
            f"No resource with ID {shorten(id_)} exists{where}; insert it first or check the ID."
        )


class ResourceAlreadyExistsError(DaoError):
    """A resource with this ID exists already, so it cannot be inserted."""

    def __init__(self, *, id_: Any, collection: str | None = None) -> None:
        self.id = id_
        self.collection = collection
        where = f" in collection {shorten(collection)}" if collection else ""
        super().__init__(
            f"A resource with ID {shorten(id_)} already exists{where};"
            " use update() or upsert() to change it."
        )


class ResourceChangedError(DaoError):
    """A versioned write found another version stored than the DTO's: nothing was written.

    Another writer changed (or deleted) the resource since it was read. ``expected`` is
    the version the write was based on, ``stored`` the version found (``None`` when the
    resource is gone).
    """

    def __init__(
        self, *, id_: Any, expected: int, stored: int | None, collection: str | None = None
    ) -> None:
        self.id = id_
        self.expected = expected
        self.stored = stored
        self.collection = collection
        where = f" in collection {shorten(collection)}" if collection else ""
        found = "it no longer exists" if stored is None else f"version {stored} is stored"
        super().__init__(
            f"The resource with ID {shorten(id_)}{where} was changed by another writer:"
            f" the write expected version {expected}, but {found}. Nothing was written;"
            " re-read the resource, apply the change to what you read and retry."
        )


class UniqueConstraintViolationError(DaoError):
    """The write would give two resources the same values on a unique index."""

    def __init__(self, *, fields: Iterable[str], collection: str | None = None) -> None:
        self.fields = tuple(fields)
        self.collection = collection
        where = f" of collection {shorten(collection)}" if collection else ""
        super().__init__(
            f"Another resource already has the same values for the unique index"
            f" on {clip(', '.join(self.fields))}{where}; change those values and retry."
        )


class InvalidDocumentError(DaoError, ValueError):
    """A DTO cannot be stored as it is: it does not validate, or breaks a storage rule.

    ``field`` is the dotted path of the offending value (``None`` for the whole DTO).
    Nothing was written.
    """

    def __init__(self, *, collection: str, id_: Any, field: str | None, reason: str) -> None:
        self.collection = collection
        self.id = id_
        self.field = field
        self.reason = reason
        where = f"field {shorten(field)} " if field else ""
        super().__init__(
            f"Cannot store the resource with ID {shorten(id_)} in collection {shorten(collection)}:"
            f" {where}{clip(reason)}. Nothing was written."
        )


class DocumentTooLargeError(InvalidDocumentError):
    """The stored form of a DTO exceeds the largest document every provider keeps."""

    def __init__(self, *, collection: str, id_: Any, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            collection=collection,
            id_=id_,
            field=None,
            reason=(
                f"its stored form takes {size} bytes, more than the limit of"
                f" {limit} bytes; keep large data in object storage and"
                " store its ID instead"
            ),
        )


class FindError(DaoError):
    """Base of errors raised by find operations."""


class InvalidFindMappingError(FindError, DaoUsageError, ValueError):
    """A find mapping, sort or key does not fit the DTO model.

    A mistake in the calling code, so a :class:`DaoUsageError`; it stays a
    :class:`FindError` for code that catches that.
    """

    def __init__(self, *, mapping: Mapping[str, Any] | None, key: str, reason: str) -> None:
        self.mapping = mapping
        self.key = key
        super().__init__(
            f"Invalid find key {shorten(key)}: {clip(reason)}. Use field names or dotted paths into"
            " nested models; values are matched by equality, never as query operators."
        )


class NoHitsFoundError(FindError, LookupError):
    """find_one found no resource matching the mapping."""

    def __init__(self, *, mapping: Mapping[str, Any]) -> None:
        self.mapping = dict(mapping)
        super().__init__(
            f"No resource matches {shorten(self.mapping)}; use find_all() if zero hits are"
            " expected."
        )


class MultipleHitsFoundError(FindError):
    """find_one found more than one resource matching the mapping."""

    def __init__(self, *, mapping: Mapping[str, Any]) -> None:
        self.mapping = dict(mapping)
        super().__init__(
            f"More than one resource matches {shorten(self.mapping)}; narrow the mapping"
            " or use find_all()."
        )


class DbTimeoutError(DaoError, TimeoutError):
    """The database did not answer in time; retry later or raise the timeout."""


class DbUnavailableError(DaoError, ConnectionError):
    """The database cannot be reached; check that it runs and the connection settings."""


class TransactionError(DaoError):
    """A transaction could not commit or was used wrongly; its writes were rolled back."""


class TransactionsNotSupportedError(DaoError):
    """The provider or its backend cannot run transactions."""


class IdFieldError(DaoUsageError, TypeError):
    """The ID field is missing from the DTO model or has an unsupported type."""

    def __init__(self, *, model: type, field: str, reason: str) -> None:
        self.model = model
        self.field = field
        super().__init__(
            f"ID field {shorten(field)} of {model.__name__}: {clip(reason)}."
            " The ID field must be a required field of type str, int or uuid.UUID."
        )


class CreationModelError(DaoUsageError, TypeError):
    """The creation model's fields are not the DTO's fields minus the ID field."""

    def __init__(self, *, model: type, missing: Iterable[str], unexpected: Iterable[str]) -> None:
        self.model = model
        self.missing = tuple(sorted(missing))
        self.unexpected = tuple(sorted(unexpected))
        super().__init__(
            f"Creation model {model.__name__} must have exactly the DTO's fields minus"
            f" the ID field; missing: {shorten(list(self.missing))},"
            f" unexpected: {shorten(list(self.unexpected))}."
        )


class IndexFieldError(DaoUsageError, ValueError):
    """An index names a field that the DTO model does not have."""

    def __init__(self, *, model: type, field: str, reason: str) -> None:
        self.model = model
        self.field = field
        super().__init__(
            f"Index field {shorten(field)} of {model.__name__}: {clip(reason)};"
            " name fields of the model or dotted paths into nested models."
        )


class VersionFieldError(DaoUsageError, TypeError):
    """The ``version_field`` given to ``get_dao`` is missing from the model or not an int."""

    def __init__(self, *, model: type, field: str, reason: str) -> None:
        self.model = model
        self.field = field
        super().__init__(
            f"Version field {shorten(field)} of {model.__name__}: {clip(reason)}. The version"
            " field must be a field of type int (not the ID field), e.g. `version: int = 0`."
        )


class DaoNameError(DaoUsageError, ValueError):
    """The DAO name is not 1-64 letters, digits, '_' or '-'."""

    def __init__(self, *, name: object) -> None:
        self.name = name
        super().__init__(
            f"Invalid DAO name {shorten(name)}: use 1 to 64 characters of letters, digits,"
            " '_' or '-'."
        )


class UnsupportedFieldError(DaoUsageError, TypeError):
    """A field of the DTO model has a type that not every provider can store."""

    def __init__(self, *, model: type, field: str, reason: str) -> None:
        self.model = model
        self.field = field
        super().__init__(
            f"Field {shorten(field)} of {model.__name__} cannot be stored: {clip(reason)}."
            " Change the field's type; the hexkit README lists the supported types."
        )


class InvalidIdError(DaoUsageError, ValueError):
    """An ID value does not fit the type of the DTO's ID field."""

    def __init__(self, *, id_: Any, expected: str, reason: str | None = None) -> None:
        self.id = id_
        detail = f"it {clip(reason)}" if reason else f"expected a value of type {clip(expected)}"
        super().__init__(f"Invalid ID {shorten(id_)}: {detail}.")


class InvalidCursorError(DaoUsageError, ValueError):
    """A ``find_all(after=...)`` cursor cannot be used for this find; nothing was queried.

    It was altered or is malformed, was signed with another ``cursor_secret``, or was
    returned by another find (another DAO, mapping or sort); or ``after`` was combined
    with ``skip``. ``reason`` says which. The cursor itself is not repeated.
    """

    def __init__(self, *, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"Cannot continue from this cursor: {clip(reason)}. Pass a cursor exactly as a"
            " find result's next_cursor returned it, with the same mapping and sort, or"
            " start again from the first page (after=None)."
        )


class PageNotFinishedError(DaoUsageError, RuntimeError):
    """``next_cursor`` was read before the page was iterated to its end."""

    def __init__(self) -> None:
        super().__init__(
            "next_cursor is known only once the page is consumed: iterate the result to"
            " its end (async for, or to_list()) before reading it."
        )


class ProviderClosedError(DaoUsageError, RuntimeError):
    """The DAO factory was closed: its ``construct()`` / ``open_provider()`` block has exited.

    Raised by every DAO, find result and transaction of a closed factory (and by the
    factory itself), before any storage is touched; calls in flight when it closes may
    raise it too. ``provider`` names the factory.
    """

    def __init__(self, *, provider: str) -> None:
        self.provider = provider
        super().__init__(
            f"The {clip(provider)} DAO factory was closed: the construct() or open_provider()"
            " block that owned it has exited and released its connections. Use its DAOs,"
            " find results and transactions only inside that block, or open the provider"
            " again."
        )


def stored_document_error(error: Any, *, model: type, id_: Any, where: str) -> DaoError:
    """Return the error of a stored document that no longer validates against ``model``.

    ``error`` is the pydantic ``ValidationError``; ``where`` names the document's place
    (``"collection 'users'"``, ``"table public.users"``).
    """
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "<document>"
    return DaoError(
        f"The stored document with ID {shorten(repr(id_))} in {where} no longer validates"
        f" against {model.__name__} ({error.error_count()} error(s), first at {location!r}:"
        f" {clip(str(first['msg']))}); migrate the stored documents"
        " (hexkit.migrations) or make the model accept them."
    )

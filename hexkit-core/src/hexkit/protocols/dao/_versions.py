"""Versioned writes: a DAO's optional version field, checked inside the write itself.

With ``get_dao(..., version_field="version")`` every write of a DAO is conditional
(optimistic concurrency, no locks):

- ``insert`` and ``insert_many`` store version 1, whatever the DTO says.
- ``update(dto)`` writes only if the stored version equals ``dto.version`` and stores
  ``dto.version + 1``; else it raises ``ResourceChangedError`` (``stored`` is ``None``
  when the resource is gone) and writes nothing.
- ``upsert(dto)`` with ``dto.version == 0`` creates the resource at version 1 (or fails
  if it exists); with any other version it is ``update(dto)``: a resource deleted since
  it was read is not brought back.
- ``delete(id_, version=n)`` deletes only version ``n``; without ``version`` it deletes
  whatever is stored. ``delete_many`` deletes unconditionally.
- ``upsert_many`` upserts each item as ``upsert`` does, in input order: an ID's later
  item expects the version its earlier one stored; a stale item is a failure of the
  bulk outcome rule (``ResourceChangedError``), all or nothing inside a transaction.

Providers run the check and the write as one server operation (a filter on the version
in the update itself), never a read followed by a write. They use :func:`written_version`
to stamp what they store and :func:`changed_error` to report a failed check.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from pydantic import BaseModel

from ._errors import ResourceChangedError, VersionFieldError

__all__ = [
    "INITIAL_VERSION",
    "changed_error",
    "check_delete_version",
    "check_version_field",
    "expected_version",
    "stamp_version",
]

Checked = TypeVar("Checked")  # a ValidatedDto (whose module imports this one)

#: The version ``insert`` stores, and ``upsert`` of a new resource (``dto.version == 0``).
INITIAL_VERSION = 1


def check_version_field(model: type[BaseModel], field: str, id_field: str) -> str:
    """Return ``field`` if it can be ``model``'s version field, else ``VersionFieldError``."""
    if not isinstance(field, str):
        raise VersionFieldError(model=model, field=repr(field), reason="it is not a field name")
    if field == id_field:
        raise VersionFieldError(model=model, field=field, reason="it is the ID field")
    info = model.model_fields.get(field)
    if info is None:
        raise VersionFieldError(
            model=model, field=field, reason="the model has no such top-level field"
        )
    if info.annotation is not int:
        raise VersionFieldError(
            model=model, field=field, reason=f"its type {info.annotation!r} is not int"
        )
    return field


def stamp_version(spec: Any, checked: Checked, version: int = INITIAL_VERSION) -> Checked:
    """Return ``checked`` (a ``ValidatedDto``) holding ``version`` in its DTO and document.

    A no-op for a DAO without a version field, so insert paths call it unconditionally.
    """
    field = spec.version_field
    if field is None:
        return checked
    current: Any = checked
    dto = current.dto.model_copy(update={field: version})
    document = {**current.document, field: version}
    stamped: Checked = dataclasses.replace(current, dto=dto, document=document)
    return stamped


def expected_version(spec: Any, checked: Any) -> int | None:
    """Return the version a write of ``checked`` is based on; ``None`` for unversioned DAOs."""
    field = spec.version_field
    if field is None:
        return None
    version: int = checked.document[field]
    return version


def check_delete_version(spec: Any, version: int | None) -> None:
    """Refuse a ``delete(version=)`` that is not an int, or on a DAO without version field."""
    if version is None:
        return
    if spec.version_field is None:
        raise TypeError(
            f"delete(version=...) needs a versioned DAO, but {spec.name!r} has no"
            " version_field; pass version_field= to get_dao() or drop version=."
        )
    if not isinstance(version, int) or isinstance(version, bool):
        raise TypeError(f"version must be an int, got {type(version).__name__}.")


def changed_error(*, id_: Any, expected: int, stored: Any, collection: str) -> ResourceChangedError:
    """Return the error of a failed version check; ``stored`` is a version or ``None``."""
    version = stored if isinstance(stored, int) and not isinstance(stored, bool) else None
    return ResourceChangedError(id_=id_, expected=expected, stored=version, collection=collection)

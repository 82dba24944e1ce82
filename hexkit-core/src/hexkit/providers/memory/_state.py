"""Collections of the memory DAO provider and the transactions over them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from hexkit.protocols.dao import (
    Index,
    ProviderClosedError,
    TransactionError,
    UniqueConstraintViolationError,
)

__all__ = ["DELETED", "Collection", "Lifetime", "Transaction", "field_value", "freeze"]

DELETED: Any = object()
# Stamps every committed write, so a transaction can tell what changed after it began.
_CLOCK = itertools.count(1)
_MISSING = object()


def freeze(value: Any) -> Any:
    """Return a hashable stand-in for ``value`` that is equal exactly when values are."""
    if isinstance(value, BaseModel):
        return (type(value), tuple(freeze(item) for item in value.__dict__.values()))
    if isinstance(value, dict):
        return frozenset((key, freeze(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    if isinstance(value, set | frozenset):
        return frozenset(freeze(item) for item in value)
    return value


def field_value(dto: BaseModel, path: str) -> Any:
    """Return the value at a dotted path of ``dto`` (``None`` past a missing nested model)."""
    value: Any = dto
    for segment in path.split("."):
        if value is None:
            return None
        value = getattr(value, segment)
    return value


@dataclass
class Lifetime:
    """Whether the factory owning some collections is open; its DAOs check it on every call."""

    provider: str
    closed: bool = False

    def check(self) -> None:
        """Raise ``ProviderClosedError`` once the factory's construct() block has exited."""
        if self.closed:
            raise ProviderClosedError(provider=self.provider)


@dataclass
class Collection:
    """The committed state of one collection: documents and their versions.

    ``name`` is the physical name (a migration stages into new ones); ``label`` the DAO
    name that errors show.
    """

    name: str
    label: str = ""
    docs: dict[Any, BaseModel] = field(default_factory=dict)
    versions: dict[Any, int] = field(default_factory=dict)
    unique_indexes: set[tuple[str, ...]] = field(default_factory=set)

    def write(self, id_: Any, dto: BaseModel) -> None:
        self.docs[id_] = dto
        self.versions[id_] = next(_CLOCK)

    def remove(self, id_: Any) -> None:
        del self.docs[id_]
        self.versions[id_] = next(_CLOCK)

    def add_index(self, index: Index) -> None:
        if index.unique:
            fields = index.fields
            check_unique(self.label or self.name, self.docs.items(), fields, self.docs.items())
            self.unique_indexes.add(fields)


def check_unique(
    collection: str,
    candidates: Any,
    fields: tuple[str, ...],
    everything: Any,
) -> None:
    """Raise ``UniqueConstraintViolationError`` if a candidate shares key values with another."""
    seen: dict[tuple[Any, ...], Any] = {}
    for id_, dto in everything:
        seen.setdefault(tuple(freeze(field_value(dto, path)) for path in fields), set()).add(id_)
    for id_, dto in candidates:
        key = tuple(freeze(field_value(dto, path)) for path in fields)
        if seen.get(key, {id_}) - {id_}:
            raise UniqueConstraintViolationError(fields=fields, collection=collection)


@dataclass
class Transaction:
    """Writes held back until commit, against a snapshot taken when the transaction began.

    As in MongoDB's snapshot transactions (and PostgreSQL's REPEATABLE READ), a write to a
    resource that another writer changed after the transaction began fails the commit, so
    a write based on a stale read is never applied.
    """

    overlay: dict[tuple[str, Any], Any] = field(default_factory=dict)
    written: set[tuple[str, Any]] = field(default_factory=set)
    started: int = field(default_factory=lambda: next(_CLOCK))

    def read(self, collection: Collection, id_: Any) -> BaseModel | None:
        held = self.overlay.get((collection.name, id_), _MISSING)
        if held is _MISSING:
            return collection.docs.get(id_)
        return None if held is DELETED else held

    def items(self, collection: Collection) -> Iterator[tuple[Any, BaseModel]]:
        for id_ in collection.docs:
            current = self.read(collection, id_)
            if current is not None:
                yield id_, current
        for (name, id_), held in self.overlay.items():
            if name == collection.name and id_ not in collection.docs and held is not DELETED:
                yield id_, held

    def check_conflict(self, collection: Collection, id_: Any) -> None:
        """Raise ``TransactionError`` if another writer changed the resource since the start.

        Checked at every write, before any unique index: MongoDB and PostgreSQL report a
        write conflict at the write, whatever else the write would break.
        """
        if collection.versions.get(id_, 0) > self.started:
            raise TransactionError(
                f"Resource {id_!r} in collection {collection.label or collection.name!r} was"
                " changed outside the transaction; nothing was committed, retry the"
                " transaction."
            )

    def write(self, collection: Collection, id_: Any, dto: Any) -> None:
        key = (collection.name, id_)
        self.written.add(key)
        self.overlay[key] = dto

    def commit(self, collections: dict[str, Collection]) -> None:
        """Apply every held write at once, or raise ``TransactionError`` and apply none."""
        for name, id_ in self.written:
            if collections[name].versions.get(id_, 0) > self.started:
                label = collections[name].label or name
                raise TransactionError(
                    f"Resource {id_!r} in collection {label!r} was changed outside the"
                    " transaction; nothing was committed, retry the transaction."
                )
        for name in {name for name, _ in self.overlay}:
            collection = collections[name]
            candidates = [
                (id_, held)
                for (owner, id_), held in self.overlay.items()
                if owner == name and held is not DELETED
            ]
            for fields in collection.unique_indexes:
                try:
                    check_unique(
                        collection.label or name, candidates, fields, list(self.items(collection))
                    )
                except UniqueConstraintViolationError as error:
                    raise TransactionError(
                        f"Committing would break the unique index on {', '.join(fields)}"
                        f" of collection {collection.label or name!r}; nothing was committed."
                    ) from error
        for (name, id_), held in self.overlay.items():
            if held is DELETED:
                if id_ in collections[name].docs:
                    collections[name].remove(id_)
            else:
                collections[name].write(id_, held)

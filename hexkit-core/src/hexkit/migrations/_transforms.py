"""Per-document transforms and the helpers for the common steps.

A transform sees each document of the collections flowing through a step, as a pair
``(collection, document)``, and returns the pairs it becomes: the same collection for
an in-place change, another one to move it, none to remove it. Transforms of one step
run in order, each on the output of the one before, so several helpers compose::

    up=[rename_field("files", "size", "size_bytes"), add_field("files", "tags", [])]

Documents of collections a transform does not name pass through it unchanged. Dotted
paths (``"meta.size"``) reach into nested objects.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "Document",
    "Transform",
    "add_field",
    "change_id",
    "drop_field",
    "map_documents",
    "merge_collections",
    "rename_field",
    "split_collection",
]

Document = dict[str, Any]


class Transform(ABC):
    """One per-document transform of a migration step."""

    @property
    @abstractmethod
    def reads(self) -> frozenset[str]:
        """The collections whose documents this transform changes or moves."""

    @abstractmethod
    def apply(
        self, collection: str, document: Document, id_fields: Mapping[str, str]
    ) -> Iterable[tuple[str, Document]]:
        """Return what a document of ``collection`` (one of :attr:`reads`) becomes."""


def _parent(document: Document, path: str, *, create: bool) -> tuple[Any, str]:
    *parents, last = path.split(".")
    node: Any = document
    for segment in parents:
        child = node.get(segment) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            if not create or not isinstance(node, dict):
                return None, last
            child = node[segment] = {}
        node = child
    return node, last


class _InPlace(Transform):
    def __init__(self, collection: str, change: Callable[[Document, str], Document | None]):
        self._collection = collection
        self._change = change

    @property
    def reads(self) -> frozenset[str]:
        return frozenset({self._collection})

    def apply(
        self, collection: str, document: Document, id_fields: Mapping[str, str]
    ) -> Iterable[tuple[str, Document]]:
        result = self._change(document, id_fields[collection])
        return [] if result is None else [(collection, result)]


def add_field(collection: str, path: str, default: Any) -> Transform:
    """Set ``path`` to a copy of ``default`` in documents that lack it."""

    def change(document: Document, _: str) -> Document:
        parent, last = _parent(document, path, create=True)
        if isinstance(parent, dict) and last not in parent:
            parent[last] = copy.deepcopy(default)
        return document

    return _InPlace(collection, change)


def rename_field(collection: str, old: str, new: str) -> Transform:
    """Move the value at ``old`` to ``new`` (documents without ``old`` stay as they are)."""

    def change(document: Document, _: str) -> Document:
        parent, last = _parent(document, old, create=False)
        if isinstance(parent, dict) and last in parent:
            value = parent.pop(last)
            target, new_last = _parent(document, new, create=True)
            target[new_last] = value
        return document

    return _InPlace(collection, change)


def drop_field(collection: str, path: str) -> Transform:
    """Remove ``path`` from every document that has it."""

    def change(document: Document, _: str) -> Document:
        parent, last = _parent(document, path, create=False)
        if isinstance(parent, dict):
            parent.pop(last, None)
        return document

    return _InPlace(collection, change)


def change_id(collection: str, new_id: Callable[[Document], Any]) -> Transform:
    """Give each document the ID ``new_id(document)`` (two equal new IDs fail the step)."""

    def change(document: Document, id_field: str) -> Document:
        document[id_field] = new_id(document)
        return document

    return _InPlace(collection, change)


def map_documents(collection: str, function: Callable[[Document], Document | None]) -> Transform:
    """Replace each document by ``function(document)``; ``None`` removes the document."""
    return _InPlace(collection, lambda document, _: function(document))


class _Route(Transform):
    def __init__(self, sources: Sequence[str], route: Callable[[str, Document], str | None]):
        self._sources = frozenset(sources)
        self._route = route

    @property
    def reads(self) -> frozenset[str]:
        return self._sources

    def apply(
        self, collection: str, document: Document, id_fields: Mapping[str, str]
    ) -> Iterable[tuple[str, Document]]:
        target = self._route(collection, document)
        if target is None:
            return []
        source_id, target_id = id_fields[collection], id_fields.get(target)
        if target_id is not None and target_id != source_id and source_id in document:
            document[target_id] = document.pop(source_id)
        return [(target, document)]


def split_collection(source: str, route: Callable[[Document], str | None]) -> Transform:
    """Move each document of ``source`` to the collection ``route(document)`` names.

    ``None`` removes the document. ``source`` disappears after the step unless the
    step's ``models`` name it too.
    """
    return _Route([source], lambda _, document: route(document))


def merge_collections(sources: Sequence[str], into: str) -> Transform:
    """Move every document of ``sources`` into ``into``; the sources disappear after the step.

    Documents already in ``into`` stay. Two documents with the same ID fail the step:
    use :func:`change_id` first to keep them apart.
    """
    if isinstance(sources, str):
        raise TypeError(f"sources must be a list of collection names, got {sources!r}.")
    return _Route(list(sources), lambda _, __: into)

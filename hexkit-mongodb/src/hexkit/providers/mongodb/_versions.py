"""Versioned writes on MongoDB: the version check is the write's own filter.

``replace_one({"_id": id, version: expected}, ...)`` and ``delete_one`` with the same
filter check and write in one server operation; a write that matches nothing was stale
(or its resource is gone), and only then is the stored version read, to report it.
An upsert at version 0 (create) that meets an existing document fails on the ``_id``
index, which the server checks atomically with the insert.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.errors import DuplicateKeyError, PyMongoError

from hexkit.protocols.dao import (
    BulkItem,
    DaoError,
    DaoSpec,
    ProviderClosedError,
    changed_error,
)

from ._driver import Collection, Document, Session
from ._errors import UNENCODABLE, refused_document

__all__ = ["VersionedWrites"]


class VersionedWrites:
    """The conditional writes of one versioned DAO (a helper the DAO owns)."""

    def __init__(
        self,
        spec: DaoSpec[Any],
        collection: Collection,
        session: Callable[[], Session | None],
        translated: Callable[[PyMongoError, Any], DaoError | ProviderClosedError],
    ) -> None:
        self._spec = spec
        self._collection = collection
        self._session = session
        self._translated = translated
        self._field = spec.version_field or ""

    async def replace(
        self, key: Any, document: Document, expected: int, *, create: bool = False
    ) -> None:
        """Replace the document if it holds version ``expected``, else raise.

        With ``create`` an absent document is inserted. ``ResourceChangedError`` means
        nothing was written.
        """
        session = self._session()
        condition = {"_id": document["_id"], self._field: expected}
        try:
            result = await self._collection.replace_one(
                condition, document, upsert=create, session=session
            )
        except UNENCODABLE as error:
            raise refused_document(error, self._spec.name, key, document) from error
        except DuplicateKeyError as error:
            if create and (error.details or {}).get("keyPattern") == {"_id": 1}:
                raise await self._changed(key, expected) from error
            raise self._translated(error, key) from error
        except PyMongoError as error:
            raise self._translated(error, key) from error
        if not create and result.matched_count == 0:
            raise await self._changed(key, expected)

    async def write_item(self, item: BulkItem[Any]) -> None:
        """Write one item of a versioned ``upsert_many``: ``(document, expected version)``."""
        document, expected = item.value
        await self.replace(item.id, document, expected, create=expected == 0)

    async def delete(self, key: Any, version: int) -> None:
        """Delete the document if it holds ``version``, else raise ``ResourceChangedError``."""
        try:
            result = await self._collection.delete_one(
                {"_id": key, self._field: version}, session=self._session()
            )
        except PyMongoError as error:
            raise self._translated(error, key) from error
        if result.deleted_count == 0:
            raise await self._changed(key, version)

    async def _changed(self, key: Any, expected: int) -> DaoError | ProviderClosedError:
        """Return the error of a failed check, with the version stored now.

        A refused create inside a transaction has aborted it on the server: then the
        committed version is read instead.
        """
        session = self._session()
        readers = (session, None) if session is not None else (None,)
        for reader in readers:
            try:
                found = await self._collection.find_one(
                    {"_id": key}, {self._field: 1}, session=reader
                )
            except PyMongoError as error:
                if reader is None:
                    return self._translated(error, key)
                continue
            break
        stored = None if found is None else found.get(self._field)
        return changed_error(id_=key, expected=expected, stored=stored, collection=self._spec.name)

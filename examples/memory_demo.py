"""A small flow over providers chosen by name (memory by default), as an application wires it.

Run with ``nox -s demo``. The application core below only knows the protocols; the
wiring picks providers by name from ``DAO_PROVIDER`` / ``OBJSTORAGE_PROVIDER``.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from datetime import UTC, datetime

from pydantic import BaseModel

from hexkit.protocols.dao import DaoFactoryProtocol, Index
from hexkit.protocols.objstorage import ObjectStorageProtocol
from hexkit.registry import open_provider


class FileRecord(BaseModel):
    """What the core records about a stored file."""

    file_id: uuid.UUID
    name: str
    size: int
    md5: str
    created: datetime


class FileRecordCreation(BaseModel):
    """A file record before the DAO assigns its ID."""

    name: str
    size: int
    md5: str
    created: datetime


async def store_file(
    dao_factory: DaoFactoryProtocol, storage: ObjectStorageProtocol, name: str, data: bytes
) -> FileRecord:
    """Keep the bytes in object storage and the record in the DAO (application core)."""
    records = await dao_factory.get_dao(
        name="files",
        dto_model=FileRecord,
        id_field="file_id",
        dto_creation_model=FileRecordCreation,
        indexes=[Index("name", unique=True)],
    )
    if not await storage.does_bucket_exist("demo-files"):
        await storage.create_bucket("demo-files")
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    async with dao_factory.transaction():
        record = await records.insert(
            FileRecordCreation(name=name, size=len(data), md5=md5, created=datetime.now(UTC))
        )
        await storage.put_object("demo-files", str(record.file_id), data)
    return record


async def main() -> None:
    """Resolve providers by name, then hand them to the core (application wiring)."""
    dao_name = os.environ.get("DAO_PROVIDER", "memory")
    storage_name = os.environ.get("OBJSTORAGE_PROVIDER", "memory")
    async with (
        open_provider("dao", dao_name) as dao_factory,
        open_provider("objstorage", storage_name) as storage,
    ):
        data = os.urandom(256 * 1024)
        record = await store_file(dao_factory, storage, "report.bin", data)
        stored = b"".join(
            [chunk async for chunk in storage.get_object("demo-files", str(record.file_id))]
        )
        verified = hashlib.md5(stored, usedforsecurity=False).hexdigest()
        assert verified == record.md5, "the stored bytes differ from the upload"  # noqa: S101
        print(f"providers: dao={dao_name!r}, objstorage={storage_name!r}")
        print(f"stored {record.name} ({record.size} bytes) as {record.file_id}")
        print(f"verified md5 {verified}")


if __name__ == "__main__":
    asyncio.run(main())

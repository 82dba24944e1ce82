"""Migrations of the file registry's stored records (see hexkit-core/docs/migrations.md).

Version 1 gives every file record a ``content_type``, ``application/octet-stream`` for
records stored before it existed. Each migration validates against a snapshot of the
model at its version, so later changes to ``FileMetadata`` cannot change what an old
migration does. Run them at service start, before ``get_dao``::

    await migrate(dao_factory, MIGRATIONS, target=LATEST)

or from a shell: ``hexkit migrate up --provider memory --migrations
file_services.file_registry.migrations``.
"""

from __future__ import annotations

from hexkit.migrations import Migration, add_field, drop_field

from .core.models import FileMetadata

__all__ = ["LATEST", "MIGRATIONS", "FileRecordV0", "FileRecordV1"]

FILES = "files"
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class FileRecordV0(FileMetadata):
    """A file record as stored before any migration (today's ``FileMetadata``)."""


class FileRecordV1(FileMetadata):
    """Version 1: the record knows its content type."""

    content_type: str


MIGRATIONS = [
    Migration(
        version=1,
        description="file records get a content_type",
        up=[add_field(FILES, "content_type", DEFAULT_CONTENT_TYPE)],
        models={FILES: FileRecordV1},
        down=[drop_field(FILES, "content_type")],
        down_models={FILES: FileRecordV0},
        id_fields={FILES: "file_id"},
    ),
]
LATEST = len(MIGRATIONS)

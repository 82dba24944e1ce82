"""Errors of the upload controller's core; the REST adapter maps each to a status code."""

from __future__ import annotations

__all__ = [
    "InvalidUploadError",
    "UploadConflictError",
    "UploadError",
    "UploadNotFoundError",
]


class UploadError(Exception):
    """Base of the upload controller's errors."""

    def __init__(self, file_id: str, message: str) -> None:
        self.file_id = file_id
        super().__init__(message)


class UploadNotFoundError(UploadError, LookupError):
    """No upload is known for this file."""

    def __init__(self, file_id: str) -> None:
        super().__init__(file_id, f"No upload for file {file_id!r}; create one first.")


class UploadConflictError(UploadError):
    """The upload's state does not allow this step (e.g. a second upload while one is active)."""


class InvalidUploadError(UploadError, ValueError):
    """The request does not fit the upload (part number, part count, sizes)."""

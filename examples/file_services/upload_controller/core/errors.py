"""Errors of the upload controller's core; the REST adapter maps each to a status code."""

from __future__ import annotations

__all__ = [
    "InvalidUploadError",
    "UploadConflictError",
    "UploadError",
    "UploadNotFoundError",
]


class UploadError(Exception):
    """Base of the upload controller's errors; ``.id`` is the file or attempt concerned."""

    def __init__(self, id_: str, message: str) -> None:
        self.id = id_
        super().__init__(message)


class UploadNotFoundError(UploadError, LookupError):
    """No file or attempt with this ID is known."""

    def __init__(self, what: str, id_: str) -> None:
        super().__init__(
            id_, f"No {what} with ID {id_!r}; check the ID or announce the file first."
        )


class UploadConflictError(UploadError):
    """The state does not allow this step (e.g. a second attempt while one is active).

    ``current_status`` is the attempt's state when the step was refused (``None`` when the
    conflict is not about one attempt's state), so a request that lost a race learns the
    outcome without asking again.
    """

    def __init__(self, id_: str, message: str, *, current_status: str | None = None) -> None:
        self.current_status = current_status
        super().__init__(id_, message)


class InvalidUploadError(UploadError, ValueError):
    """The request does not fit the upload (part number, part count, sizes)."""

"""Errors of the file registry's core."""

from __future__ import annotations

__all__ = ["FileNotRegisteredError", "RegistryError"]


class RegistryError(Exception):
    """Base of the file registry's errors."""

    def __init__(self, file_id: str, message: str) -> None:
        self.file_id = file_id
        super().__init__(message)


class FileNotRegisteredError(RegistryError, LookupError):
    """No file with this ID is registered."""

    def __init__(self, file_id: str) -> None:
        super().__init__(file_id, f"File {file_id!r} is not registered; check the ID.")

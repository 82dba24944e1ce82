"""What the upload controller needs from the outside, besides the hexkit protocols."""

from __future__ import annotations

from typing import Protocol

__all__ = ["RegistrationFailedError", "RegistrationPort"]


class RegistrationFailedError(RuntimeError):
    """The file registry could not take the file; the inbox object is kept for a retry."""

    def __init__(self, file_id: str, reason: str, *, retryable: bool) -> None:
        self.file_id = file_id
        self.retryable = retryable
        super().__init__(f"Registering file {file_id!r} failed: {reason}")


class RegistrationPort(Protocol):
    """Hands a finished upload to the file registry."""

    async def register(
        self, *, file_id: str, bucket_id: str, object_id: str, size: int, md5: str
    ) -> None:
        """Register the file; raise ``RegistrationFailedError`` if the registry refuses."""
        ...

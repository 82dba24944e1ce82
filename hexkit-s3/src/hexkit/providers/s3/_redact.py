"""Keeps credentials out of botocore's DEBUG logs.

At DEBUG level botocore logs each canonical request and each request's headers, which
include ``X-Amz-Security-Token``: the session token, a secret. While a provider is open,
a filter on those loggers replaces its secret values in every record they emit. Filters
run only for records that pass the level check, so this costs nothing unless DEBUG
logging is on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["REDACTED", "redacting"]

REDACTED = "**********"
_LOGGERS = ("botocore.auth", "botocore.endpoint", "botocore.hooks", "botocore.parsers")


class _SecretFilter(logging.Filter):
    """Replaces the registered secret values in a record's formatted message."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._owners: dict[int, tuple[str, ...]] = {}
        self._secrets: tuple[str, ...] = ()

    def register(self, owner: int, secrets: tuple[str, ...]) -> None:
        with self._lock:
            self._owners[owner] = secrets
            self._secrets = tuple({s for values in self._owners.values() for s in values if s})

    def unregister(self, owner: int) -> None:
        with self._lock:
            self._owners.pop(owner, None)
            self._secrets = tuple({s for values in self._owners.values() for s in values if s})

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets  # one snapshot: registration may change meanwhile
        if not secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in secrets:
            redacted = redacted.replace(secret, REDACTED)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_FILTER = _SecretFilter()


@contextmanager
def redacting(*secrets: str | None) -> Iterator[None]:
    """Redact ``secrets`` from botocore's request logs while the block runs."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    owner = object()
    _FILTER.register(id(owner), tuple(secret for secret in secrets if secret))
    try:
        yield
    finally:
        _FILTER.unregister(id(owner))

"""Text helpers for error messages: offending values are quoted, never whole.

A message that quotes a 1 MB ID is a 1 MB log line (and a 1 MB traceback); every error of
the protocols quotes values through :func:`shorten`, which keeps the start of the value's
``repr`` and says how long the whole value was. The attributes of an error keep the full
value for code that needs it.
"""

from __future__ import annotations

__all__ = ["MAX_QUOTED", "clip", "shorten"]

MAX_QUOTED = 200
"""The most characters of one value's ``repr`` an error message quotes."""


def shorten(value: object, limit: int = MAX_QUOTED) -> str:
    """Return ``repr(value)``, cut to ``limit`` characters with the value's length noted."""
    text = repr(value)
    if len(text) <= limit:
        return text
    if isinstance(value, str):
        size = f"{len(value)} characters"
    elif isinstance(value, bytes):
        size = f"{len(value)} bytes"
    else:
        size = f"a repr of {len(text)} characters"
    return f"{text[:limit]}... ({size} in all)"


def clip(text: str, limit: int = 2 * MAX_QUOTED) -> str:
    """Return free text (a reason, a driver's message) cut to ``limit`` characters.

    Reasons are written by code but may embed a value or a server's reply, so they are
    bounded too, a little more loosely than one quoted value.
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters in all)"

"""Measuring tools of bench/s3.py: streams that hold one MiB, and the peak RSS of a process.

Peak RSS is the kernel's high-water mark (``VmHWM``), reset through ``/proc/self/clear_refs``
just before the measured transfer: it counts every page the process touched, whoever
allocated it (Python, botocore's threads, or obstore's Rust runtime), which a sampler
can miss between two samples and tracemalloc cannot see at all.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
BLOCK = os.urandom(MIB)
_STATUS = Path("/proc/self/status")


def _status_kib(field: str) -> int:
    for line in _STATUS.read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{_STATUS} has no {field}; the S3 benchmark needs Linux.")


def rss() -> int:
    """This process's resident memory now, in bytes."""
    return _status_kib("VmRSS") * 1024


def peak_rss() -> int:
    """This process's highest resident memory since the last :func:`reset_peak_rss`."""
    return _status_kib("VmHWM") * 1024


def reset_peak_rss() -> None:
    """Reset the high-water mark to the current RSS (Linux 4.0+)."""
    Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


def release_free_memory() -> None:
    """Return freed heap memory to the OS (glibc), so RSS baselines hold live memory only."""
    # Without glibc the baselines include the allocator's cache.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


async def stream(size: int) -> AsyncIterator[bytes]:
    """``size`` bytes (a multiple of a MiB) as fresh 1 MiB chunks, as a socket or file gives.

    Fresh, not one shared block: a client that keeps references to the caller's chunks
    (obstore does, for its parts in flight) must then hold that memory as it would in use.
    """
    for _ in range(size // MIB):
        yield bytes(memoryview(BLOCK))  # a copy: bytes(BLOCK) would be BLOCK itself


class RepeatingReader(io.RawIOBase):
    """A readable file of ``size`` bytes that holds only one MiB."""

    def __init__(self, size: int) -> None:
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self._left, MIB)
        buffer[:count] = BLOCK[:count]
        self._left -= count
        return count


class Sink(io.RawIOBase):
    """A seekable writer that counts bytes and keeps none."""

    def __init__(self) -> None:
        self.written = 0
        self._position = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self._position = offset
        return offset

    def tell(self) -> int:
        return self._position

    def write(self, data: Any) -> int:
        self.written += len(data)
        self._position += len(data)
        return len(data)

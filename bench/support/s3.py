"""Measuring tools of bench/s3.py: a moto server process, an RSS sampler, streams."""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

MIB = 1024 * 1024
BLOCK = os.urandom(MIB)


@contextmanager
def moto_server() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto server did not start within 30 s") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


class RssSampler:
    """Samples this process's RSS every few milliseconds and keeps the peak."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss() -> int:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.002)

    @staticmethod
    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def __enter__(self) -> RssSampler:
        self.cpu_start = self.cpu()
        self.baseline = self.rss()
        self.peak = self.baseline
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_seconds = self.cpu() - self.cpu_start

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


async def stream(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // MIB):
        yield BLOCK


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


def release_free_memory() -> None:
    """Return freed heap memory to the OS (glibc), so RSS baselines hold live memory only."""
    # Without glibc the baselines include the allocator's cache.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)

"""The parts of a streaming upload: the caller's stream, read ahead, and reused part buffers.

``put_object`` reads the caller's stream into :class:`Buffer`; a multipart upload copies it,
part after part, straight into an anonymous memory map taken from a :class:`PartPool` of
``s3_multipart_concurrency`` maps, and sends the map through a :class:`PartBody`, which
shows botocore only the part's bytes. A map goes back to the pool once its request is done
(retries included), so its pages are faulted in once per upload, not once per part; every
map is closed when the upload ends.
"""

from __future__ import annotations

import io
import mmap
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable
from typing import Any

from hexkit.protocols.objstorage import Data

__all__ = ["Buffer", "PartBody", "PartPool"]


async def _chunks(data: Data) -> AsyncGenerator[tuple[memoryview, bool], None]:
    """Yield ``data`` as views, each with whether the caller may still change its bytes."""
    if isinstance(data, bytes | bytearray | memoryview):
        # One object for the whole upload: copy what the caller could change meanwhile.
        yield memoryview(data if isinstance(data, bytes) else bytes(data)), False
        return
    source: AsyncIterable[Any] = data
    async for chunk in source:
        if isinstance(chunk, bytes):
            yield memoryview(chunk), False
        elif isinstance(chunk, bytearray | memoryview):
            yield memoryview(chunk), True  # the caller may reuse it after our next read
        else:
            raise TypeError(f"put_object's data must yield bytes, got {type(chunk)!r}.")


class Buffer:
    """The caller's stream, read only as far ahead as the threshold or a part needs.

    A chunk the caller may reuse (``bytearray``, ``memoryview``) is valid only until the
    stream is read again: :meth:`fill` copies it, :meth:`fill_part` writes it into the
    part and holds what does not fit only until its next call, which uses it up first.
    """

    def __init__(self, data: Data) -> None:
        self._source = _chunks(data)
        self._pieces: deque[memoryview] = deque()
        self.size = 0
        """Bytes held, read from the stream and not yet taken."""
        self.exhausted = False

    async def _next(self) -> tuple[memoryview, bool] | None:
        try:
            return await anext(self._source)
        except StopAsyncIteration:
            self.exhausted = True
            return None

    async def fill(self, limit: int) -> None:
        """Read from the source until ``limit`` bytes are held or it ends."""
        while self.size < limit and not self.exhausted:
            if (chunk := await self._next()) is not None:
                piece, mutable = chunk
                # Held across further reads: copy what the caller may overwrite meanwhile.
                self._pieces.append(memoryview(bytes(piece)) if mutable else piece)
                self.size += len(piece)

    async def close(self) -> None:
        """Stop reading: close our generator over the caller's stream."""
        await self._source.aclose()

    def take(self, limit: int) -> bytes:
        """Remove and return up to ``limit`` held bytes (for a single PUT)."""
        taken: list[memoryview] = []
        wanted = limit
        while wanted and self._pieces:
            piece = self._pieces.popleft()
            if len(piece) > wanted:
                self._pieces.appendleft(piece[wanted:])
                piece = piece[:wanted]
            taken.append(piece)
            wanted -= len(piece)
        body = b"".join(taken)
        self.size -= len(body)
        return body

    async def fill_part(self, part: mmap.mmap) -> int:
        """Copy the next ``len(part)`` bytes of the stream (fewer at its end) into ``part``.

        Held pieces come first, then the stream is read straight into the map: one copy
        per byte. Return how many bytes were written.
        """
        written, size = 0, len(part)
        while written < size:
            if self._pieces:
                piece = self._pieces.popleft()
                self.size -= len(piece)
            elif self.exhausted or (chunk := await self._next()) is None:
                break
            else:
                piece, _ = chunk
            count = min(len(piece), size - written)
            part[written : written + count] = piece[:count]
            written += count
            if count < len(piece):
                # Uncopied, even from a buffer the caller reuses: held pieces are used up
                # before the stream is read again.
                self._pieces.appendleft(piece[count:])
                self.size += len(piece) - count
        return written


class PartPool:
    """Up to ``count`` anonymous maps of ``size`` bytes, reused from part to part.

    A map's pages go back to the OS when it is closed; ``bytes`` parts would return to the
    allocator, which keeps freed blocks of this size mapped. Maps are made on demand, so a
    short upload makes only as many as it has parts. Used on the event loop only.
    """

    def __init__(self, size: int, count: int) -> None:
        self._size = size
        self._count = count
        self._free: list[mmap.mmap] = []
        self._live = 0
        self._closed = False

    def acquire(self) -> mmap.mmap:
        """Return a free map; the caller holds one of ``count`` slots, so one is free."""
        if self._closed:
            raise RuntimeError("The part pool of this upload is closed.")
        if self._free:
            return self._free.pop()
        if self._live >= self._count:
            raise RuntimeError(f"All {self._count} part buffers are in use.")
        self._live += 1
        return mmap.mmap(-1, self._size)

    def release(self, part: mmap.mmap) -> None:
        """Take back a map no request reads any more: reuse it, or close it after close."""
        if self._closed:
            self.discard(part)
        else:
            self._free.append(part)

    def discard(self, part: mmap.mmap) -> None:
        """Close a map that must not be reused (a thread may still be reading it)."""
        self._live -= 1
        part.close()

    @property
    def live(self) -> int:
        """Maps made and not yet closed."""
        return self._live

    def close(self) -> None:
        """Close the free maps; maps still in use are closed when they come back."""
        self._closed = True
        while self._free:
            self.discard(self._free.pop())


class PartBody:
    """A read-only, seekable file over the first ``length`` bytes of a map.

    botocore reads a body to its end, measures it with ``len``, and seeks back to 0 to
    sign it, checksum it and send it again on a retry: a reused map is larger than a
    short last part, so this shows only the part's bytes, which stay untouched until the
    request is done.
    """

    def __init__(self, part: mmap.mmap, length: int) -> None:
        self._part = part
        self._length = length
        self._position = 0

    def __len__(self) -> int:
        return self._length

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}
        position = base[whence] + offset
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._position = position
        return position

    def read(self, size: int | None = -1) -> bytes:
        start = min(self._position, self._length)
        end = self._length if size is None or size < 0 else min(self._length, start + size)
        self._position = max(self._position, end)
        return self._part[start:end]

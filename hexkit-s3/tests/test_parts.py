"""The part buffers of a streaming upload, without a server: what botocore sees of them."""

from __future__ import annotations

import pytest

from hexkit.providers.s3 import _parts


def test_a_part_body_shows_only_its_length_of_a_larger_buffer() -> None:
    pool = _parts.PartPool(size=16, count=1)
    buffer = pool.acquire()
    buffer[:] = b"abcdefghijklmnop"
    body = _parts.PartBody(buffer, 5)
    assert (len(body), body.read(3), body.read(), body.read()) == (5, b"abc", b"de", b"")
    assert (body.seek(0, 2), body.tell(), body.read(10)) == (5, 5, b"")
    assert (body.seek(1), body.read(10), body.seek(-2, 1), body.read(1)) == (1, b"bcde", 3, b"d")
    with pytest.raises(ValueError, match="negative"):
        body.seek(-1)
    with pytest.raises(RuntimeError, match="in use"):
        pool.acquire()
    pool.release(buffer)
    assert pool.acquire() is buffer
    pool.release(buffer)
    pool.close()
    assert buffer.closed
    assert pool.live == 0

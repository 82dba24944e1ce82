"""Keyset pagination: the signed cursors of ``find_all(after=...)`` and the page tracker.

A cursor names a position in the total order of a find (its sort keys, then the ID,
which breaks every tie), so the next page is a range scan from there: its cost does not
grow with how far a client has paged, and writes between pages never shift it.

Format: ``<payload>.<tag>``, both unpadded base64url (URL-safe without escaping).
``payload`` is compact JSON ``{"v": 1, "q": <binding>, "k": [<value>, ...]}`` where
``k`` holds the last item's values of the sort keys and, last, its ID, each in the
JSON form of its field's type. ``binding`` is an HMAC of the DAO name, ID field,
mapping and sort, so a cursor is refused by any other find. ``tag`` is an
HMAC-SHA256 (128 bits) of the payload. Both use the factory's cursor secret.

Cursors are signed, not encrypted: anyone holding one can read the sort values and
the ID of the last item of the page (base64-decoded) - values the caller already
received in that page. Do not sort by a field whose values the client must not see.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, SecretStr, ValidationError

from ._errors import InvalidCursorError, PageNotFinishedError

__all__ = ["CursorSigner", "PageTracker", "Position", "field_value"]

_VERSION = 1
_TAG_BYTES = 16
# Without a configured secret, cursors are signed with a key made once per process:
# they stay valid for the life of the process and are refused by every other one.
_PROCESS_SECRET = secrets.token_bytes(32)


def field_value(dto: BaseModel, path: str) -> Any:
    """Return the value at a dotted path of ``dto`` (``None`` past a missing nested model)."""
    value: Any = dto
    for segment in path.split("."):
        if value is None:
            return None
        value = getattr(value, segment)
    return value


@dataclass(frozen=True)
class Position:
    """Where a cursor points: the full order of a find and the last item's values in it.

    ``keys`` holds ``(path, descending)`` pairs: the find's sort, then the ID field
    (ascending) unless the sort names it. ``values`` are the last item's values of
    those paths, validated as their fields' types. Items strictly after this position
    in that order make the next page.
    """

    keys: tuple[tuple[str, bool], ...]
    values: tuple[Any, ...]


class _Spec(Protocol):
    """What cursors need of a ``DaoSpec`` (a protocol: ``_spec`` imports this module)."""

    @property
    def name(self) -> str: ...
    @property
    def id_field(self) -> str: ...
    def json_value(self, path: str, value: Any) -> Any: ...
    def from_json_value(self, path: str, value: Any) -> Any: ...


class _Query(Protocol):
    """What cursors need of a ``FindQuery``."""

    @property
    def conditions(self) -> Sequence[tuple[str, Any]]: ...
    @property
    def sort(self) -> tuple[tuple[str, bool], ...]: ...
    @property
    def limit(self) -> int | None: ...


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorSigner:
    """Signs and checks the cursors of one factory's DAOs with its cursor secret.

    ``secret`` is the providers' ``cursor_secret`` setting; ``None`` uses a key made
    once per process. Service instances behind one load balancer must share a secret,
    or a cursor from one is refused by the others. The secret never appears in a repr
    or an error message.
    """

    __slots__ = ("_key",)

    def __init__(self, secret: SecretStr | str | bytes | None = None) -> None:
        if secret is None:
            key = _PROCESS_SECRET
        elif isinstance(secret, SecretStr):
            key = secret.get_secret_value().encode()
        elif isinstance(secret, str):
            key = secret.encode()
        else:
            key = bytes(secret)
        self._key = hashlib.sha256(b"hexkit-dao-cursor\x00" + key).digest()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(secret=**********)"

    def _mac(self, *parts: bytes) -> bytes:
        return hmac.new(self._key, b"\x00".join(parts), hashlib.sha256).digest()[:_TAG_BYTES]

    @staticmethod
    def order(spec: _Spec, query: _Query) -> tuple[tuple[str, bool], ...]:
        """Return the total order of a find: its sort, then the ID unless sorted by it."""
        if any(path == spec.id_field for path, _ in query.sort):
            return query.sort
        return (*query.sort, (spec.id_field, False))

    def _binding(self, spec: _Spec, query: _Query) -> str:
        conditions = sorted(
            (path, spec.json_value(path, value)) for path, value in query.conditions
        )
        text = json.dumps(
            [spec.name, spec.id_field, conditions, [list(key) for key in query.sort]],
            separators=(",", ":"),
            sort_keys=True,
            default=str,
        )
        return _b64encode(self._mac(b"binding", text.encode()))

    def encode(self, spec: _Spec, query: _Query, last: BaseModel) -> str:
        """Return the cursor of the position just after ``last`` in this find's order."""
        keys = self.order(spec, query)
        values = [spec.json_value(path, field_value(last, path)) for path, _ in keys]
        payload = json.dumps(
            {"v": _VERSION, "q": self._binding(spec, query), "k": values},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._mac(b'cursor', payload))}"

    def decode(self, spec: _Spec, query: _Query, cursor: Any) -> Position:
        """Return the position a cursor of this find names, or raise ``InvalidCursorError``."""
        if not isinstance(cursor, str):
            raise InvalidCursorError(reason=f"a cursor is a str, got {type(cursor).__name__}")
        head, dot, tail = cursor.partition(".")
        try:
            if not dot or not head.isascii() or not tail.isascii():
                raise ValueError
            payload, tag = _b64decode(head), _b64decode(tail)
        except (ValueError, binascii.Error):
            raise InvalidCursorError(reason="it is not a cursor (malformed)") from None
        if not hmac.compare_digest(tag, self._mac(b"cursor", payload)):
            raise InvalidCursorError(
                reason="its signature does not match: it was altered, or signed with another"
                " cursor_secret (configure the same secret on every instance)"
            )
        try:
            data = json.loads(payload)
            version, binding, raw = data["v"], data["q"], data["k"]
        except (ValueError, TypeError, KeyError):
            raise InvalidCursorError(reason="it is not a cursor (malformed)") from None
        if version != _VERSION:
            raise InvalidCursorError(reason=f"its format version {version!r} is not supported")
        if not hmac.compare_digest(str(binding), self._binding(spec, query)):
            raise InvalidCursorError(
                reason="it belongs to another find (another DAO, mapping or sort); pass the"
                " same mapping and sort as the request that returned it"
            )
        keys = self.order(spec, query)
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise InvalidCursorError(reason="it is not a cursor (malformed)")
        try:
            values = tuple(
                spec.from_json_value(path, value)
                for (path, _), value in zip(keys, raw, strict=True)
            )
        except ValidationError:
            raise InvalidCursorError(
                reason="its values no longer fit the model's fields (was the model changed?)"
            ) from None
        return Position(keys=keys, values=values)


class PageTracker:
    """Follows a find result with a limit and makes its ``next_cursor``.

    Providers call :meth:`seen` with each item they return and :meth:`ended` when the
    result is exhausted. When the ``limit``-th item is seen the page is full and the
    cursor after it is made; a page that ends with fewer items has ``None``.
    """

    __slots__ = ("_cursor", "_ended", "_left", "_query", "_signer", "_spec")

    def __init__(self, signer: CursorSigner, spec: _Spec, query: _Query) -> None:
        self._signer = signer
        self._spec = spec
        self._query = query
        self._left = query.limit
        self._cursor: str | None = None
        self._ended = query.limit is None or query.limit == 0

    def seen(self, item: BaseModel) -> None:
        """Count one returned item; the last one of a full page makes the cursor."""
        if self._left is None or self._left <= 0:
            return
        self._left -= 1
        if self._left == 0:
            self._cursor = self._signer.encode(self._spec, self._query, item)
            self._ended = True

    def ended(self) -> None:
        """Note that the result is exhausted."""
        self._ended = True

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page, ``None`` if the page was not full."""
        if not self._ended:
            raise PageNotFinishedError()
        return self._cursor

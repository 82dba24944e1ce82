"""Authenticated hand-offs: the relay signs each ``/messages`` delivery, the recipient checks it.

Each sending service has its own HMAC-SHA256 key, shared with the services it sends to.
A delivery carries the sender's name, a Unix timestamp and the MAC over sender, timestamp
and body, one per line (the body holds the message ID). The recipient refuses a missing or
wrong MAC (``401``), then a timestamp outside the window, a topic it does not take from
that sender, or a message ID that sender delivered already within the window (``403``);
a message still being handled by an earlier delivery is ``503`` (retry).
The replay memory is bounded: IDs older than the window are forgotten (the timestamp check
refuses them anyway), and at most ``max_remembered`` are kept. It is per process: each
instance behind one address refuses the replays it saw.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

__all__ = [
    "SENDER_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "HandOffBusyError",
    "HandOffError",
    "HandOffRefusedError",
    "HandOffSettings",
    "HandOffUnauthenticatedError",
    "HandOffVerifier",
    "MessageSigner",
    "ReplayGuard",
    "SenderPolicy",
    "hand_off_verifier",
    "message_mac",
]

SENDER_HEADER = "X-Hand-Off-Sender"
TIMESTAMP_HEADER = "X-Hand-Off-Timestamp"
SIGNATURE_HEADER = "X-Hand-Off-Signature"


class HandOffSettings(BaseSettings):
    """Keys of the hand-offs (env ``HAND_OFF_KEY``, ``HAND_OFF_SENDER_KEYS`` as JSON).

    ``hand_off_key`` signs what this service sends; ``hand_off_sender_keys`` maps each
    service this one accepts messages from to that sender's key. No defaults: a service
    without its keys does not start.
    """

    hand_off_key: SecretStr
    hand_off_sender_keys: dict[str, SecretStr]
    hand_off_window_seconds: int = Field(default=300, gt=0, le=3600)


class HandOffError(PermissionError):
    """A delivery to ``/messages`` is refused."""


class HandOffUnauthenticatedError(HandOffError):
    """The delivery carries no valid proof of its sender."""

    def __init__(self) -> None:
        super().__init__(
            "The delivery is not signed by a known sender; check the relay's hand-off key."
        )


class HandOffRefusedError(HandOffError):
    """The sender is known, but this delivery is stale, replayed, or of a topic not taken."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"The delivery is refused: {reason}.")


class HandOffBusyError(HandOffError):
    """The same message is being handled by an earlier delivery; the sender should retry.

    A ``503``, not a refusal: if the earlier delivery fails, this retry must still be taken.
    """

    def __init__(self) -> None:
        super().__init__("This message is being handled by an earlier delivery; retry later.")


def message_mac(key: SecretStr, sender: str, timestamp: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of one delivery."""
    signed = sender.encode() + b"\n" + timestamp.encode() + b"\n" + body
    return hmac.new(key.get_secret_value().encode(), signed, hashlib.sha256).hexdigest()


class MessageSigner:
    """Signs what one service's relay delivers."""

    def __init__(self, sender: str, key: SecretStr) -> None:
        self._sender = sender
        self._key = key

    def __repr__(self) -> str:
        return f"MessageSigner(sender={self._sender!r})"

    def headers(self, body: bytes) -> dict[str, str]:
        """Return the headers that prove this sender sent ``body`` now."""
        timestamp = str(int(time.time()))
        return {
            SENDER_HEADER: self._sender,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: message_mac(self._key, self._sender, timestamp, body),
        }


@dataclass(frozen=True)
class SenderPolicy:
    """A sender this service accepts: its key and the topics it may send."""

    key: SecretStr
    topics: frozenset[str]


class ReplayGuard:
    """Remembers ``(sender, message ID)`` pairs seen within the window, boundedly.

    A pair is *in flight* from :meth:`claim` until :meth:`finish` (handled: a later
    delivery is a replay) or :meth:`release` (failed: the sender's retry is taken).
    """

    def __init__(self, window_seconds: int, *, max_remembered: int = 100_000) -> None:
        self.window_seconds = window_seconds
        self._max = max_remembered
        self._seen: OrderedDict[tuple[str, str], tuple[float, bool]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def claim(
        self, sender: str, message_id: str, now: float
    ) -> Literal["new", "in flight", "done"]:
        """Claim the pair if it is new; else tell whether it is being handled or was handled."""
        horizon = now - 2 * self.window_seconds  # a timestamp may be early or late by a window
        while self._seen and next(iter(self._seen.values()))[0] < horizon:
            self._seen.popitem(last=False)
        key = (sender, message_id)
        if key in self._seen:
            return "done" if self._seen[key][1] else "in flight"
        self._seen[key] = (now, False)
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return "new"

    def finish(self, sender: str, message_id: str) -> None:
        """Mark a claimed pair as handled: any later delivery of it is a replay."""
        key = (sender, message_id)
        if key in self._seen:
            self._seen[key] = (self._seen[key][0], True)

    def release(self, sender: str, message_id: str) -> None:
        """Forget a pair whose handling failed, so the sender's retry is taken."""
        self._seen.pop((sender, message_id), None)


class HandOffVerifier:
    """Checks deliveries to one service against its senders' keys and topics."""

    def __init__(self, senders: Mapping[str, SenderPolicy], window_seconds: int) -> None:
        self._senders = dict(senders)
        self.replays = ReplayGuard(window_seconds)

    def authenticate(self, headers: Mapping[str, str], body: bytes) -> tuple[str, float]:
        """Return the sender and the delivery's timestamp if the MAC is right, else raise 401."""
        sender = headers.get(SENDER_HEADER, "")
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        policy = self._senders.get(sender)
        if policy is None or not timestamp.isdigit() or len(timestamp) > 12:
            raise HandOffUnauthenticatedError()
        expected = message_mac(policy.key, sender, timestamp, body)
        if not hmac.compare_digest(expected, signature):
            raise HandOffUnauthenticatedError()
        return sender, float(timestamp)

    def admit(self, sender: str, sent_at: float, topic: str, message_id: str) -> None:
        """Refuse a stale delivery, a topic not taken from ``sender``, or a replay (403)."""
        now = time.time()
        if abs(now - sent_at) > self.replays.window_seconds:
            raise HandOffRefusedError("its timestamp is outside the accepted window")
        if topic not in self._senders[sender].topics:
            raise HandOffRefusedError(f"this service takes no {topic!r} messages from {sender}")
        claimed = self.replays.claim(sender, message_id, now)
        if claimed == "done":
            raise HandOffRefusedError("this message was delivered already")
        if claimed == "in flight":
            raise HandOffBusyError()

    def finish(self, sender: str, message_id: str) -> None:
        """Remember the message as handled: a later delivery of it is a replay."""
        self.replays.finish(sender, message_id)

    def release(self, sender: str, message_id: str) -> None:
        """Let the sender deliver the message again (its handling failed)."""
        self.replays.release(sender, message_id)


def hand_off_verifier(
    settings: HandOffSettings, topics: Mapping[str, frozenset[str]]
) -> HandOffVerifier:
    """Build the verifier of a service that takes ``topics[sender]`` from each sender."""
    missing = sorted(set(topics) - set(settings.hand_off_sender_keys))
    if missing:
        raise ValueError(f"HAND_OFF_SENDER_KEYS has no key for {', '.join(missing)}.")
    senders = {
        name: SenderPolicy(key=settings.hand_off_sender_keys[name], topics=allowed)
        for name, allowed in topics.items()
    }
    return HandOffVerifier(senders, settings.hand_off_window_seconds)

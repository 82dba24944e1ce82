"""The hand-off verifier on its own: MACs, windows, topics, and a bounded replay memory."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from file_services.common.handoffs import (
    HandOffBusyError,
    HandOffRefusedError,
    HandOffUnauthenticatedError,
    HandOffVerifier,
    MessageSigner,
    ReplayGuard,
    SenderPolicy,
)
from pydantic import SecretStr

KEY = SecretStr("k" * 64)
Change = Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]]


def verifier() -> HandOffVerifier:
    return HandOffVerifier({"registry": SenderPolicy(KEY, frozenset({"file_staged"}))}, 300)


def test_a_delivery_signed_with_the_senders_key_is_authenticated() -> None:
    body = b'{"message_id": "m"}'
    headers = MessageSigner("registry", KEY).headers(body)
    sender, sent_at = verifier().authenticate(headers, body)
    assert sender == "registry"
    assert abs(sent_at - time.time()) < 5


@pytest.mark.parametrize(
    "change",
    [
        lambda h, b: ({**h, "X-Hand-Off-Sender": "uploads"}, b),  # a sender it does not know
        lambda h, b: ({**h, "X-Hand-Off-Timestamp": str(int(h["X-Hand-Off-Timestamp"]) + 1)}, b),
        lambda h, b: (h, b + b" "),  # the body altered
        lambda h, b: ({k: v for k, v in h.items() if k != "X-Hand-Off-Signature"}, b),
        lambda h, b: ({**h, "X-Hand-Off-Timestamp": "-1"}, b),
    ],
    ids=["unknown sender", "timestamp changed", "body changed", "no signature", "bad timestamp"],
)
def test_any_change_to_a_signed_delivery_is_unauthenticated(change: Change) -> None:
    body = b'{"message_id": "m"}'
    headers, altered = change(MessageSigner("registry", KEY).headers(body), body)
    with pytest.raises(HandOffUnauthenticatedError):
        verifier().authenticate(headers, altered)


def test_stale_deliveries_and_topics_not_taken_from_the_sender_are_refused() -> None:
    checks = verifier()
    with pytest.raises(HandOffRefusedError, match="window"):
        checks.admit("registry", time.time() - 301, "file_staged", "m-1")
    with pytest.raises(HandOffRefusedError, match="file_deleted"):
        checks.admit("registry", time.time(), "file_deleted", "m-2")


def test_a_message_in_flight_asks_for_a_retry_and_a_handled_one_is_a_replay() -> None:
    checks = verifier()
    checks.admit("registry", time.time(), "file_staged", "m")
    with pytest.raises(HandOffBusyError):
        checks.admit("registry", time.time(), "file_staged", "m")
    checks.release("registry", "m")  # the first delivery failed: the retry is taken
    checks.admit("registry", time.time(), "file_staged", "m")
    checks.finish("registry", "m")
    with pytest.raises(HandOffRefusedError, match="already"):
        checks.admit("registry", time.time(), "file_staged", "m")


def test_the_replay_memory_forgets_what_the_window_refuses_anyway_and_stays_bounded() -> None:
    guard = ReplayGuard(10, max_remembered=3)
    for n in range(3):
        assert guard.claim("s", f"m-{n}", now=1000.0) == "new"
        guard.finish("s", f"m-{n}")
    assert guard.claim("s", "m-0", now=1000.0) == "done"
    assert guard.claim("s", "m-3", now=1000.0) == "new"
    assert len(guard) == 3  # the oldest was dropped for the newest
    assert guard.claim("s", "late", now=1021.0) == "new"  # past twice the window: all forgotten
    assert len(guard) == 1

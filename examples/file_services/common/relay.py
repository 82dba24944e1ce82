"""The relay: delivers a service's owed messages over HTTP, at least once.

It reads the outbox (``common.outbox``), posts each message to its recipient's
``POST /messages``, signed with the service's hand-off key (``common.handoffs``), and
deletes it only after a 2xx, so a crash anywhere means a message is sent again, never lost.
A recipient that refuses a message with a 4xx (forged, malformed, not its topic) will
refuse it again: the message is parked as undeliverable and logged, never retried; only a
5xx or an unreachable recipient means "deliver again". Recipients are idempotent. Several
relays over one outbox (several instances of a service) may send a message twice; that is
within the guarantee.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from contextlib import suppress

import httpx

from hexkit.protocols.dao import Dao, ResourceNotFoundError

from .handoffs import MessageSigner
from .outbox import OwedMessage

__all__ = ["MESSAGES_PATH", "Relay"]

MESSAGES_PATH = "/messages"
_RETRYABLE_4XX = {408, 425, 429}
log = logging.getLogger(__name__)


class Relay:
    """Delivers owed messages to the services named in ``recipients``."""

    def __init__(
        self,
        outbox: Dao[OwedMessage],
        recipients: Mapping[str, httpx.AsyncClient],
        *,
        signer: MessageSigner,
        interval_seconds: float = 0.5,
    ) -> None:
        self._outbox = outbox
        self._signer = signer
        self._recipients = recipients
        self._interval = interval_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Deliver soon: a unit of work just owed something."""
        self._wake.set()

    async def deliver_pending(self) -> int:
        """Try every deliverable message once, oldest first; return how many were delivered.

        A recipient that fails is skipped for the rest of the pass, so its messages keep
        their order and a service that is down is not hammered.
        """
        pending = await self._outbox.find_all(
            mapping={"undeliverable": None}, sort=["created"]
        ).to_list()
        delivered, failing = 0, set[str]()
        for message in pending:
            if message.recipient in failing:
                continue
            if await self._deliver(message):
                delivered += 1
            else:
                failing.add(message.recipient)
        return delivered

    async def run(self) -> None:
        """Deliver until cancelled: after each wake-up, and every ``interval_seconds``."""
        while True:
            self._wake.clear()
            try:
                await self.deliver_pending()
            except Exception:
                log.exception("The relay's delivery pass failed; it retries on the next one.")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)

    async def _deliver(self, message: OwedMessage) -> bool:
        client = self._recipients.get(message.recipient)
        if client is None:
            await self._give_up(message, f"no address for recipient {message.recipient!r}")
            return True  # nothing to wait for: the message is parked for an operator
        envelope = {
            "message_id": message.message_id,
            "topic": message.topic,
            "payload": message.payload,
        }
        body = json.dumps(envelope, separators=(",", ":")).encode()
        headers = {"content-type": "application/json", **self._signer.headers(body)}
        try:
            response = await client.post(MESSAGES_PATH, content=body, headers=headers)
        except httpx.HTTPError as error:
            await self._count_attempt(message)
            log.warning("Delivering %s to %s failed: %r", message.topic, message.recipient, error)
            return False
        if response.is_success:
            with suppress(ResourceNotFoundError):  # another instance's relay was faster
                await self._outbox.delete(message.message_id)
            return True
        if response.status_code < 500 and response.status_code not in _RETRYABLE_4XX:
            await self._give_up(message, f"{response.status_code}: {response.text[:500]}")
            return True
        await self._count_attempt(message)
        return False

    async def _count_attempt(self, message: OwedMessage) -> None:
        with suppress(ResourceNotFoundError):
            await self._outbox.update(message.model_copy(update={"attempts": message.attempts + 1}))

    async def _give_up(self, message: OwedMessage, reason: str) -> None:
        log.error(
            "Message %s (%s) to %s is undeliverable: %s",
            message.message_id, message.topic, message.recipient, reason,
        )  # fmt: skip
        parked = message.model_copy(update={"undeliverable": reason})
        with suppress(ResourceNotFoundError):
            await self._outbox.update(parked)

"""The transactional outbox the three cores share: what a service owes another one.

A core records each hand-off as an :class:`OwedMessage` through hexkit's DAO, in the same
``DaoFactoryProtocol.transaction()`` as the state change that makes it owed (see
:class:`UnitOfWork`); a relay (``common.relay``, an adapter) delivers owed messages at least
once and deletes each after its recipient acknowledged it. Like the cores, this module
imports only ``hexkit.protocols``, pydantic and the standard library.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from hexkit.protocols.dao import Dao, DaoFactoryProtocol, TransactionsNotSupportedError

__all__ = [
    "InvalidMessageError",
    "OwedMessage",
    "UnitOfWork",
    "UnknownTopicError",
    "parse_payload",
    "supports_transactions",
]


M = TypeVar("M", bound=BaseModel)


class OwedMessage(BaseModel):
    """A message a service owes another one, kept until the recipient acknowledged it."""

    message_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    recipient: str  # a service name; the relay maps it to an address
    topic: str
    payload: dict[str, Any]
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))
    attempts: int = 0
    undeliverable: str | None = None  # why the recipient refused it for good, for an operator


async def supports_transactions(factory: DaoFactoryProtocol) -> bool:
    """Tell whether the provider runs ``transaction()`` blocks (a standalone MongoDB does not)."""
    try:
        async with factory.transaction():
            pass
    except TransactionsNotSupportedError:
        return False
    return True


class UnitOfWork:
    """Runs a state change and the messages it owes as one transaction.

    Inside ``async with uow():`` the core writes its state, then calls :meth:`owe`. With a
    provider that has transactions both commit together or not at all. Without, they are
    written in the order the core awaits them, state first; a crash between the two leaves
    the message unwritten, and it is owed again when the request or message that caused the
    change is repeated (every step is idempotent and owes its messages again when it finds
    its work done). ``on_commit`` (the relay's wake-up) runs after each block that owed.
    """

    def __init__(
        self,
        factory: DaoFactoryProtocol,
        outbox: Dao[OwedMessage],
        *,
        transactional: bool,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._factory = factory
        self._outbox = outbox
        self.transactional = transactional
        self.on_commit = on_commit

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        """Open the block; commit on normal exit, roll back (when possible) on an error."""
        if self.transactional:
            async with self._factory.transaction():
                yield
        else:
            yield
        if self.on_commit is not None:
            self.on_commit()

    async def owe(self, recipient: str, topic: str, **payload: Any) -> None:
        """Record a message to ``recipient``; call it inside the block of the state change."""
        await self._outbox.insert(OwedMessage(recipient=recipient, topic=topic, payload=payload))


class UnknownTopicError(ValueError):
    """A service was handed a message whose topic it does not consume."""

    def __init__(self, service: str, topic: str) -> None:
        self.topic = topic
        super().__init__(
            f"The {service} consumes no messages of topic {topic!r}; check the relay's routes."
        )


class InvalidMessageError(ValueError):
    """A message's payload does not have the fields its topic needs; sending it again won't help."""

    def __init__(self, topic: str, problem: str) -> None:
        self.topic = topic
        super().__init__(f"The {topic!r} message is malformed: {problem}")


def parse_payload(model: type[M], topic: str, payload: dict[str, Any]) -> M:
    """Validate a payload against its topic's model, or raise :class:`InvalidMessageError`."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in error.errors()[:5]
        )
        raise InvalidMessageError(topic, problems) from None

"""The file services answer protocol errors by hexkit.fastapi's table, their own by theirs."""

from __future__ import annotations

import httpx
import pytest
from file_services.common.handoffs import MessageSigner
from file_services.common.http import SERVICE_PROBLEMS
from file_services.common.outbox import OwedMessage
from file_services.common.relay import Relay
from pydantic import SecretStr

from hexkit.fastapi import status_of
from hexkit.protocols import dao, objstorage
from hexkit.providers.memory import MemoryDaoFactory

# A backend that is down, slow or shutting down: the sender's relay must retry (any 5xx).
UNAVAILABLE = (
    dao.DbUnavailableError,
    dao.DbTimeoutError,
    dao.ProviderClosedError,
    objstorage.StorageUnavailableError,
    objstorage.StorageTimeoutError,
    objstorage.StorageClosedError,
)


def _instance(error: type[Exception]) -> Exception:
    """An instance of a subclass that takes no arguments (only the classes matter)."""
    bare = type(error.__name__, (error,), {"__init__": lambda self: None})
    instance: Exception = bare()
    return instance


@pytest.mark.parametrize("error", UNAVAILABLE, ids=lambda error: error.__name__)
def test_an_unavailable_or_slow_backend_is_a_5xx_the_relay_retries(
    error: type[Exception],
) -> None:
    assert status_of(_instance(error)) in (503, 504)


def test_the_races_a_client_can_lose_are_409_and_bad_values_422() -> None:
    assert status_of(_instance(dao.ResourceAlreadyExistsError)) == 409
    assert status_of(_instance(dao.UniqueConstraintViolationError)) == 409
    assert status_of(_instance(dao.InvalidIdError)) == 422
    assert status_of(_instance(dao.InvalidDocumentError)) == 422


def test_the_services_map_no_protocol_error_themselves() -> None:
    """Protocol errors are hexkit.fastapi's job; a row here would shadow its table."""
    for error in SERVICE_PROBLEMS:
        assert not issubclass(error, dao.DaoError | dao.DaoUsageError), error
        assert not issubclass(
            error, objstorage.ObjectStorageError | objstorage.ObjectStorageUsageError
        ), error


@pytest.mark.asyncio
@pytest.mark.parametrize("code", [500, 503, 504])
async def test_the_relay_retries_every_5xx_including_504(code: int) -> None:
    outbox = await MemoryDaoFactory().get_dao(
        name="outbox", dto_model=OwedMessage, id_field="message_id"
    )
    await outbox.insert(OwedMessage(recipient="peer", topic="t", payload={}))
    answer = httpx.MockTransport(lambda _: httpx.Response(code))
    async with httpx.AsyncClient(transport=answer, base_url="http://peer") as client:
        relay = Relay(outbox, {"peer": client}, signer=MessageSigner("me", SecretStr("k")))
        assert await relay.deliver_pending() == 0
        assert await relay.deliver_pending() == 0
    [kept] = await outbox.find_all(mapping={}).to_list()
    assert (kept.attempts, kept.undeliverable) == (2, None)

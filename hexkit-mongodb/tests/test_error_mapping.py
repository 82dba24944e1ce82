"""Driver exceptions become the protocol's errors (pure translation, no server)."""

from __future__ import annotations

import pytest
from pymongo import errors

from hexkit.protocols.dao import (
    DaoError,
    DbTimeoutError,
    DbUnavailableError,
    ResourceAlreadyExistsError,
    TransactionError,
    UniqueConstraintViolationError,
)
from hexkit.providers.mongodb._errors import translate_errors, translated


def duplicate(pattern: dict[str, int] | None, errmsg: str = "E11000") -> errors.DuplicateKeyError:
    details: dict[str, object] = {"code": 11000, "errmsg": errmsg}
    if pattern is not None:
        details["keyPattern"] = pattern
    return errors.DuplicateKeyError(errmsg, 11000, details)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.ServerSelectionTimeoutError("no servers"), DbUnavailableError),
        (errors.AutoReconnect("reset"), DbUnavailableError),
        (errors.ConnectionFailure("refused"), DbUnavailableError),
        (errors.NetworkTimeout("slow socket"), DbTimeoutError),
        (errors.ExecutionTimeout("maxTimeMS", 50), DbTimeoutError),
        (errors.WTimeoutError("write concern", 64), DbTimeoutError),
        (errors.WaitQueueTimeoutError("pool"), DbTimeoutError),
        (errors.OperationFailure("bad", 2), DaoError),
        (errors.OperationFailure("authentication failed, full error: {}", 18), DbUnavailableError),
        (errors.InvalidOperation("closed"), DaoError),
    ],
)
def test_driver_errors_map_to_protocol_errors(
    error: errors.PyMongoError, expected: type[DaoError]
) -> None:
    result = translated(error, collection="things")
    assert type(result) is expected
    assert "'things'" in str(result)
    assert "full error" not in str(result) or expected is DaoError  # no raw server reply


def test_timeouts_are_builtin_timeouts_and_outages_connection_errors() -> None:
    assert isinstance(translated(errors.NetworkTimeout("x"), collection="c"), TimeoutError)
    unavailable = translated(errors.AutoReconnect("x"), collection="c")
    assert isinstance(unavailable, ConnectionError)


def test_duplicate_id_is_resource_already_exists() -> None:
    result = translated(duplicate({"_id": 1}), collection="c", id_="k")
    assert isinstance(result, ResourceAlreadyExistsError)
    assert result.id == "k"


def test_duplicate_id_is_recognised_from_the_message_without_key_pattern() -> None:
    message = "E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: 1 }"
    assert isinstance(
        translated(duplicate(None, message), collection="c"), ResourceAlreadyExistsError
    )


def test_other_duplicates_are_unique_violations_naming_fields() -> None:
    result = translated(duplicate({"address.city": 1, "_id": 1}), collection="c", id_field="key")
    assert isinstance(result, UniqueConstraintViolationError)
    assert result.fields == ("address.city", "key")


def test_write_conflicts_inside_transactions_ask_for_a_retry() -> None:
    conflict = errors.OperationFailure("WriteConflict", 112)
    inside = translated(conflict, collection="c", in_transaction=True)
    assert isinstance(inside, TransactionError)
    assert "retry the transaction" in str(inside)
    assert type(translated(conflict, collection="c")) is DaoError


def test_translate_errors_chains_the_driver_error() -> None:
    original = errors.AutoReconnect("gone")
    with pytest.raises(DbUnavailableError) as info, translate_errors(collection="c"):
        raise original
    assert info.value.__cause__ is original


def test_translate_errors_leaves_other_exceptions_alone() -> None:
    with pytest.raises(KeyError), translate_errors(collection="c"):
        raise KeyError("not a driver error")


HUNG = (
    "127.0.0.1:5: timed out (configured timeouts: timeoutMS: 1000.0ms), Timeout: 1.0s,"
    " Topology Description: <TopologyDescription servers: [<ServerDescription"
    " error=NetworkTimeout('127.0.0.1:5: timed out')>]>"
)
REFUSED = (
    "127.0.0.1:5: [Errno 111] Connection refused, Timeout: 1.0s, Topology Description:"
    " <TopologyDescription servers: [<ServerDescription error=AutoReconnect('refused')>]>"
)


def test_server_selection_against_a_hung_server_is_a_timeout() -> None:
    result = translated(errors.ServerSelectionTimeoutError(HUNG), collection="c")
    assert type(result) is DbTimeoutError
    assert "may still be applied" in str(result)


def test_server_selection_against_a_refusing_server_is_unavailability() -> None:
    result = translated(errors.ServerSelectionTimeoutError(REFUSED), collection="c")
    assert type(result) is DbUnavailableError


def test_connections_interrupted_because_a_check_timed_out_are_timeouts() -> None:
    interrupted = errors.AutoReconnect("operation cancelled")
    assert type(translated(interrupted, collection="c", server_hangs=True)) is DbTimeoutError
    assert type(translated(interrupted, collection="c")) is DbUnavailableError


def test_timeouts_inside_transactions_stay_timeouts_and_say_the_transaction_aborts() -> None:
    timeout = errors.NetworkTimeout("timed out", errors={"errorLabels": ["x"]})
    result = translated(timeout, collection="c", in_transaction=True)
    assert type(result) is DbTimeoutError
    assert "retry it" in str(result)

"""The file services' error table covers every error of both protocol trees."""

from __future__ import annotations

import pytest
from file_services.common.http import PROTOCOL_PROBLEMS

from hexkit.protocols import dao, objstorage

# A backend that is down, slow or shutting down: the sender must retry, so these are 503.
UNAVAILABLE = (
    dao.DbUnavailableError,
    dao.DbTimeoutError,
    dao.TransactionsNotSupportedError,
    dao.ProviderClosedError,
    objstorage.StorageUnavailableError,
    objstorage.StorageTimeoutError,
    objstorage.StorageClosedError,
)
ERRORS = [
    error
    for module in (dao, objstorage)
    for name in module.__all__
    if isinstance(error := getattr(module, name), type) and issubclass(error, Exception)
]


def status_of(error: type[Exception]) -> int | None:
    """The status Starlette picks: the entry of the most specific class in the MRO."""
    for cls in error.__mro__:
        if cls in PROTOCOL_PROBLEMS:
            return PROTOCOL_PROBLEMS[cls]
    return None


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: error.__name__)
def test_every_protocol_error_is_a_4xx_or_a_503_for_an_unavailable_backend(
    error: type[Exception],
) -> None:
    code = status_of(error)
    if issubclass(error, UNAVAILABLE):
        assert code == 503
    else:
        assert code is not None, error.__name__
        assert 400 <= code < 500, (error.__name__, code)


def test_the_races_a_client_can_lose_are_409() -> None:
    assert status_of(objstorage.MultiPartUploadNotFoundError) == 409
    assert status_of(dao.ResourceAlreadyExistsError) == 409
    assert status_of(dao.InvalidIdError) == 422
    assert status_of(dao.InvalidDocumentError) == 422

"""Work-order tokens: short-lived JWTs that say who may do which operation on which file.

An issuer the deployment trusts (the component that decides access) signs a token with its
private key; a service holds only the public key and checks, before it touches any state,
the signature with a pinned algorithm (never ``none``, never an HMAC or RSA variant with
the same key), the issuer, the audience (this service), expiry with a bounded clock skew,
a bounded lifetime, the operation, and the file. A missing token is ``401``
(:class:`WorkOrderMissingError`); any other failure ``403`` (:class:`WorkOrderRefusedError`),
whose message names the failed check but never the token or which files exist.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import Field
from pydantic_settings import BaseSettings

__all__ = [
    "Algorithm",
    "Operation",
    "WorkOrder",
    "WorkOrderError",
    "WorkOrderMissingError",
    "WorkOrderRefusedError",
    "WorkOrderSettings",
    "WorkOrderVerifier",
    "bearer_token",
]

Algorithm = Literal["ES256", "EdDSA"]
_BEARER = "bearer "


class Operation(StrEnum):
    """What a work order allows."""

    START_UPLOAD = "start_upload"  # announce the file, open an attempt, get part URLs
    COMPLETE_UPLOAD = "complete_upload"
    CANCEL_UPLOAD = "cancel_upload"
    DOWNLOAD = "download"
    DELETE = "delete"


class WorkOrderSettings(BaseSettings):
    """How a service checks work orders (env ``WORK_ORDER_PUBLIC_KEY`` etc.).

    ``work_order_public_key`` is the issuer's public key in PEM; a service never holds the
    private key. There is no default: a service without it does not start.
    """

    work_order_public_key: str
    work_order_issuer: str = "file-services-access"
    work_order_algorithm: Algorithm = "ES256"
    work_order_leeway_seconds: int = Field(default=30, ge=0, le=300)
    work_order_max_lifetime_seconds: int = Field(default=600, gt=0, le=3600)


class WorkOrderError(PermissionError):
    """A request's work order does not let it through."""


class WorkOrderMissingError(WorkOrderError):
    """The request carries no bearer token; send ``Authorization: Bearer <work order>``."""

    def __init__(self) -> None:
        super().__init__(
            "This operation needs a work order: send 'Authorization: Bearer <token>'"
            " with a token from the access issuer."
        )


class WorkOrderRefusedError(WorkOrderError):
    """The token is invalid or does not cover this operation on this resource."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"The work order is refused: {reason}. Ask the issuer for a new one.")


@dataclass(frozen=True)
class WorkOrder:
    """What a verified token allows."""

    operation: Operation
    file_id: str


def bearer_token(authorization: str | None) -> str:
    """Return the token of an ``Authorization: Bearer`` header, or raise the 401 error."""
    if not authorization or not authorization.lower().startswith(_BEARER):
        raise WorkOrderMissingError()
    token = authorization[len(_BEARER) :].strip()
    if not token:
        raise WorkOrderMissingError()
    return token


def _public_key(
    pem: str, algorithm: Algorithm
) -> ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey:
    """Load the issuer's public key and check that it fits the pinned algorithm."""
    key = load_pem_public_key(pem.encode())
    if algorithm == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return key
    elif algorithm == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise ValueError(
        f"WORK_ORDER_PUBLIC_KEY is not a key for {algorithm}"
        " (ES256 needs a P-256 key, EdDSA an Ed25519 key)."
    )


class WorkOrderVerifier:
    """Checks work orders addressed to one service (the token's audience)."""

    def __init__(self, settings: WorkOrderSettings, *, audience: str) -> None:
        self._key = _public_key(settings.work_order_public_key, settings.work_order_algorithm)
        self._algorithms = [settings.work_order_algorithm]  # pinned: the header cannot pick
        self._issuer = settings.work_order_issuer
        self._audience = audience
        self._leeway = settings.work_order_leeway_seconds
        self._max_lifetime = settings.work_order_max_lifetime_seconds

    def verify(
        self, authorization: str | None, operations: Collection[Operation], file_id: str | None
    ) -> WorkOrder:
        """Return the work order if it allows one of ``operations`` on ``file_id``.

        ``file_id`` is ``None`` where the resource's file is known only after the token is
        checked (an attempt); the caller then compares :attr:`WorkOrder.file_id` itself.
        """
        token = bearer_token(authorization)
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "op", "file_id"]},
            )
        except jwt.ExpiredSignatureError:
            raise WorkOrderRefusedError("it has expired") from None
        except jwt.InvalidSignatureError:
            raise WorkOrderRefusedError("its signature is not the issuer's") from None
        except jwt.InvalidAudienceError:
            raise WorkOrderRefusedError("it is meant for another service") from None
        except jwt.InvalidIssuerError:
            raise WorkOrderRefusedError("it is not from the configured issuer") from None
        except jwt.InvalidAlgorithmError:
            raise WorkOrderRefusedError("it is not signed with the pinned algorithm") from None
        except jwt.PyJWTError:
            raise WorkOrderRefusedError("it is malformed or misses a claim") from None
        exp, iat = claims["exp"], claims["iat"]
        if not isinstance(exp, int) or not isinstance(iat, int):
            raise WorkOrderRefusedError("its times are not whole seconds")
        if exp - iat > self._max_lifetime:
            raise WorkOrderRefusedError("it lives longer than this service allows")
        try:
            operation = Operation(claims["op"])
        except ValueError:
            raise WorkOrderRefusedError("it names an unknown operation") from None
        if operation not in operations:
            raise WorkOrderRefusedError("it is for another operation")
        if not isinstance(claims["file_id"], str) or (
            file_id is not None and claims["file_id"] != file_id
        ):
            raise WorkOrderRefusedError("it is for another file")
        return WorkOrder(operation=operation, file_id=claims["file_id"])

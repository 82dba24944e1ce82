"""The issuing side of work orders: what the component that decides access runs.

Services never import this; they hold only the public key (``common.work_orders``). The
demo and the tests use it as the deployment's access decision.
"""

from __future__ import annotations

import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from pydantic import SecretStr

from .work_orders import Algorithm, Operation

__all__ = ["KeyPair", "WorkOrderIssuer", "generate_key_pair"]


class KeyPair:
    """A private key (secret) and its public key, both PEM."""

    def __init__(self, private_pem: SecretStr, public_pem: str) -> None:
        self.private_pem = private_pem
        self.public_pem = public_pem

    def __repr__(self) -> str:
        return "KeyPair(private_pem=SecretStr('**********'), public_pem=...)"


def generate_key_pair(algorithm: Algorithm = "ES256") -> KeyPair:
    """Make a fresh key pair for ``algorithm`` (P-256 for ES256, Ed25519 for EdDSA)."""
    private = (
        ec.generate_private_key(ec.SECP256R1())
        if algorithm == "ES256"
        else ed25519.Ed25519PrivateKey.generate()
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(SecretStr(private_pem), public_pem)


class WorkOrderIssuer:
    """Signs work orders: one operation on one file at one service, for ``lifetime`` seconds."""

    def __init__(
        self,
        private_pem: SecretStr,
        *,
        issuer: str = "file-services-access",
        algorithm: Algorithm = "ES256",
        lifetime_seconds: int = 60,
    ) -> None:
        self._private_pem = private_pem
        self._issuer = issuer
        self._algorithm = algorithm
        self._lifetime = lifetime_seconds

    def __repr__(self) -> str:
        return f"WorkOrderIssuer(issuer={self._issuer!r}, algorithm={self._algorithm!r})"

    def issue(self, service: str, operation: Operation, file_id: str) -> str:
        """Return a token that lets its bearer do ``operation`` on ``file_id`` at ``service``."""
        now = int(time.time())
        claims = {
            "iss": self._issuer,
            "aud": service,
            "op": operation.value,
            "file_id": file_id,
            "iat": now,
            "exp": now + self._lifetime,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._private_pem.get_secret_value(), algorithm=self._algorithm)

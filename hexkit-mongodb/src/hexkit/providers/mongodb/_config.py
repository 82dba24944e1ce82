"""Settings of the MongoDB DAO provider."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["MongoDbConfig"]

_SCHEMES = ("mongodb://", "mongodb+srv://")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # the core's rule for DAO names


class MongoDbConfig(BaseSettings):
    """Where the MongoDB server is and how to talk to it.

    Read from the environment with the prefix ``HEXKIT_MONGODB_``:
    ``HEXKIT_MONGODB_MONGO_DSN``, ``HEXKIT_MONGODB_DB_NAME``,
    ``HEXKIT_MONGODB_MONGO_TIMEOUT``, ``HEXKIT_MONGODB_MONGO_DRIVER`` and
    ``HEXKIT_MONGODB_BSON_DATE_COLLECTIONS`` (a JSON list, ``'["sessions"]'``).
    The DSN is a secret (it usually holds a password): it never appears in
    ``repr``, logs or error messages, not even when it fails validation.
    """

    model_config = SettingsConfigDict(
        env_prefix="HEXKIT_MONGODB_",
        # A DSN that fails validation must not be echoed in the error text.
        hide_input_in_errors=True,
        frozen=True,
    )

    mongo_dsn: SecretStr = Field(
        ...,
        description="Connection string, mongodb:// or mongodb+srv://, credentials included.",
        examples=["mongodb://user:password@localhost:27017/?replicaSet=rs0"],
    )
    db_name: str = Field(
        ..., min_length=1, description="The database that holds the DAO collections."
    )
    mongo_timeout: int | None = Field(
        default=None,
        gt=0,
        description=(
            "Deadline in seconds of each DAO call's driver operation (PyMongo's"
            " client-side operation timeout, timeoutMS, which covers server selection,"
            " connecting, retries and socket reads); a server that does not answer in"
            " time raises DbTimeoutError. None keeps the driver's defaults (30 s server"
            " selection, no deadline)."
        ),
    )
    mongo_driver: Literal["pymongo", "motor"] = Field(
        default="pymongo",
        description=(
            "'pymongo' uses PyMongo's native asyncio AsyncMongoClient; 'motor' uses the"
            " deprecated Motor driver (install hexkit-mongodb[motor]) for services"
            " still migrating off it."
        ),
    )

    bson_date_collections: frozenset[str] = Field(
        default=frozenset(),
        description=(
            "Names of the DAOs (collections) that store datetimes as BSON dates instead"
            " of ISO-8601 text: for TTL indexes and date queries from other tools. BSON"
            " dates hold milliseconds, so these DAOs refuse datetimes with a"
            " sub-millisecond part, and naive datetimes."
        ),
        examples=[["sessions", "events"]],
    )

    cursor_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs find_all page cursors (at least 16 characters). None"
        " signs with a random key made once per process: cursors then fail after a restart"
        " and on other instances; set the same secret on every instance behind one"
        " load balancer.",
    )

    @field_validator("cursor_secret")
    @classmethod
    def _check_cursor_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse a guessable secret, without echoing it."""
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError(
                "cursor_secret must have at least 16 characters; generate one, e.g. with"
                " python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @field_validator("bson_date_collections")
    @classmethod
    def _check_collection_names(cls, value: frozenset[str]) -> frozenset[str]:
        """Reject names that no DAO can have, so a typo does not pass unnoticed."""
        for name in value:
            if not _NAME.fullmatch(name):
                raise ValueError(
                    f"bson_date_collections holds {name!r}, which is not a DAO name (1 to 64"
                    " letters, digits, '_' or '-'); list the names given to get_dao()."
                )
        return value

    @field_validator("mongo_dsn")
    @classmethod
    def _check_scheme(cls, value: SecretStr) -> SecretStr:
        """Reject DSNs that the MongoDB drivers cannot use, without echoing them."""
        if not value.get_secret_value().startswith(_SCHEMES):
            raise ValueError(
                "mongo_dsn must start with 'mongodb://' or 'mongodb+srv://';"
                " fix the connection string (its value is not shown because it is secret)"
            )
        return value

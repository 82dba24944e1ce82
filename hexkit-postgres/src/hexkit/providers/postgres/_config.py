"""Settings of the PostgreSQL DAO provider (environment prefix ``HEXKIT_POSTGRES_``).

Every field reads from ``HEXKIT_POSTGRES_`` + its upper-cased name, e.g.
``HEXKIT_POSTGRES_POSTGRES_DSN`` or ``HEXKIT_POSTGRES_POSTGRES_TIMEOUT``.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PostgresConfig"]

_SCHEMES = ("postgresql://", "postgres://")
_MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1


class PostgresConfig(BaseSettings):
    """Where the PostgreSQL server is and how the provider's connection pool behaves.

    The DSN is a secret (it usually holds a password): it never appears in ``repr``,
    logs or error messages, not even when it fails validation.
    """

    model_config = SettingsConfigDict(
        env_prefix="HEXKIT_POSTGRES_",
        hide_input_in_errors=True,  # a DSN that fails validation must not be echoed
        frozen=True,
        extra="forbid",
    )

    postgres_dsn: SecretStr = Field(
        ...,
        description="libpq connection URI, credentials included; a Unix socket directory"
        " goes into the host query parameter.",
        examples=[
            "postgresql://app:secret@db.example:5432/app?sslmode=require",
            "postgresql://postgres:@/postgres?host=/run/postgresql",
        ],
    )
    postgres_schema: str = Field(
        default="public",
        description="Schema that holds the DAO tables; created on first get_dao if missing.",
    )
    postgres_pool_min_size: int = Field(
        default=1, ge=0, le=1000, description="Connections the pool keeps open when idle."
    )
    postgres_pool_max_size: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Most connections the pool opens; a call waits for a free one within"
        " postgres_timeout, and a transaction or an unfinished find_all holds one.",
    )
    postgres_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds one DAO call may take in total (waiting for a pooled connection,"
        " connecting and the statements); past it the call raises DbTimeoutError.",
    )
    postgres_statement_cache_size: int = Field(
        default=100,
        ge=0,
        description="Prepared statements cached per connection; 0 turns caching off, as"
        " PgBouncer in transaction-pooling mode needs.",
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

    @field_validator("postgres_dsn")
    @classmethod
    def _check_scheme(cls, value: SecretStr) -> SecretStr:
        """Reject DSNs asyncpg cannot use, without echoing them."""
        if not value.get_secret_value().startswith(_SCHEMES):
            raise ValueError(
                "postgres_dsn must be a URI starting with 'postgresql://' or 'postgres://'"
                " (libpq's key=value form is not supported); fix the connection string"
                " (its value is not shown because it is secret)"
            )
        return value

    @field_validator("postgres_schema")
    @classmethod
    def _check_schema(cls, value: str) -> str:
        """Accept names PostgreSQL can store as one identifier."""
        if not value or "\x00" in value or len(value.encode()) > _MAX_IDENTIFIER_BYTES:
            raise ValueError(
                f"postgres_schema {value!r} must be 1 to 63 bytes without NUL characters;"
                " choose a shorter schema name"
            )
        if value.startswith("pg_") or value == "information_schema":
            raise ValueError(
                f"postgres_schema {value!r} is a PostgreSQL system schema (names starting with"
                " 'pg_' and 'information_schema' belong to the server's catalogs, so DAO"
                " tables must not go there); choose a schema of your own, such as 'public'"
                " or your service's name"
            )
        return value

    @model_validator(mode="after")
    def _check_pool_sizes(self) -> Self:
        """Refuse a pool that would keep more idle connections than it may open."""
        if self.postgres_pool_min_size > self.postgres_pool_max_size:
            raise ValueError(
                f"postgres_pool_min_size ({self.postgres_pool_min_size}) exceeds"
                f" postgres_pool_max_size ({self.postgres_pool_max_size}); lower the one"
                " or raise the other"
            )
        return self

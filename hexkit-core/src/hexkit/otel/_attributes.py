"""The attributes that describe a provider on its spans, read from its name and config.

Only what the OpenTelemetry semantic conventions name and no secret: a server's host and
port are parsed out of a DSN and nothing else of it leaves this module (no user, no
password, no database path, no query).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import SecretStr

from ._spans import Attributes

__all__ = ["db_system", "objstorage_system", "server_attributes"]

# Registry names of first-party providers -> db.system.name; any other keeps its name.
_DB_SYSTEMS = {"postgres": "postgresql", "mongodb": "mongodb", "memory": "memory"}
# The config field that says where each first-party provider's server is.
_ADDRESS_FIELDS = {"postgres": "postgres_dsn", "mongodb": "mongo_dsn", "s3": "s3_endpoint_url"}


def db_system(provider: str) -> str:
    """Return ``db.system.name`` for the DAO provider registered as ``provider``."""
    return _DB_SYSTEMS.get(provider, provider)


def objstorage_system(provider: str) -> dict[str, str]:
    """Return ``rpc.system`` and ``rpc.service`` for an object-storage provider.

    The S3 provider calls the AWS API; any other is named by its registry name and
    ``ObjectStorage`` (the memory provider calls nothing remote).
    """
    if provider == "s3":
        return {"rpc.system": "aws-api", "rpc.service": "S3"}
    return {"rpc.system": provider, "rpc.service": "ObjectStorage"}


def server_attributes(provider: str, config: Any) -> Attributes:
    """Return ``server.address``/``server.port`` (and the S3 region) from ``config``.

    Unknown providers, several hosts in one DSN and unparsable values give nothing.
    """
    found: dict[str, str | int] = {}
    if provider == "s3" and isinstance(getattr(config, "s3_region", None), str):
        found["cloud.region"] = config.s3_region
    field = _ADDRESS_FIELDS.get(provider)
    value = getattr(config, field, None) if field is not None else None
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        return found
    try:
        parts = urlsplit(value)
        netloc = parts.netloc.rpartition("@")[2]
        if "," in netloc:  # a replica set or several PostgreSQL hosts: no single server
            return found
        host = parts.hostname or parse_qs(parts.query).get("host", [None])[0]
        port = parts.port
    except ValueError:
        return found
    if host:
        found["server.address"] = host
    if port is not None:
        found["server.port"] = port
    return found

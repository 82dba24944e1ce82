"""The S3 provider of hexkit's object storage protocol.

``S3ObjectStorage`` talks to AWS S3 or any S3-compatible server (MinIO, LocalStack,
moto) through boto3; build it with ``S3ObjectStorage.construct(config=S3Config(...))`` or
by name with ``hexkit.registry.open_provider("objstorage", "s3", config=...)``. Test
fixtures live in :mod:`hexkit.providers.s3.testutils`.

``S3ObjectStorage`` is imported on first access: the registry imports this package to
read the plugin module, and listing providers must not pay for (or break on) boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._config import S3Config

if TYPE_CHECKING:
    from ._storage import S3ObjectStorage

__all__ = ["S3Config", "S3ObjectStorage"]


def __getattr__(name: str) -> Any:
    if name == "S3ObjectStorage":
        from ._storage import S3ObjectStorage  # noqa: PLC0415 - the lazy import itself

        return S3ObjectStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "S3ObjectStorage"])

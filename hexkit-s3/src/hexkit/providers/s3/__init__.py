"""The S3 provider of hexkit's object storage protocol.

``S3ObjectStorage`` talks to AWS S3 or any S3-compatible server (MinIO, LocalStack,
moto) through boto3; build it with ``S3ObjectStorage.construct(config=S3Config(...))`` or
by name with ``hexkit.registry.open_provider("objstorage", "s3", config=...)``. Test
fixtures live in :mod:`hexkit.providers.s3.testutils`.

The public names load on first access: the registry imports this package to read the
plugin module, and listing providers must not pay for (or break on) boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hexkit.registry import lazy_exports

if TYPE_CHECKING:
    from ._config import S3Config
    from ._errors import S3CredentialsError
    from ._objstorage import S3ObjectStorage

__all__ = ["S3Config", "S3CredentialsError", "S3ObjectStorage"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "S3Config": "._config",
        "S3CredentialsError": "._errors",
        "S3ObjectStorage": "._objstorage",
    },
)

"""The S3 provider of hexkit's object storage protocol.

``S3ObjectStorage`` talks to AWS S3 or any S3-compatible server (MinIO, LocalStack,
moto) through boto3; build it with ``S3ObjectStorage.construct(config=S3Config(...))`` or
by name with ``hexkit.registry.open_provider("objstorage", "s3", config=...)``. Test
fixtures live in :mod:`hexkit.providers.s3.testutils`.
"""

from ._config import S3Config
from ._storage import S3ObjectStorage

__all__ = ["S3Config", "S3ObjectStorage"]

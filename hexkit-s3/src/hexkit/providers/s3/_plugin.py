"""Announces this distribution's providers to the hexkit registry.

Kept free of boto3 imports: listing providers must stay cheap and must work even when
the provider's own dependencies are broken (the registry then reports it as such).
"""

from __future__ import annotations

from hexkit.registry import ProviderSpec, hookimpl

__all__ = ["hexkit_providers"]


@hookimpl
def hexkit_providers() -> list[ProviderSpec]:
    """Return the S3 object storage."""
    return [
        ProviderSpec(
            kind="objstorage",
            name="s3",
            target="hexkit.providers.s3:S3ObjectStorage",
            description="Object storage on AWS S3 or an S3-compatible server, via boto3.",
        )
    ]

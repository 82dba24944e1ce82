"""The s3 provider for hexkit (arrives in the next release; nothing is exported yet)."""

__all__: list[str] = []

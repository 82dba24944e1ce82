"""Wiring helpers the three services share; no core code lives here."""

from .providers import ProviderSettings, ensure_bucket, open_providers

__all__ = ["ProviderSettings", "ensure_bucket", "open_providers"]

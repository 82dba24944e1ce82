"""What the three services share.

``outbox`` is core-level (it imports only ``hexkit.protocols``, pydantic and the standard
library); ``relay``, ``http`` and ``providers`` are adapters and wiring. This package
re-exports nothing, so importing ``outbox`` from a core loads none of the others.
"""

"""The download controller's core: depends on hexkit.protocols and its own models only."""

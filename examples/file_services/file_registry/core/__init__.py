"""The file registry's core: depends on hexkit.protocols and its own models only."""

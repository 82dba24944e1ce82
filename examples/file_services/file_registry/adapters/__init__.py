"""Adapters of the file registry: REST inbound, HTTP to the download controller outbound."""

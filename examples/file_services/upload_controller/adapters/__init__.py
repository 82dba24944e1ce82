"""Adapters of the upload controller: REST inbound, HTTP to the file registry outbound."""

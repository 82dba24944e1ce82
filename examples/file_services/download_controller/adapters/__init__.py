"""Adapters of the download controller: the REST API."""

"""The ports of hexkit's persistence layer.

Application cores depend on these protocols only; providers implement them:

- :mod:`hexkit.protocols.dao`: a generic CRUD data access object over pydantic models.
- :mod:`hexkit.protocols.objstorage`: an S3-like object storage.
"""

__all__: list[str] = []

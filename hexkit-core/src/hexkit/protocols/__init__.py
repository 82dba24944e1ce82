"""The ports of hexkit's persistence layer.

Application cores depend on these protocols only; providers implement them:

- :mod:`hexkit.protocols.dao`: a generic CRUD data access object over pydantic models.
- :mod:`hexkit.protocols.objstorage`: an S3-like object storage.

:func:`shorten` and :func:`clip` bound what an error message quotes, for providers' own
errors as for the protocols'.
"""

from ._text import MAX_QUOTED, clip, shorten

__all__ = ["MAX_QUOTED", "clip", "shorten"]

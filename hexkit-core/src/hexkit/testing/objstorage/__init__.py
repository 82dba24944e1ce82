"""The object storage conformance kit: :class:`ObjectStorageConformance`.

A provider's test suite subclasses it and supplies the storage fixtures; its tests
cover buckets, objects, multipart uploads and presigned URLs.
"""

from ._kit import ObjectStorageConformance

__all__ = ["ObjectStorageConformance"]

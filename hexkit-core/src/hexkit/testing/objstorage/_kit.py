"""The object storage conformance kit that every storage provider's suite subclasses."""

from __future__ import annotations

from ._buckets import BucketTests
from ._lifecycle import LifecycleTests
from ._multipart import MultipartTests
from ._objects import ObjectTests
from ._urls import PresignedUrlTests

__all__ = ["ObjectStorageConformance"]


class ObjectStorageConformance(
    BucketTests, ObjectTests, PresignedUrlTests, MultipartTests, LifecycleTests
):
    """Every object storage protocol rule as pytest tests; subclass it as ``TestXyz``.

    Provide function-scoped fixtures ``storage`` (a fresh
    :class:`~hexkit.protocols.objstorage.ObjectStorageProtocol`) and ``transfer`` (a
    :class:`~hexkit.protocols.objstorage.PresignedTransfer` performing the client side
    of its URLs: real HTTP for real providers). Adjust the capability flags
    ``min_part_size``, ``enforces_max_upload_size`` and ``enforces_part_md5`` to the backend.
    The lifecycle tests open and close a second storage with ``open_storage()``, which by
    default calls ``type(storage).construct(config=storage.config)``.
    """

"""The migration conformance kit, for providers that support ``hexkit.migrations``.

:class:`MigrationConformance` pins the runner's rules against a provider's store;
:class:`MigrationProcessTests` SIGKILLs a real runner process mid-migration and reruns.
The kit's data is public for tests of the runner itself: the ``ITEMS`` collection of
:class:`ItemV1` items (:func:`item` builds one) and :func:`migrations`, the kit's
migrations from them to :class:`ItemV2` and beyond.
"""

from ._base import ITEMS, ItemV1, ItemV2, item, migrations
from ._kit import MigrationConformance
from ._process import MigrationProcessTests

__all__ = [
    "ITEMS",
    "ItemV1",
    "ItemV2",
    "MigrationConformance",
    "MigrationProcessTests",
    "item",
    "migrations",
]

"""The provider conformance kit (install with ``hexkit[testing]``).

Provider test suites subclass :class:`DaoConformance` or :class:`ObjectStorageConformance`
and supply fixtures; every protocol rule then runs against the provider.
"""

from ._dao_kit import DaoConformance
from ._dao_models import Address, Color, Everything, Level, make_everything
from ._obj_kit import ObjectStorageConformance

__all__ = [
    "Address",
    "Color",
    "DaoConformance",
    "Everything",
    "Level",
    "ObjectStorageConformance",
    "make_everything",
]

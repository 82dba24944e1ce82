"""The DAO conformance kit: :class:`DaoConformance` and the models its tests store.

A provider's test suite subclasses :class:`DaoConformance` and supplies the
``dao_factory`` fixture; ``Everything`` (every supported field type, built by
:func:`make_everything`) is the model most of its tests store.
"""

from ._kit import DaoConformance
from ._models import Address, Color, Everything, Level, make_everything

__all__ = ["Address", "Color", "DaoConformance", "Everything", "Level", "make_everything"]

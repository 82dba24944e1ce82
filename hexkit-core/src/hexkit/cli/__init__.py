"""The ``hexkit`` console script: ``hexkit providers`` and ``hexkit migrate``.

It sits above the registry and ``hexkit.migrations`` and uses only their public names;
neither of them imports it. ``python -m hexkit.cli`` runs it too.
"""

from ._main import main

__all__ = ["main"]

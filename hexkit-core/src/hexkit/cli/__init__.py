"""The ``hexkit`` console script: ``hexkit providers``, ``hexkit migrate`` and ``hexkit dev``.

It sits above the registry and ``hexkit.migrations`` and uses only their public names;
neither of them imports it. ``hexkit dev`` finds the plugins' local servers through the
entry point group ``hexkit.dev``, never by importing a provider. ``python -m hexkit.cli``
runs it too.
"""

from ._main import main

__all__ = ["main"]

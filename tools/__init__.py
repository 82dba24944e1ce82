"""The logic behind the nox sessions, one job per module; ``noxfile.py`` only calls it.

``distributions`` is the table of our distributions; ``index`` serves and tests the package
index that ``simple_index`` builds; ``compat`` runs a distribution's tests against the cores
it claims; ``release`` bumps and tags a release and ``release_steps`` is the session around
it. Scripts run from the repository root as ``python -m tools.<module>``. Tests: ``tests/``.
"""

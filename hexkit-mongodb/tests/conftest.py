"""Fixtures of the hexkit-mongodb tests: the provider's own pytest plugin.

Imported by name rather than with ``pytest_plugins``, which pytest allows only in
the rootdir's conftest; applications enable the plugin with ``pytest_plugins``.
"""

from hexkit.providers.mongodb.testutils import (  # noqa: F401 - fixtures used by name
    mongodb,
    mongodb_driver,
    mongodb_server,
)

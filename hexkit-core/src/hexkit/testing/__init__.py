"""The provider conformance kit (install with ``hexkit[testing]``).

Provider test suites subclass :class:`DaoConformance` or :class:`ObjectStorageConformance`
and supply fixtures; every protocol rule then runs against the provider.
:class:`MigrationConformance` pins ``hexkit.migrations`` for providers that support it;
:class:`MigrationProcessTests` SIGKILLs a real runner process mid-migration and reruns.
:func:`check_plugin_module` checks that a plugin module imports nothing heavy;
:func:`free_port` and :func:`docker_available` help providers' test utilities start servers.

The kits live in sub-packages by concern, whose public names may be imported too:
``hexkit.testing.dao``, ``hexkit.testing.objstorage`` and ``hexkit.testing.migrations``.
"""

from ._plugins import check_plugin_module
from ._servers import docker_available, free_port
from .dao import Address, Color, DaoConformance, Everything, Level, make_everything
from .migrations import MigrationConformance, MigrationProcessTests
from .objstorage import ObjectStorageConformance

__all__ = [
    "Address",
    "Color",
    "DaoConformance",
    "Everything",
    "Level",
    "MigrationConformance",
    "MigrationProcessTests",
    "ObjectStorageConformance",
    "check_plugin_module",
    "docker_available",
    "free_port",
    "make_everything",
]

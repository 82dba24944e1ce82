"""The provider conformance kit (install with ``hexkit[testing]``).

Provider test suites subclass :class:`DaoConformance` or :class:`ObjectStorageConformance`
and supply fixtures; every protocol rule then runs against the provider.
:class:`MigrationConformance` pins ``hexkit.migrations`` for providers that support it;
:class:`MigrationProcessTests` SIGKILLs a real runner process mid-migration and reruns.
:func:`check_plugin_module` checks that a plugin module imports nothing heavy;
:func:`free_port` and :func:`docker_available` help providers' test utilities start servers.
"""

from ._dao_kit import DaoConformance
from ._dao_models import Address, Color, Everything, Level, make_everything
from ._mig_kit import MigrationConformance
from ._mig_process import MigrationProcessTests
from ._obj_kit import ObjectStorageConformance
from ._plugins import check_plugin_module
from ._servers import docker_available, free_port

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

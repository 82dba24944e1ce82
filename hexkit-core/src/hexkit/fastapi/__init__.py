"""FastAPI integration: providers for an application's lifespan, dependencies, error handlers.

Install with the ``fastapi`` extra. :func:`hexkit_lifespan` opens the providers named in
:class:`ProviderSettings` through :mod:`hexkit.registry` and closes them on shutdown;
:class:`DaoDependency`, :data:`DaoFactoryDep` and :data:`ObjectStorageDep` hand them to
endpoints; :func:`add_problem_handlers` answers the protocols' errors with RFC 9457
``application/problem+json`` bodies, by the status table :data:`ERROR_STATUSES`.
"""

try:
    import fastapi as _fastapi  # noqa: F401 - only to fail early, with the install hint
except ModuleNotFoundError as _missing:  # pragma: no cover - tested in a subprocess
    raise ModuleNotFoundError(
        "hexkit.fastapi needs FastAPI; install the extra: pip install --index-url"
        ' <your hexkit index>/simple "hexkit[fastapi]"',
        name=_missing.name,
    ) from None

from ._depends import (
    DaoDependency,
    DaoFactoryDep,
    ObjectStorageDep,
    get_dao_factory,
    get_object_storage,
    get_providers,
)
from ._lifespan import Lifespan, hexkit_lifespan, open_providers
from ._problems import (
    MAX_VALUE_CHARS,
    PROBLEM_MEDIA_TYPE,
    ProblemResponse,
    add_problem_handlers,
    problem_detail,
    problem_response,
)
from ._settings import ProviderSettings
from ._state import Providers, providers_of
from ._statuses import ERROR_ROOTS, ERROR_STATUSES, status_of

__all__ = [
    "ERROR_ROOTS",
    "ERROR_STATUSES",
    "MAX_VALUE_CHARS",
    "PROBLEM_MEDIA_TYPE",
    "DaoDependency",
    "DaoFactoryDep",
    "Lifespan",
    "ObjectStorageDep",
    "ProblemResponse",
    "ProviderSettings",
    "Providers",
    "add_problem_handlers",
    "get_dao_factory",
    "get_object_storage",
    "get_providers",
    "hexkit_lifespan",
    "open_providers",
    "problem_detail",
    "problem_response",
    "providers_of",
    "status_of",
]

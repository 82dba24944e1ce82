"""The providers an application opened, kept on ``app.state`` while its lifespan runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import State

from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol

__all__ = ["Providers", "providers_of"]

_KEY = "hexkit_providers"


@dataclass(frozen=True)
class Providers:
    """The open providers (``None`` for a kind not configured) and the DAOs built at startup.

    ``daos`` is keyed by the :class:`~hexkit.fastapi.DaoDependency` that declared each DAO.
    """

    dao_factory: DaoFactoryProtocol | None
    object_storage: ObjectStorageProtocol | None
    daos: dict[object, Any] = field(default_factory=dict)

    def require_dao_factory(self) -> DaoFactoryProtocol:
        """Return the DAO factory, or say how to configure one."""
        if self.dao_factory is None:
            raise RuntimeError(
                "No DAO provider is open: set ProviderSettings.dao_provider (DAO_PROVIDER)."
            )
        return self.dao_factory

    def require_object_storage(self) -> ObjectStorageProtocol:
        """Return the object storage, or say how to configure one."""
        if self.object_storage is None:
            raise RuntimeError(
                "No object storage provider is open: set"
                " ProviderSettings.objstorage_provider (OBJSTORAGE_PROVIDER)."
            )
        return self.object_storage


def attach(state: State, providers: Providers | None) -> None:
    """Keep ``providers`` on an application's state (``None`` removes them)."""
    setattr(state, _KEY, providers)


def providers_of(state: State) -> Providers:
    """Return the providers kept on an application's state, or say why there are none."""
    providers: Providers | None = getattr(state, _KEY, None)
    if providers is None:
        raise RuntimeError(
            "hexkit providers are not open: pass lifespan=hexkit_lifespan(...) to FastAPI (or"
            " enter open_providers(app, ...) in your lifespan), and serve the app through a"
            " server or test client that runs the lifespan."
        )
    return providers

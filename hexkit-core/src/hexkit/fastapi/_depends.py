"""FastAPI dependencies that hand endpoints the providers and DAOs opened at startup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Request
from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol

from ._state import Providers, providers_of

__all__ = [
    "DaoDependency",
    "DaoFactoryDep",
    "ObjectStorageDep",
    "get_dao_factory",
    "get_object_storage",
    "get_providers",
]

T = TypeVar("T")


async def get_providers(request: Request) -> Providers:
    """Return the providers the application's lifespan opened."""
    return providers_of(request.app.state)


async def get_dao_factory(request: Request) -> DaoFactoryProtocol:
    """Return the open DAO factory (for transactions, or DAOs built per request)."""
    return providers_of(request.app.state).require_dao_factory()


async def get_object_storage(request: Request) -> ObjectStorageProtocol:
    """Return the open object storage."""
    return providers_of(request.app.state).require_object_storage()


DaoFactoryDep = Annotated[DaoFactoryProtocol, Depends(get_dao_factory)]
ObjectStorageDep = Annotated[ObjectStorageProtocol, Depends(get_object_storage)]


class DaoDependency(Generic[T]):
    """A DAO built once at startup and handed to endpoints through ``Depends``.

    ``get_dao`` may create tables and indexes, so it runs in the lifespan, not per
    request: list the dependency in ``hexkit_lifespan(settings, daos=[...])``::

        ITEMS = DaoDependency(
            lambda factory: factory.get_dao(name="items", dto_model=Item, id_field="item_id")
        )

        @app.get("/items/{item_id}")
        async def get_item(item_id: str, items: Annotated[Dao[Item], Depends(ITEMS)]) -> Item:
            return await items.get_by_id(item_id)
    """

    def __init__(self, build: Callable[[DaoFactoryProtocol], Awaitable[T]]) -> None:
        self._build = build

    async def build(self, factory: DaoFactoryProtocol) -> T:
        """Build the DAO with ``factory`` (the lifespan calls this once)."""
        return await self._build(factory)

    async def __call__(self, request: Request) -> T:
        """Return the DAO built at startup."""
        daos = providers_of(request.app.state).daos
        if self not in daos:
            raise RuntimeError(
                "This DAO was not built at startup: list its DaoDependency in"
                " hexkit_lifespan(settings, daos=[...]) or open_providers(..., daos=[...])."
            )
        dao: T = daos[self]
        return dao

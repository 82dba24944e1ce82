"""Open the providers named in settings for an application's lifespan; close them after."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.protocols.objstorage import ObjectStorageProtocol
from hexkit.registry import open_provider

from ._depends import DaoDependency
from ._settings import ProviderSettings
from ._state import Providers, attach

__all__ = ["Lifespan", "hexkit_lifespan", "open_providers"]

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
Startup = Callable[[Providers], Awaitable[None]]


@asynccontextmanager
async def open_providers(
    app: FastAPI,
    settings: ProviderSettings,
    *,
    daos: Iterable[DaoDependency[Any]] = (),
) -> AsyncIterator[Providers]:
    """Open the providers ``settings`` name, build ``daos``, keep them on ``app.state``.

    On exit (the application's shutdown) the providers are closed, in reverse order, and
    taken off ``app.state``. Use it inside a lifespan of your own, or use
    :func:`hexkit_lifespan`.
    """
    async with AsyncExitStack() as stack:
        factory: DaoFactoryProtocol | None = None
        storage: ObjectStorageProtocol | None = None
        if settings.dao_provider is not None:
            factory = await stack.enter_async_context(
                open_provider("dao", settings.dao_provider, config=settings.dao_config or None)
            )
        if settings.objstorage_provider is not None:
            storage = await stack.enter_async_context(
                open_provider(
                    "objstorage",
                    settings.objstorage_provider,
                    config=settings.objstorage_config or None,
                )
            )
        providers = Providers(dao_factory=factory, object_storage=storage)
        for dependency in daos:
            providers.daos[dependency] = await dependency.build(providers.require_dao_factory())
        attach(app.state, providers)
        try:
            yield providers
        finally:
            attach(app.state, None)


def hexkit_lifespan(
    settings: ProviderSettings,
    *,
    daos: Iterable[DaoDependency[Any]] = (),
    startup: Startup | None = None,
) -> Lifespan:
    """Return a FastAPI ``lifespan`` that runs :func:`open_providers`.

    ``startup`` runs once the providers are open (create a bucket, run migrations); an
    error in it stops the application from starting, and the providers are closed.
    """
    declared = tuple(daos)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_providers(app, settings, daos=declared) as providers:
            if startup is not None:
                await startup(providers)
            yield

    return lifespan

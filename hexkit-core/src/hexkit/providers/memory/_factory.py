"""The memory DAO factory: collections in dicts owned by one factory, and its transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

from pydantic_settings import BaseSettings

from hexkit.migrations import MigrationStore
from hexkit.protocols.dao import (
    CursorSigner,
    Dao,
    DaoFactoryProtocol,
    DaoSpec,
    DaoSurrogateId,
    TransactionError,
)

from ._config import MemoryDaoConfig
from ._dao import MemoryDao, MemoryDaoSurrogateId
from ._migrations import MemoryMigrationStore, StateHolder
from ._state import Collection, Lifetime, Transaction

__all__ = ["MemoryDaoFactory"]


class MemoryDaoFactory(DaoFactoryProtocol):
    """DAOs over dicts owned by this factory; no state is shared between factories."""

    config_model: ClassVar[type[BaseSettings]] = MemoryDaoConfig

    def __init__(self, config: MemoryDaoConfig | None = None) -> None:
        self._config = config or MemoryDaoConfig()
        self._lifetime = Lifetime(type(self).__name__)
        self._signer = CursorSigner(self._config.cursor_secret)
        self._collections: dict[str, Collection] = {}
        self._migrations = StateHolder()
        self._transaction: ContextVar[Transaction | None] = ContextVar(
            f"hexkit-memory-transaction-{id(self)}", default=None
        )

    @classmethod
    @asynccontextmanager
    async def construct(cls, *, config: MemoryDaoConfig) -> AsyncIterator[MemoryDaoFactory]:
        """Yield a fresh, empty factory; its DAOs raise ``ProviderClosedError`` after exit."""
        factory = cls(config)
        try:
            yield factory
        finally:
            factory._lifetime.closed = True

    @property
    def config(self) -> MemoryDaoConfig:
        """The settings this factory was built with."""
        return self._config

    def migration_store(self) -> MigrationStore:
        """Return the store through which ``hexkit.migrations`` migrates these collections."""
        return MemoryMigrationStore(self._collections, self._migrations)

    async def _get_dao(self, spec: DaoSpec[Any]) -> Dao[Any] | DaoSurrogateId[Any, Any]:
        # Annotated with the protocols, so mypy checks that both DAO classes implement them.
        self._lifetime.check()
        # A migrated DAO name is held by the physical collection the migration state names.
        physical = self._migrations.state.physical(spec.name)
        collection = self._collections.get(physical)
        if collection is None:
            collection = self._collections[physical] = Collection(physical, label=spec.name)
        collection.label = spec.name
        for index in spec.indexes:
            collection.add_index(index)
        if spec.dto_creation_model is not None:
            return MemoryDaoSurrogateId(
                self._transaction, spec, collection, self._lifetime, self._signer
            )
        return MemoryDao(self._transaction, spec, collection, self._lifetime, self._signer)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Hold this task's writes and apply them together on normal exit."""
        self._lifetime.check()
        if self._transaction.get() is not None:
            raise TransactionError(
                "A transaction is already active in this task; nested transactions are"
                " not supported, so run the inner operations in the outer block."
            )
        transaction = Transaction()
        token = self._transaction.set(transaction)
        try:
            yield
        finally:
            self._transaction.reset(token)
        self._lifetime.check()
        transaction.commit(self._collections)

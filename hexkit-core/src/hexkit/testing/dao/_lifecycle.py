"""Conformance tests: a closed factory's DAOs refuse every call with one clear error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from hexkit.protocols.dao import (
    DaoError,
    DaoFactoryProtocol,
    DaoUsageError,
    ProviderClosedError,
)

from ._base import DaoKitBase, unique_name
from ._models import Everything, UuidKeyed, UuidKeyedCreation, make_everything

__all__ = ["DaoLifecycleTests"]


class DaoLifecycleTests(DaoKitBase):
    """What DAOs, find results and transactions do once their factory has closed."""

    def open_dao_factory(
        self, dao_factory: DaoFactoryProtocol
    ) -> AbstractAsyncContextManager[DaoFactoryProtocol]:
        """Open another factory configured like ``dao_factory``, to close it in a test.

        The default is ``type(dao_factory).construct(config=dao_factory.config)``;
        override it if the provider is built another way.
        """
        config = getattr(dao_factory, "config", None)
        construct = getattr(type(dao_factory), "construct", None)
        if config is None or construct is None:
            pytest.fail(
                f"{type(dao_factory).__name__} has no config property or construct();"
                " override open_dao_factory() in the conformance test class."
            )
        opened: AbstractAsyncContextManager[DaoFactoryProtocol] = construct(config=config)
        return opened

    async def test_a_closed_factory_refuses_every_call(
        self, dao_factory: DaoFactoryProtocol
    ) -> None:
        name = unique_name()
        async with self.open_dao_factory(dao_factory) as factory:
            dao = await factory.get_dao(name=name, dto_model=Everything, id_field="id")
            surrogate = await factory.get_dao(
                name=unique_name(),
                dto_model=UuidKeyed,
                id_field="key",
                dto_creation_model=UuidKeyedCreation,
            )
            await dao.insert(make_everything("kept"))
            made_before = dao.find_all(mapping={})  # consumed after the close
            counted_before = dao.find_all(mapping={})

        async def in_transaction() -> None:
            async with factory.transaction():
                await dao.get_by_id("kept")

        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "get_by_id": lambda: dao.get_by_id("kept"),
            "insert": lambda: dao.insert(make_everything("new")),
            "update": lambda: dao.update(make_everything("kept", 2)),
            "upsert": lambda: dao.upsert(make_everything("kept", 3)),
            "delete": lambda: dao.delete("kept"),
            "find_one": lambda: dao.find_one(mapping={"id": "kept"}),
            "find_all": lambda: dao.find_all(mapping={}).to_list(),
            "find_all made before the close": made_before.to_list,
            "total_count": counted_before.total_count,
            "surrogate insert": lambda: surrogate.insert(UuidKeyedCreation(name="x")),
            "get_dao": lambda: factory.get_dao(name=name, dto_model=Everything, id_field="id"),
            "transaction": in_transaction,
        }
        for label, call in calls.items():
            with pytest.raises(ProviderClosedError) as info:
                await call()
            error = info.value
            assert isinstance(error, DaoUsageError), label
            assert isinstance(error, RuntimeError), label
            assert not isinstance(error, DaoError), label  # not "the server is down"
            assert "closed" in str(error), label

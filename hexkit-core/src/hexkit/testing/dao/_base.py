"""Shared pieces of the DAO conformance kit."""

from __future__ import annotations

import uuid
from typing import ClassVar

from hexkit.protocols.dao import Dao, DaoFactoryProtocol, Index

from .._deadline import KitDeadline
from ._models import Everything

__all__ = ["DaoKitBase", "unique_name"]


def unique_name(prefix: str = "kit") -> str:
    """Return a DAO name no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


class DaoKitBase(KitDeadline):
    """Fixtures and flags shared by the DAO conformance test groups.

    Subclasses provide a function-scoped ``dao_factory`` fixture yielding a fresh
    :class:`DaoFactoryProtocol`.
    """

    #: Set to False for providers whose backend cannot run transactions.
    supports_transactions: ClassVar[bool] = True

    @staticmethod
    async def everything_dao(
        dao_factory: DaoFactoryProtocol, indexes: list[Index] | None = None
    ) -> Dao[Everything]:
        """Return a DAO over a fresh collection of :class:`Everything`."""
        return await dao_factory.get_dao(
            name=unique_name(), dto_model=Everything, id_field="id", indexes=indexes
        )

"""The DAO conformance kit that every DAO provider's test suite subclasses."""

from __future__ import annotations

from ._dao_crud import DaoCrudTests
from ._dao_find import DaoFindTests
from ._dao_found import DaoFoundTests
from ._dao_indexes import DaoIndexTests
from ._dao_readback import DaoReadBackTests
from ._dao_rules import DaoRuleTests
from ._dao_surrogate import DaoSurrogateIdTests
from ._dao_transactions import DaoTransactionTests
from ._dao_values import DaoValueTests

__all__ = ["DaoConformance"]


class DaoConformance(
    DaoCrudTests,
    DaoSurrogateIdTests,
    DaoFindTests,
    DaoIndexTests,
    DaoTransactionTests,
    DaoValueTests,
    DaoRuleTests,
    DaoReadBackTests,
    DaoFoundTests,
):
    """Every DAO protocol rule as pytest tests; subclass it as ``TestXyz``.

    Provide a function-scoped (async) fixture ``dao_factory`` that yields a fresh
    :class:`~hexkit.protocols.dao.DaoFactoryProtocol`, and set
    ``supports_transactions = False`` if the backend cannot run transactions::

        class TestMyDao(DaoConformance):
            @pytest_asyncio.fixture
            async def dao_factory(self):
                async with MyDaoFactory.construct(config=...) as factory:
                    yield factory
    """

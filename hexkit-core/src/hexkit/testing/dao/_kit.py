"""The DAO conformance kit that every DAO provider's test suite subclasses."""

from __future__ import annotations

from ._bulk import DaoBulkTests
from ._crud import DaoCrudTests
from ._cursors import DaoCursorTests
from ._find import DaoFindTests
from ._found import DaoFoundTests
from ._indexes import DaoIndexTests
from ._lifecycle import DaoLifecycleTests
from ._readback import DaoReadBackTests
from ._rules import DaoRuleTests
from ._surrogate import DaoSurrogateIdTests
from ._transactions import DaoTransactionTests
from ._values import DaoValueTests
from ._versioned_bulk import DaoVersionedBulkTests
from ._versions import DaoVersionTests

__all__ = ["DaoConformance"]


class DaoConformance(
    DaoCrudTests,
    DaoSurrogateIdTests,
    DaoFindTests,
    DaoCursorTests,
    DaoIndexTests,
    DaoTransactionTests,
    DaoValueTests,
    DaoRuleTests,
    DaoLifecycleTests,
    DaoReadBackTests,
    DaoFoundTests,
    DaoBulkTests,
    DaoVersionTests,
    DaoVersionedBulkTests,
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

    The lifecycle tests open and close a second factory with ``open_dao_factory()``,
    which by default calls ``type(dao_factory).construct(config=dao_factory.config)``;
    the versioned-write races open four more over the same storage with
    ``open_shared_factory()`` (same default; a provider whose factories share nothing
    returns ``dao_factory``).
    """

"""The migration conformance kit that every provider supporting migrations subclasses."""

from __future__ import annotations

from ._safety import MigrationSafetyTests
from ._steps import MigrationStepTests

__all__ = ["MigrationConformance"]


class MigrationConformance(MigrationStepTests, MigrationSafetyTests):
    """Every rule of ``hexkit.migrations`` as pytest tests; subclass it as ``TestXyz``.

    Provide a function-scoped (async) fixture ``dao_factory`` that yields a factory with
    ``migration_store()`` over a fresh, empty database (the migration state is per
    database). Crash tests leave a lock behind that expires after ``crash_lock_ttl``
    seconds; raise it for a backend whose clock is coarse::

        class TestMyMigrations(MigrationConformance):
            @pytest_asyncio.fixture
            async def dao_factory(self):
                async with MyDaoFactory.construct(config=...) as factory:
                    yield factory
    """

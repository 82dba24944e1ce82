"""The state machines run the memory providers against themselves: a check of the machines."""

from __future__ import annotations

import pytest

from hexkit.providers.memory import MemoryDaoConfig, MemoryDaoFactory
from hexkit.testing.stateful import DaoStatefulTests, OpenDaoFactory


class TestMemoryDaoMachine(DaoStatefulTests):
    @pytest.fixture
    def open_dao_factory(self) -> OpenDaoFactory:
        return lambda: MemoryDaoFactory.construct(config=MemoryDaoConfig())

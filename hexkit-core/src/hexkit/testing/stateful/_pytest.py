"""The pytest side of the machines: classes a provider's test suite subclasses."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from hypothesis import seed
from hypothesis.stateful import run_state_machine_as_test

from ._base import AsyncMachine, fuzz_seed, machine_settings
from ._dao_machine import DaoMachine, OpenDaoFactory
from ._obj_machine import ObjectStorageMachine, OpenObjectStorage

__all__ = ["DaoStatefulTests", "ObjectStorageStatefulTests", "run_machine"]


def run_machine(
    machine: type[AsyncMachine],
    *,
    max_examples: int | None = None,
    stateful_step_count: int | None = None,
) -> None:
    """Run ``machine`` with :func:`machine_settings` (the CI budget, or the fuzz budget)."""
    chosen = fuzz_seed()
    if chosen is not None:
        machine = seed(chosen)(machine)
    run_state_machine_as_test(
        machine,
        settings=machine_settings(
            max_examples=max_examples, stateful_step_count=stateful_step_count
        ),
    )


class _StatefulBase:
    #: The CI budget of this provider (``None``: the defaults of ``machine_settings``).
    max_examples: ClassVar[int | None] = None
    stateful_step_count: ClassVar[int | None] = None

    def _run(self, machine: type[AsyncMachine]) -> None:
        run_machine(
            machine, max_examples=self.max_examples, stateful_step_count=self.stateful_step_count
        )


class DaoStatefulTests(_StatefulBase):
    """The DAO state machine as a pytest test; subclass it as ``TestXyz``.

    Provide a fixture ``open_dao_factory`` returning a callable that opens a fresh, empty
    DAO factory of the provider as an async context manager (it runs in the machine's own
    event loop, once per example)::

        class TestMyDaoMachine(DaoStatefulTests):
            @pytest.fixture
            def open_dao_factory(self, my_server):
                return lambda: MyDaoFactory.construct(config=my_server.config())
    """

    #: Set to False for providers whose backend cannot run transactions.
    supports_transactions: ClassVar[bool] = True

    @pytest.fixture
    def open_dao_factory(self) -> OpenDaoFactory:
        """Return the opener of a fresh provider under test; override it."""
        raise NotImplementedError("Override the open_dao_factory fixture.")

    def test_every_operation_matches_the_memory_reference(
        self, open_dao_factory: OpenDaoFactory
    ) -> None:
        attributes: dict[str, Any] = {
            "open_provider": staticmethod(open_dao_factory),
            "supports_transactions": self.supports_transactions,
        }
        self._run(type(f"{type(self).__name__}Machine", (DaoMachine,), attributes))


class ObjectStorageStatefulTests(_StatefulBase):
    """The object-storage state machine as a pytest test; subclass it as ``TestXyz``.

    Provide a fixture ``open_object_storage`` returning a callable that opens a fresh
    object storage of the provider (an async context manager, entered in the machine's
    event loop once per example), and a ``transfer`` fixture as for
    :class:`~hexkit.testing.ObjectStorageConformance`.
    """

    @pytest.fixture
    def open_object_storage(self) -> OpenObjectStorage:
        """Return the opener of a fresh provider under test; override it."""
        raise NotImplementedError("Override the open_object_storage fixture.")

    def test_every_operation_matches_the_memory_reference(
        self, open_object_storage: OpenObjectStorage, transfer: Any
    ) -> None:
        attributes: dict[str, Any] = {
            "open_provider": staticmethod(open_object_storage),
            "transfer": transfer,
        }
        self._run(type(f"{type(self).__name__}Machine", (ObjectStorageMachine,), attributes))

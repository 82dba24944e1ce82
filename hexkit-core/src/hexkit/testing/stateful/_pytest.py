"""The pytest side of the machines: classes a provider's test suite subclasses."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from hypothesis import seed
from hypothesis.stateful import run_state_machine_as_test

from ._base import AsyncMachine, fuzz_seed, machine_settings
from ._dao_machine import DaoMachine, OpenDaoFactory
from ._faults import ServerFaults
from ._obj_machine import ObjectStorageMachine, OpenObjectStorage
from ._strategies import FIELD_KINDS, FieldKind

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

    @pytest.fixture
    def server_faults(self) -> ServerFaults | None:
        """Return how to kill and freeze the server the factories talk to, if you can.

        Override it with a :class:`ServerFaults` of a server of this test's own (the
        machine kills it) to add fault steps; the default ``None`` draws none.
        """
        return None

    @pytest.fixture
    def field_kinds(self) -> tuple[FieldKind, ...]:
        """Return the field kinds models are drawn from: ``FIELD_KINDS`` unless overridden.

        Narrow a kind only for a server's documented deviation (say which, and why).
        """
        return FIELD_KINDS

    def test_every_operation_matches_the_memory_reference(
        self,
        open_dao_factory: OpenDaoFactory,
        server_faults: ServerFaults | None,
        field_kinds: tuple[FieldKind, ...],
    ) -> None:
        attributes: dict[str, Any] = {
            "open_provider": staticmethod(open_dao_factory),
            "supports_transactions": self.supports_transactions,
            "faults": server_faults,
            "field_kinds": field_kinds,
        }
        machine: type[DaoMachine] = type(f"{type(self).__name__}Machine", (DaoMachine,), attributes)
        self._run(machine)
        if server_faults is not None:  # else the fault steps were never tried
            assert machine.faults_injected > 0, "no example drew a server fault; raise max_examples"


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

"""Randomized differential testing: Hypothesis state machines per protocol.

Each machine runs random sequences of every protocol operation on the provider under
test and on the memory reference side by side, and fails (with a shrunk, minimal
sequence) when the two disagree: in results, in the JSON they serialise to, or in the
error class. Provider test suites subclass :class:`DaoStatefulTests` or
:class:`ObjectStorageStatefulTests` and supply an opener of a fresh provider; a DAO
provider's suite may also supply :class:`ServerFaults`, and the DAO machine then kills
or freezes the server at a random step.

``nox -s tests`` runs a small, derandomised budget; ``HEXKIT_FUZZ_EXAMPLES``,
``HEXKIT_FUZZ_STEPS`` and ``HEXKIT_FUZZ_SEED`` select a long run (``nox -s fuzz``).
"""

from ._base import EXAMPLES_ENV, SEED_ENV, STEPS_ENV, machine_settings
from ._dao_machine import DaoMachine, OpenDaoFactory
from ._faults import ServerFaults
from ._obj_machine import ObjectStorageMachine, OpenObjectStorage
from ._pytest import DaoStatefulTests, ObjectStorageStatefulTests, run_machine
from ._strategies import FIELD_KINDS, FieldKind

__all__ = [
    "EXAMPLES_ENV",
    "FIELD_KINDS",
    "SEED_ENV",
    "STEPS_ENV",
    "DaoMachine",
    "DaoStatefulTests",
    "FieldKind",
    "ObjectStorageMachine",
    "ObjectStorageStatefulTests",
    "OpenDaoFactory",
    "OpenObjectStorage",
    "ServerFaults",
    "machine_settings",
    "run_machine",
]

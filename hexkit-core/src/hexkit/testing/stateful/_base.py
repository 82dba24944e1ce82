"""What both machines share: an event loop per example, settings, and outcome comparison."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine
from pydantic import BaseModel

__all__ = [
    "EXAMPLES_ENV",
    "SEED_ENV",
    "STEPS_ENV",
    "AsyncMachine",
    "Outcome",
    "capture",
    "error_class",
    "machine_settings",
]

T = TypeVar("T")

#: Environment variables that select the long (``nox -s fuzz``) budget.
EXAMPLES_ENV = "HEXKIT_FUZZ_EXAMPLES"
STEPS_ENV = "HEXKIT_FUZZ_STEPS"
SEED_ENV = "HEXKIT_FUZZ_SEED"

# The CI budget: derandomised, so every run tries the same examples.
_CI_EXAMPLES = 25
_CI_STEPS = 20

Outcome = tuple[str, Any]


def machine_settings(
    *, max_examples: int | None = None, stateful_step_count: int | None = None
) -> settings:
    """Return the settings a machine runs with.

    By default the fixed CI budget (derandomised, ``max_examples`` 25, 20 steps, or the
    given numbers). ``HEXKIT_FUZZ_EXAMPLES`` (and optionally ``HEXKIT_FUZZ_STEPS``) select a
    long randomised run instead; with ``HEXKIT_FUZZ_SEED`` it is reproducible.
    """
    fuzz_examples = os.environ.get(EXAMPLES_ENV)
    fuzzing = bool(fuzz_examples)
    examples = int(fuzz_examples) if fuzz_examples else (max_examples or _CI_EXAMPLES)
    steps = int(os.environ.get(STEPS_ENV) or 0) or stateful_step_count or _CI_STEPS
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        derandomize=not fuzzing,
        deadline=None,
        database=None,
        print_blob=fuzzing,
        report_multiple_bugs=False,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


def fuzz_seed() -> int | None:
    """Return the seed ``HEXKIT_FUZZ_SEED`` names for a fuzz run, or ``None``."""
    value = os.environ.get(SEED_ENV)
    return int(value) if value and os.environ.get(EXAMPLES_ENV) else None


def error_class(error: BaseException) -> str:
    """Return the protocol (or builtin) class an error is compared by across providers."""
    for kind in type(error).__mro__:
        if kind.__module__.startswith("hexkit.protocols") or kind.__module__ == "builtins":
            return kind.__qualname__
    return type(error).__qualname__  # pragma: no cover - every class ends in object


def canonical(value: Any) -> Any:
    """Return what two providers' results are compared by: equality and JSON alike."""
    if isinstance(value, BaseModel):
        return (type(value).__qualname__, value.model_dump_json(), value)
    if isinstance(value, list | tuple):
        return tuple(canonical(item) for item in value)
    return value


async def capture(awaitable: Awaitable[Any]) -> Outcome:
    """Await ``awaitable``; return ``("ok", canonical result)`` or ``("error", class)``."""
    try:
        result = await awaitable
    except Exception as error:  # noqa: BLE001 - every error is an outcome to compare
        return ("error", error_class(error))
    return ("ok", canonical(result))


class AsyncMachine(RuleBasedStateMachine):
    """A state machine that runs each example in an event loop of its own.

    Provider fixtures are async and bound to a loop; Hypothesis calls rules synchronously,
    so every example opens a fresh ``asyncio.Runner`` and the providers inside it, and
    closes both in ``teardown``.
    """

    def __init__(self) -> None:
        super().__init__()
        self._runner = asyncio.Runner()
        self.stack = AsyncExitStack()

    def run(self, awaitable: Awaitable[T]) -> T:
        """Run ``awaitable`` to completion in this example's event loop."""

        async def wrapper() -> T:
            return await awaitable

        return self._runner.run(wrapper())

    def teardown(self) -> None:
        """Close the providers, then the event loop."""
        try:
            self.run(self.stack.aclose())
        finally:
            self._runner.close()

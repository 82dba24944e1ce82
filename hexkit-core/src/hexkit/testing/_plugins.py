"""The plugin-lightness check every provider distribution runs on its pluggy plugin module."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable

from hexkit.registry import ProviderSpec, Registry

__all__ = ["check_plugin_module"]

# Run in a fresh interpreter: the test process has long imported everything.
_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
"""


def check_plugin_module(
    module_name: str, *, heavy: Iterable[str], distribution: str | None = None
) -> list[ProviderSpec]:
    """Assert that a plugin module imports nothing heavy and that its providers load.

    The registry imports every plugin module at startup, so a plugin module (and the
    package it lives in) must not import drivers or SDKs; those belong in the provider
    class's module, imported only when the provider is loaded. This check

    1. imports ``module_name`` in a fresh interpreter and fails if any top-level package
       in ``heavy`` (e.g. ``["pymongo"]``) got imported with it;
    2. calls the module's ``hexkit_providers`` hook, registers the module with a
       registry of its own (``distribution`` as its origin) and loads every announced
       provider, failing unless each target is the class it names.

    Returns the announced specs. It is synchronous and starts a subprocess: call it from
    a plain (not async) test. Raises ``AssertionError`` saying what to fix.
    """
    heavy_names = sorted(set(heavy))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", _PROBE, module_name],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"Importing the plugin module {module_name!r} in a fresh interpreter failed;"
            f" fix its imports:\n{result.stderr.strip()}"
        )
    imported = set(json.loads(result.stdout.strip().splitlines()[-1]))
    loaded_heavy = [name for name in heavy_names if name in imported]
    if loaded_heavy:
        raise AssertionError(
            f"Importing the plugin module {module_name!r} also imports {loaded_heavy}; move"
            " those imports into the provider's implementation modules (and keep the"
            " package's __init__ lazy) so that discovering plugins stays cheap."
        )

    module = importlib.import_module(module_name)
    hook = getattr(module, "hexkit_providers", None)
    if not callable(hook):
        raise AssertionError(
            f"The plugin module {module_name!r} has no hexkit_providers hook;"
            " define one decorated with hexkit.registry.hookimpl."
        )
    specs = list(hook())
    if not specs or not all(isinstance(spec, ProviderSpec) for spec in specs):
        raise AssertionError(
            f"hexkit_providers of {module_name!r} returned {specs!r}; it must return a"
            " non-empty list of hexkit.registry.ProviderSpec."
        )
    registry = Registry(autoload=False)
    # pluggy refuses to register a module twice: the core's memory plugin is built in.
    with contextlib.suppress(ValueError):
        registry.register_plugin(module, distribution=distribution)
    for spec in specs:
        info = registry.get_provider(spec.kind, spec.name)
        if info.distribution != distribution:
            raise AssertionError(
                f"The {spec.kind} provider {spec.name!r} resolved to {info.distribution!r},"
                f" not {distribution!r}; another plugin claims the same kind and name."
            )
        provider = info.load()  # ProviderLoadError names the target and the reason
        expected = spec.target.rpartition(":")[2]
        if provider.__name__ != expected:
            raise AssertionError(
                f"The target {spec.target!r} of the {spec.kind} provider {spec.name!r}"
                f" loaded {provider.__name__}; make the target name the provider class."
            )
    return specs

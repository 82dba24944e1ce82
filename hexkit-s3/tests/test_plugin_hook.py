"""The s3 plugin announces only providers the registry can load."""

from __future__ import annotations

import importlib
import subprocess
import sys

from hexkit.registry import ProviderSpec, Registry


def test_plugin_module_is_light_and_its_providers_load() -> None:
    plugin = importlib.import_module("hexkit.providers.s3._plugin")
    specs = plugin.hexkit_providers()
    assert all(isinstance(spec, ProviderSpec) for spec in specs)
    registry = Registry(autoload=False)
    registry.register_plugin(plugin, distribution="hexkit-s3")
    for spec in specs:
        info = registry.get_provider(spec.kind, spec.name)
        assert info.distribution == "hexkit-s3"
        assert info.load().__name__ == spec.target.rpartition(":")[2]


def test_plugin_module_imports_no_driver() -> None:
    code = (
        "import sys, hexkit.providers.s3._plugin; "
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'botocore'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

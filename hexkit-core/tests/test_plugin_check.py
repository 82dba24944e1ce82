"""hexkit.testing.check_plugin_module: plugin modules stay light and their providers load."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from hexkit.registry import ProviderLoadError
from hexkit.testing import check_plugin_module

HEAVY = ["boto3", "botocore", "pymongo", "pytest"]


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path (and so on the probe's PYTHONPATH) for made-up plugin modules."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [name for name in sys.modules if name.startswith("fakeplugin_")]:
        del sys.modules[name]


def _plugin(folder: Path, name: str, imports: str, target: str) -> str:
    (folder / f"{name}.py").write_text(
        textwrap.dedent(
            f"""
            {imports}
            from hexkit.registry import ProviderSpec, hookimpl

            @hookimpl
            def hexkit_providers():
                return [ProviderSpec("dao", "{name}", "{target}")]
            """
        )
    )
    return name


def test_the_memory_plugin_is_light_and_its_providers_load() -> None:
    specs = check_plugin_module(
        "hexkit.providers.memory._plugin", heavy=HEAVY, distribution="hexkit"
    )
    assert {(spec.kind, spec.name) for spec in specs} == {
        ("dao", "memory"),
        ("objstorage", "memory"),
    }


def test_a_plugin_module_that_imports_a_heavy_package_fails(plugin_dir: Path) -> None:
    target = "hexkit.providers.memory:MemoryDaoFactory"
    name = _plugin(plugin_dir, "fakeplugin_heavy", "import sqlite3", target)
    with pytest.raises(AssertionError, match=r"fakeplugin_heavy.*imports \['sqlite3'\]"):
        check_plugin_module(name, heavy=["sqlite3", "pymongo"])
    assert check_plugin_module(name, heavy=["pymongo"])[0].target == target


def test_a_plugin_module_that_cannot_be_imported_fails(plugin_dir: Path) -> None:
    name = _plugin(plugin_dir, "fakeplugin_broken", "import no_such_module_x", "a:B")
    with pytest.raises(AssertionError, match="no_such_module_x"):
        check_plugin_module(name, heavy=HEAVY)


def test_a_target_that_does_not_load_fails(plugin_dir: Path) -> None:
    name = _plugin(plugin_dir, "fakeplugin_target", "", "json:dumps")
    with pytest.raises(ProviderLoadError, match="json:dumps"):
        check_plugin_module(name, heavy=HEAVY)

"""Packaging rules that hold across every distribution."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tools import release
from tools.distributions import DISTRIBUTIONS as FOLDERS

ROOT = Path(__file__).resolve().parent.parent


PLUGINS = sorted(name for name in FOLDERS if name != "hexkit")


def _pyproject(folder: str) -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / folder / "pyproject.toml").read_text())


@pytest.mark.parametrize("folder", sorted(FOLDERS.values()))
def test_namespace_levels_have_no_init(folder: str) -> None:
    src = ROOT / folder / "src"
    assert not (src / "hexkit" / "__init__.py").exists()
    assert not (src / "hexkit" / "providers" / "__init__.py").exists()


@pytest.mark.parametrize("folder", sorted(FOLDERS.values()))
def test_every_distribution_ships_its_skeleton(folder: str) -> None:
    base = ROOT / folder
    for name in ("pyproject.toml", "README.md", "CHANGELOG.md"):
        assert (base / name).is_file(), f"{folder}/{name}"
    packages = [path.parent for path in (base / "src").rglob("__init__.py")]
    top_level = [pkg for pkg in packages if not (pkg.parent / "__init__.py").exists()]
    assert top_level
    for package in top_level:
        assert (package / "py.typed").is_file(), f"{package} lacks py.typed"


def test_namespace_spans_all_distributions() -> None:
    hexkit = importlib.import_module("hexkit")
    providers = importlib.import_module("hexkit.providers")
    assert getattr(hexkit, "__file__", None) is None
    locations = {Path(path).resolve() for path in providers.__path__}
    for folder in FOLDERS.values():
        assert (ROOT / folder / "src" / "hexkit" / "providers").resolve() in locations


def test_the_installed_hexkit_is_ours_not_the_unrelated_pypi_project() -> None:
    expected = _pyproject("hexkit-core")["project"]["version"]
    assert importlib.metadata.version("hexkit") == expected
    importlib.import_module("hexkit.registry")


def _core_requirement(requirements: list[str]) -> Requirement:
    return next(Requirement(text) for text in requirements if Requirement(text).name == "hexkit")


@pytest.mark.parametrize("name", PLUGINS)
def test_plugins_depend_on_a_compatible_core_range(name: str) -> None:
    """hexkit>=X.Y,<X+1 that admits the current core: the range the compat matrix checks."""
    core = Version(_pyproject("hexkit-core")["project"]["version"])
    specifier = _core_requirement(_pyproject(FOLDERS[name])["project"]["dependencies"]).specifier
    assert core in specifier
    clauses = {spec.operator: Version(spec.version) for spec in specifier}
    assert sorted(clauses) == ["<", ">="], str(specifier)
    assert clauses["<"] == Version(str(clauses[">="].major + 1)), str(specifier)


@pytest.mark.parametrize("name", PLUGINS)
def test_the_testing_extra_claims_the_same_core_range_as_the_plugin(name: str) -> None:
    project = _pyproject(FOLDERS[name])["project"]
    runtime = _core_requirement(project["dependencies"])
    testing = _core_requirement(project["optional-dependencies"]["testing"])
    assert testing.specifier == runtime.specifier
    assert testing.extras == {"testing"}


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_every_changelog_has_the_release_shape(name: str) -> None:
    """ "## Unreleased" first, then released sections; the last one is pyproject's version."""
    folder = ROOT / FOLDERS[name]
    changelog = release.parse_changelog(
        (folder / "CHANGELOG.md").read_text(), f"{FOLDERS[name]}/CHANGELOG.md"
    )
    version = Version(_pyproject(FOLDERS[name])["project"]["version"])
    assert changelog.last_release in (None, version)


def test_core_extras_pull_in_the_plugin_versions_we_ship() -> None:
    extras = _pyproject("hexkit-core")["project"]["optional-dependencies"]
    for extra, name in (
        ("mongodb", "hexkit-mongodb"),
        ("postgres", "hexkit-postgres"),
        ("s3", "hexkit-s3"),
    ):
        requirement = next(
            Requirement(text) for text in extras[extra] if Requirement(text).name == name
        )
        version = Version(_pyproject(FOLDERS[name])["project"]["version"])
        assert version in requirement.specifier, (extra, str(requirement.specifier))


def test_plugins_register_entry_points_in_group_hexkit() -> None:
    found = {
        (entry_point.dist.metadata["Name"] if entry_point.dist else None, entry_point.name)
        for entry_point in importlib.metadata.entry_points(group="hexkit")
    }
    assert ("hexkit", "memory") in found
    assert ("hexkit-mongodb", "mongodb") in found
    assert ("hexkit-postgres", "postgres") in found
    assert ("hexkit-s3", "s3") in found


def test_console_script_lists_providers_with_distribution_and_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hexkit.cli", "providers", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = json.loads(result.stdout)
    memory = {
        (row["kind"], row["distribution"], row["version"])
        for row in rows
        if row["name"] == "memory"
    }
    version = importlib.metadata.version("hexkit")
    assert memory == {("dao", "hexkit", version), ("objstorage", "hexkit", version)}
    plugins = {(row["kind"], row["name"], row["distribution"]) for row in rows}
    assert ("dao", "mongodb", "hexkit-mongodb") in plugins
    assert ("dao", "postgres", "hexkit-postgres") in plugins
    assert ("objstorage", "s3", "hexkit-s3") in plugins
    assert all(row["status"] == "ok" for row in rows)

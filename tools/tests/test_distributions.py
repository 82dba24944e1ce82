"""tools/distributions.py: the one table of our distributions, and what the tools read from it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tools import distributions, release, simple_index
from tools.distributions import DISTRIBUTIONS, ROOT


@pytest.mark.parametrize(("name", "folder"), DISTRIBUTIONS.items())
def test_each_distribution_is_the_project_in_its_folder(name: str, folder: str) -> None:
    project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
    assert project["name"] == name
    assert distributions.version(name) == project["version"]


def test_the_release_tool_and_the_index_builder_use_the_same_table() -> None:
    assert release.DISTRIBUTIONS is DISTRIBUTIONS
    assert tuple(DISTRIBUTIONS) == simple_index.OURS
    assert [name for name in DISTRIBUTIONS if name != "hexkit"] == distributions.PLUGINS


def test_wheels_of_a_name_leave_out_other_distributions_and_versions(tmp_path: Path) -> None:
    names = [
        "hexkit-1.0.0-py3-none-any.whl",
        "hexkit-1.1.0-py3-none-any.whl",
        "hexkit_mongodb-0.2.0-py3-none-any.whl",
        "hexkit-1.0.0.tar.gz",
    ]
    for name in names:
        (tmp_path / name).touch()

    assert [path.name for path in distributions.wheels(tmp_path, "hexkit")] == names[:2]
    assert [path.name for path in distributions.wheels(tmp_path, "hexkit", "1.1.0")] == [names[1]]
    found = distributions.wheels(tmp_path, "hexkit-mongodb")
    assert [path.name for path in found] == [names[2]]


@pytest.mark.parametrize("plugin", distributions.PLUGINS)
def test_kit_tests_are_the_files_that_subclass_a_conformance_class(plugin: str) -> None:
    found = [Path(path) for path in distributions.kit_tests(plugin)]

    assert found, f"{plugin} runs no conformance kit"
    for path in found:
        assert "Conformance):" in path.read_text()
    every = sorted((ROOT / DISTRIBUTIONS[plugin] / "tests").glob("test_*.py"))
    for path in set(every) - set(found):
        assert "Conformance):\n" not in path.read_text()

"""tools/compat.py and tools/release_steps.py: the commands the matrix and a release run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tools import compat, release_steps
from tools.distributions import DISTRIBUTIONS, PLUGINS, ROOT, kit_tests, version
from tools.tests.fake_session import FakeSession, SessionError

NOT_TAGGED = {"claimed": "hexkit<2,>=1.0", "version": "1.0.0", "tag": None, "note": "no tag"}


class CellFailed(Exception):
    pass


def _oldest(source: dict[str, str | None]) -> dict[tuple[str, ...], str]:
    return {("python", "-m", "tools.release", "oldest-core"): json.dumps(source)}


def _archive(args: tuple[str, ...]) -> None:
    """Do what ``git archive --output X.tar TAG hexkit-core`` does, from the working tree."""
    if args[:2] == ("git", "archive"):
        shutil.make_archive(args[3].removesuffix(".tar"), "tar", ROOT, "hexkit-core/README.md")


def test_a_suite_runs_in_a_fresh_venv_with_the_core_checked_first(tmp_path: Path) -> None:
    session = FakeSession(tmp_path)
    plugin = PLUGINS[0]

    compat.against_current_core(session, plugin, ROOT / DISTRIBUTIONS[plugin], ["t.py", "-x"])

    venv, install, check, pytest_run = session.runs
    assert venv[:2] == ("uv", "venv")
    assert f"hexkit[testing] @ {(ROOT / 'hexkit-core').as_uri()}" in install
    assert f"--reinstall-package={plugin}" in install
    assert check[1:3] == ("-c", compat.core_check(version("hexkit")))
    assert pytest_run[1:] == ("-m", "pytest", "-q", "t.py", "-x")


def test_the_oldest_core_is_skipped_with_a_note_until_it_is_tagged(tmp_path: Path) -> None:
    session = FakeSession(tmp_path, _oldest(NOT_TAGGED))

    compat.against_oldest_core(session, PLUGINS[0], ROOT, ["t.py"])

    assert len(session.runs) == 1
    assert session.logs == [f"{PLUGINS[0]}: hexkit<2,>=1.0; no tag."]


def test_the_oldest_core_comes_from_our_tag_via_git_archive(tmp_path: Path) -> None:
    tagged = dict(NOT_TAGGED, tag="hexkit-v1.0.0", note="tag hexkit-v1.0.0")
    session = FakeSession(tmp_path, _oldest(tagged))

    session.on_run = _archive
    compat.against_oldest_core(session, PLUGINS[0], ROOT, ["t.py"])

    git = next(run for run in session.runs if run[0] == "git")
    assert git[-2:] == ("hexkit-v1.0.0", "hexkit-core")
    install = next(run for run in session.runs if run[:3] == ("uv", "pip", "install"))
    assert f"hexkit[testing] @ {(tmp_path / 'hexkit-v1.0.0' / 'hexkit-core').as_uri()}" in install


def test_the_matrix_runs_every_cell_and_names_the_failed_ones(tmp_path: Path) -> None:
    session = FakeSession(tmp_path, _oldest(NOT_TAGGED))

    def fail_first_pytest(args: tuple[str, ...]) -> None:
        pytests = [run for run in session.runs if run[1:3] == ("-m", "pytest")]
        if args[1:3] == ("-m", "pytest") and len(pytests) == 1:
            raise CellFailed

    session.on_run = fail_first_pytest
    failed = compat.matrix(session, ["--full", "-k", "x"], CellFailed)

    assert failed == [f"{PLUGINS[0]} x current core"]
    pytests = [run for run in session.runs if run[1:3] == ("-m", "pytest")]
    assert [run[4:] for run in pytests] == [
        (f"{DISTRIBUTIONS[plugin]}/tests", "-k", "x") for plugin in PLUGINS
    ]


def test_without_full_both_cells_run_only_the_kit_files(tmp_path: Path) -> None:
    tagged = dict(NOT_TAGGED, tag="hexkit-v1.0.0", note="tag")
    session = FakeSession(tmp_path, _oldest(tagged))
    ran: list[list[str]] = []

    def record(args: tuple[str, ...]) -> None:
        _archive(args)
        if args[1:3] == ("-m", "pytest"):
            ran.append(list(args[4:]))

    session.on_run = record

    compat.matrix(session, [], SessionError)

    # Two cells per plugin (current core, oldest tagged core), each the kit files alone.
    assert ran == [kit_tests(plugin) for plugin in PLUGINS for _cell in range(2)]


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        (["hexkit-s3", "0.2.0"], ("hexkit-s3", "0.2.0", False)),
        (["hexkit-s3", "--tag", "0.2.0"], ("hexkit-s3", "0.2.0", True)),
        (["hexkit-s3"], None),
        (["hexkit-s3", "0.2.0", "extra"], None),
    ],
)
def test_release_arguments(args: list[str], parsed: tuple[str, str, bool] | None) -> None:
    assert release_steps.parse_args(args) == parsed


def test_build_one_replaces_only_the_older_files_of_that_distribution(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in ("hexkit-1.0.0-py3-none-any.whl", "hexkit_s3-0.1.0-py3-none-any.whl"):
        (dist / name).touch()
    session = FakeSession(tmp_path)
    built = dist / "hexkit-1.1.0-py3-none-any.whl"
    session.on_run = lambda args: built.touch()

    assert release_steps.build_one(session, "hexkit", "1.1.0", dist) == built
    assert sorted(path.name for path in dist.iterdir()) == [
        built.name,
        "hexkit_s3-0.1.0-py3-none-any.whl",
    ]
    assert session.runs[0][-1] == str(ROOT / "hexkit-core")

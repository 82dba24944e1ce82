"""tools/release.py: version bumps, CHANGELOG closing, refusals, tags and the oldest core.

Every test works on temporary copies of the repository's pyproject.toml and CHANGELOG.md
files; versions and specifiers come from those files, never from the test.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tools import release

ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2031, 2, 3)


PLUGINS = [name for name in release.DISTRIBUTIONS if name != release.CORE]


def _project(root: Path, name: str) -> dict:  # type: ignore[type-arg]
    text = (root / release.DISTRIBUTIONS[name] / "pyproject.toml").read_text()
    return tomllib.loads(text)["project"]  # type: ignore[no-any-return]


def _version(root: Path, name: str) -> Version:
    return Version(_project(root, name)["version"])


def _next_minor(version: Version) -> str:
    return f"{version.major}.{version.minor + 1}.0"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of every distribution's pyproject.toml and CHANGELOG.md."""
    for folder in release.DISTRIBUTIONS.values():
        (tmp_path / folder).mkdir()
        for name in ("pyproject.toml", "CHANGELOG.md"):
            shutil.copy(ROOT / folder / name, tmp_path / folder / name)
    return tmp_path


def _files(root: Path, name: str) -> tuple[str, str]:
    base = root / release.DISTRIBUTIONS[name]
    return (base / "pyproject.toml").read_text(), (base / "CHANGELOG.md").read_text()


@pytest.mark.parametrize("name", sorted(release.DISTRIBUTIONS))
def test_bump_sets_the_version_and_closes_the_unreleased_section(repo: Path, name: str) -> None:
    pyproject_before, changelog_before = _files(repo, name)
    before = release.parse_changelog(changelog_before)
    new = _next_minor(_version(repo, name))

    tag = release.bump(name, new, TODAY, repo)

    assert tag == f"{name}-v{new}"
    pyproject_after, changelog_after = _files(repo, name)
    assert _project(repo, name)["version"] == new
    changed = [
        (old, line)
        for old, line in zip(
            pyproject_before.splitlines(), pyproject_after.splitlines(), strict=True
        )
        if old != line
    ]
    assert changed == [(f'version = "{_version(ROOT, name)}"', f'version = "{new}"')]
    after = release.parse_changelog(changelog_after)
    assert after.unreleased == ""
    assert after.released[0][0] == Version(new)
    assert after.released[0][1].startswith(f"## {new} ({TODAY.isoformat()})\n\n")
    assert before.unreleased in after.released[0][1]
    assert [section for _, section in after.released[1:]] == [s for _, s in before.released]
    assert changelog_after.startswith(before.title + "## Unreleased\n\n## ")


def test_the_first_release_may_be_the_version_pyproject_already_names(repo: Path) -> None:
    name = PLUGINS[0]
    assert release.parse_changelog(_files(repo, name)[1]).last_release is None
    version = _version(repo, name)

    release.bump(name, str(version), TODAY, repo)

    assert release.parse_changelog(_files(repo, name)[1]).last_release == version


def test_a_version_not_greater_than_the_last_release_is_refused(repo: Path) -> None:
    name = PLUGINS[0]
    new = _next_minor(_version(repo, name))
    release.bump(name, new, TODAY, repo)
    (repo / release.DISTRIBUTIONS[name] / "CHANGELOG.md").write_text(
        _files(repo, name)[1].replace("## Unreleased\n", "## Unreleased\n- A change.\n")
    )
    unchanged = _files(repo, name)

    with pytest.raises(release.ReleaseError, match=rf"{new} is not greater than the last"):
        release.bump(name, new, TODAY, repo)
    assert _files(repo, name) == unchanged


def test_releases_stack_newest_first_under_a_fresh_unreleased_section(repo: Path) -> None:
    name = PLUGINS[0]
    first = _next_minor(_version(repo, name))
    release.bump(name, first, TODAY, repo)
    changelog = repo / release.DISTRIBUTIONS[name] / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## Unreleased\n", "## Unreleased\n- B.\n"))
    second = _next_minor(Version(first))

    release.bump(name, second, TODAY + datetime.timedelta(days=1), repo)

    parsed = release.parse_changelog(changelog.read_text())
    assert parsed.last_release == Version(second)
    assert [version for version, _ in parsed.released] == [Version(second), Version(first)]
    assert parsed.released[0][1].strip().endswith("- B.")


def test_a_version_lower_than_pyproject_is_refused(repo: Path) -> None:
    name = PLUGINS[0]
    current = _version(repo, name)
    lower = f"{current.major}.{current.minor}.{current.micro}.dev0"

    with pytest.raises(release.ReleaseError, match=rf"{lower} is lower than .*give {current}"):
        release.bump(name, lower, TODAY, repo)


def test_an_unknown_distribution_is_refused_with_the_known_names(repo: Path) -> None:
    with pytest.raises(release.ReleaseError, match=r"'hexkit-redis'; use one of: hexkit, "):
        release.bump("hexkit-redis", "1.0.0", TODAY, repo)


@pytest.mark.parametrize("text", ["v0.2.0", "0.2.0+local", "0.2.0-rc1", "soon"])
def test_a_version_that_is_invalid_or_not_canonical_is_refused(repo: Path, text: str) -> None:
    with pytest.raises(release.ReleaseError, match=rf"'{re.escape(text)}' is not"):
        release.bump(PLUGINS[0], text, TODAY, repo)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace("## Unreleased", "## 9.9.9 (unreleased)"), "rename it"),
        (lambda text: text.split("## Unreleased")[0] + "## Unreleased\n", "section is empty"),
        (lambda text: text + "\n## 0.0.1 (yesterday)\n", "is not '## <version>"),
        (
            lambda text: text + "\n## 0.0.1 (2020-01-01)\n- a\n\n## 0.0.2 (2020-02-01)\n- b\n",
            "0.0.2 is listed below 0.0.1",
        ),
        (lambda text: text + "\n## Unreleased\n- again\n", "'## Unreleased' is not"),
    ],
)
def test_a_changelog_of_another_shape_is_refused_and_nothing_changes(
    repo: Path, edit: object, message: str
) -> None:
    name = PLUGINS[0]
    changelog = repo / release.DISTRIBUTIONS[name] / "CHANGELOG.md"
    changelog.write_text(edit(changelog.read_text()))  # type: ignore[operator]
    unchanged = _files(repo, name)

    with pytest.raises(release.ReleaseError, match=message):
        release.bump(name, _next_minor(_version(repo, name)), TODAY, repo)
    assert _files(repo, name) == unchanged


@pytest.mark.parametrize("name", PLUGINS)
def test_a_plugin_version_the_core_extra_excludes_is_refused(repo: Path, name: str) -> None:
    extras = _project(repo, release.CORE)["optional-dependencies"]
    extra, requirement = next(
        (extra, Requirement(item))
        for extra, items in extras.items()
        for item in items
        if Requirement(item).name == name
    )
    upper = next(spec.version for spec in requirement.specifier if spec.operator == "<")
    outside = str(Version(upper))

    with pytest.raises(release.ReleaseError, match=rf"hexkit-core/pyproject.toml extra '{extra}'"):
        release.bump(name, outside, TODAY, repo)


def test_a_core_version_a_plugin_excludes_is_refused_naming_each_plugin(repo: Path) -> None:
    outside = f"{_version(repo, release.CORE).major + 1}.0.0"

    with pytest.raises(release.ReleaseError) as raised:
        release.bump(release.CORE, outside, TODAY, repo)
    for plugin in PLUGINS:
        assert f"{release.DISTRIBUTIONS[plugin]}/pyproject.toml dependencies" in str(raised.value)


def _claim(plugin: str) -> Requirement:
    return next(
        Requirement(item)
        for item in _project(ROOT, plugin)["dependencies"]
        if Requirement(item).name == release.CORE
    )


@pytest.mark.parametrize("plugin", PLUGINS)
def test_the_oldest_core_is_the_first_tag_of_the_claimed_series(plugin: str) -> None:
    claim = _claim(plugin)
    floor = release.lower_bound(claim.specifier, "hexkit")
    series = f"{floor.major}.{floor.minor}"
    tags = [
        f"hexkit-v{series}.2",
        f"hexkit-v{floor.major}.{floor.minor + 1}.0",
        f"hexkit-v{series}.1",
        f"hexkit-mongodb-v{series}.0",  # a plugin's tag, not the core's
        "hexkit-vnext",
    ]
    current = Version(f"{floor.major}.{floor.minor + 2}.0")

    source = release.oldest_core(claim, tags, current)

    assert (source.tag, source.version) == (f"hexkit-v{series}.1", f"{series}.1")


def test_a_tag_the_claim_excludes_is_not_the_oldest_core() -> None:
    claim = _claim(PLUGINS[0])
    floor = release.lower_bound(claim.specifier, "hexkit")
    series = f"{floor.major}.{floor.minor}"
    excluding = Requirement(f"{claim.name}{claim.specifier},!={series}.1")
    tags = [f"hexkit-v{series}.1", f"hexkit-v{series}.2"]

    source = release.oldest_core(excluding, tags, Version(f"{series}.2"))

    assert source.tag == f"hexkit-v{series}.2"


@pytest.mark.parametrize("plugin", PLUGINS)
def test_without_a_tag_the_current_core_stands_for_the_oldest_only_in_its_series(
    plugin: str,
) -> None:
    claim = _claim(plugin)
    floor = release.lower_bound(claim.specifier, "hexkit")

    same = release.oldest_core(claim, [], Version(f"{floor.major}.{floor.minor}.3"))
    assert same.tag is None
    assert "the current-core run covers both" in same.note
    later = f"{floor.major}.{floor.minor + 1}.0"
    with pytest.raises(release.ReleaseError, match=rf"no tag hexkit-v{floor}\.\* .* {later}"):
        release.oldest_core(claim, [], Version(later))


def test_a_claim_without_a_lower_bound_is_refused() -> None:
    with pytest.raises(release.ReleaseError, match=r"no single '>=' lower bound"):
        release.oldest_core(Requirement("hexkit<2"), [], _version(ROOT, release.CORE))


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def git_repo(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{key}_NAME", "Release Test")
        monkeypatch.setenv(f"GIT_{key}_EMAIL", "release@example.org")
    _git(repo, "init", "--quiet")
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "start")
    return repo


def test_the_cli_prints_the_tag_and_creates_it_only_with_tag(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = PLUGINS[0]
    new = _next_minor(_version(git_repo, name))
    assert release.main(["--root", str(git_repo), "bump", name, new]) == 0
    assert f"Tag to create: {name}-v{new}" in capsys.readouterr().out
    assert _git(git_repo, "tag", "--list") == ""

    _git(git_repo, "commit", "--quiet", "-am", "release")
    assert release.main(["--root", str(git_repo), "tag", name]) == 0
    assert _git(git_repo, "tag", "--list").split() == [f"{name}-v{new}"]
    assert release.main(["--root", str(git_repo), "tag", name]) == 1
    assert f"Tag {name}-v{new} exists already" in capsys.readouterr().err


def test_bump_with_tag_commits_the_release_and_tags_that_commit(git_repo: Path) -> None:
    name = PLUGINS[-1]
    new = _next_minor(_version(git_repo, name))

    assert release.main(["--root", str(git_repo), "bump", name, new, "--tag"]) == 0

    tagged = _git(git_repo, "show", f"{name}-v{new}:{release.DISTRIBUTIONS[name]}/pyproject.toml")
    assert f'version = "{new}"' in tagged
    assert _git(git_repo, "status", "--porcelain") == ""


def test_bump_with_tag_refuses_uncommitted_changes_before_changing_anything(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = PLUGINS[0]
    readme = git_repo / release.DISTRIBUTIONS[name] / "README.md"
    readme.write_text("work in progress\n")
    unchanged = _files(git_repo, name)

    assert release.main(["--root", str(git_repo), "bump", name, "9.0.0", "--tag"]) == 1

    assert "has uncommitted changes; commit or stash them" in capsys.readouterr().err
    assert _files(git_repo, name) == unchanged


def test_tag_with_commit_commits_the_bumped_files_and_tags_that_commit(git_repo: Path) -> None:
    name = PLUGINS[0]
    new = _next_minor(_version(git_repo, name))
    release.bump(name, new, TODAY, git_repo)

    assert release.main(["--root", str(git_repo), "tag", name, "--commit"]) == 0

    assert _git(git_repo, "status", "--porcelain") == ""
    assert _git(git_repo, "log", "-1", "--format=%s", f"{name}-v{new}").strip() == (
        f"Release {name} {new}"
    )

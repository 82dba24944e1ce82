"""Release one distribution of the monorepo on its own version line.

``nox -s release -- hexkit-mongodb 0.2.0`` runs ``python -m tools.release bump hexkit-mongodb
0.2.0``, builds only that distribution and tests it against the oldest core it claims and the
current core (see ``release_steps.py``). Run it from the repository root; the subcommands:

    bump DIST VERSION [--tag]   set DIST's version to VERSION in its pyproject.toml, close the
                                CHANGELOG's "## Unreleased" section as "## VERSION (date)" under
                                a fresh empty one, and print the tag DIST-vVERSION to create;
                                with --tag, also commit those two files and create the tag
    tag DIST [--commit]         tag the committed release: DIST-v<its pyproject version>;
                                with --commit, commit the bumped two files first
    oldest-core DIST            print, as JSON, where the oldest core DIST claims comes from

A CHANGELOG has a title, then "## Unreleased" (one, first, possibly empty), then released
sections "## <version> (<YYYY-MM-DD>)", newest first. Nothing is ever fetched from PyPI, whose
``hexkit`` is an unrelated project: the oldest core comes from our own tags ``hexkit-v*``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from tools.distributions import CORE, DISTRIBUTIONS, ROOT

UNRELEASED = "## Unreleased"
_RELEASED = re.compile(r"^## (?P<version>\S+) \((?P<date>\d{4}-\d{2}-\d{2})\)$")
_VERSION_LINE = re.compile(r'^version = "(?P<version>[^"]*)"$', re.MULTILINE)


class ReleaseError(Exception):
    """A release step refused: the message names the value and says what to do."""


@dataclass(frozen=True)
class Changelog:
    """A parsed CHANGELOG: the title, the Unreleased entries and the released sections."""

    title: str
    unreleased: str
    released: list[tuple[Version, str]]  # (version, whole section text), newest first

    @property
    def last_release(self) -> Version | None:
        """Return the newest released version, or None before the first release."""
        return self.released[0][0] if self.released else None


def tag_name(distribution: str, version: Version | str) -> str:
    """Return the git tag of a release: ``<distribution>-v<version>``."""
    return f"{distribution}-v{version}"


def folder(distribution: str, root: Path = ROOT) -> Path:
    """Return the folder of ``distribution``; refuse a name that is not ours."""
    if distribution not in DISTRIBUTIONS:
        known = ", ".join(sorted(DISTRIBUTIONS))
        raise ReleaseError(f"Unknown distribution {distribution!r}; use one of: {known}.")
    return root / DISTRIBUTIONS[distribution]


def parse_version(text: str) -> Version:
    """Parse a release version; refuse one that is invalid or not written canonically."""
    try:
        version = Version(text)
    except InvalidVersion:
        raise ReleaseError(f"{text!r} is not a version; give one like 0.2.0 (PEP 440).") from None
    if version.local is not None:
        raise ReleaseError(
            f"Version {text!r} is not releasable: a local version (+...) names a build, not "
            f"a release; give {version.public!r}."
        )
    if str(version) != text:
        raise ReleaseError(f"Version {text!r} is not in canonical form; write it as '{version}'.")
    return version


def parse_changelog(text: str, name: str = "CHANGELOG.md") -> Changelog:
    """Split a CHANGELOG into its parts; refuse any shape other than the documented one."""
    title, *sections = re.split(r"^(?=## )", text, flags=re.MULTILINE)
    if not sections or sections[0].splitlines()[0] != UNRELEASED:
        first = sections[0].splitlines()[0] if sections else "(no section)"
        raise ReleaseError(
            f"{name}: the first section is {first!r}; it must be {UNRELEASED!r} "
            "(rename it, or add an empty one above the last release)."
        )
    unreleased = sections[0].removeprefix(UNRELEASED).strip("\n")
    released: list[tuple[Version, str]] = []
    for section in sections[1:]:
        heading = section.splitlines()[0]
        match = _RELEASED.match(heading)
        if match is None:
            raise ReleaseError(
                f"{name}: heading {heading!r} is not '## <version> (<YYYY-MM-DD>)'; fix it "
                f"(there is one {UNRELEASED!r} section, the first)."
            )
        version = parse_version(match["version"])
        if released and version >= released[-1][0]:
            raise ReleaseError(
                f"{name}: {version} is listed below {released[-1][0]}; "
                "put released sections newest first."
            )
        released.append((version, section))
    return Changelog(title, unreleased, released)


def close_unreleased(text: str, version: Version, date: datetime.date, name: str) -> str:
    """Return the CHANGELOG with its Unreleased entries released as ``version`` on ``date``."""
    changelog = parse_changelog(text, name)
    if not changelog.unreleased.strip():
        raise ReleaseError(
            f"{name}: the {UNRELEASED!r} section is empty; add the entries of "
            f"{version} before releasing it."
        )
    sections = [
        f"{UNRELEASED}\n\n",
        f"## {version} ({date.isoformat()})\n\n{changelog.unreleased}\n\n",
        *(section for _, section in changelog.released),
    ]
    return (changelog.title + "".join(sections)).rstrip("\n") + "\n"


def project(pyproject_text: str) -> dict[str, object]:
    """Return the [project] table of a pyproject.toml text."""
    table = tomllib.loads(pyproject_text)["project"]
    assert isinstance(table, dict)  # noqa: S101 - tomllib returns tables as dicts
    return table


def set_version(pyproject_text: str, version: Version) -> str:
    """Return the pyproject.toml text with [project] version set to ``version``."""
    start = pyproject_text.index("[project]\n")
    match = _VERSION_LINE.search(pyproject_text, start)
    if match is None:
        raise ReleaseError('pyproject.toml has no line `version = "..."` under [project].')
    before, after = pyproject_text[: match.start()], pyproject_text[match.end() :]
    updated = f'{before}version = "{version}"{after}'
    if project(updated)["version"] != str(version):
        raise ReleaseError('pyproject.toml: the first `version = "..."` is not [project] version.')
    return updated


def check_new_version(
    current: Version, changelog: Changelog, version: Version, distribution: str
) -> None:
    """Refuse a version that does not come after the last release (or the planned first)."""
    last = changelog.last_release
    if last is not None and last != current:
        raise ReleaseError(
            f"{distribution}: pyproject.toml says {current} but the CHANGELOG's last release "
            f"is {last}; make them agree before releasing."
        )
    if last is not None and version <= last:
        raise ReleaseError(
            f"{distribution} {version} is not greater than the last release {last}; "
            "give a higher version."
        )
    if version < current:
        raise ReleaseError(
            f"{distribution} {version} is lower than the version in its pyproject.toml "
            f"({current}); give {current} or higher."
        )


def requirement_on(requirements: list[str], name: str) -> Requirement | None:
    """Return the requirement on ``name`` among ``requirements``, if any."""
    return next((req for req in map(Requirement, requirements) if req.name == name), None)


def check_cross_requirements(root: Path, distribution: str, version: Version) -> None:
    """Refuse a version that our other pyproject files would exclude; say which to widen."""
    problems: list[str] = []
    for path in DISTRIBUTIONS.values():
        table = project((root / path / "pyproject.toml").read_text())
        lists = {"dependencies": table.get("dependencies", [])}
        extras = table.get("optional-dependencies", {})
        assert isinstance(extras, dict)  # noqa: S101 - a TOML table
        lists |= {f"extra {extra!r}": items for extra, items in extras.items()}
        for where, items in lists.items():
            assert isinstance(items, list)  # noqa: S101 - a TOML array
            req = requirement_on(items, distribution)
            if req is not None and not req.specifier.contains(version, prereleases=True):
                problems.append(f"{path}/pyproject.toml {where}: {req}")
    if problems:
        raise ReleaseError(
            f"{distribution} {version} is outside the range our distributions require: "
            + "; ".join(problems)
            + ". Widen those requirements first (and release what they belong to)."
        )


def bump(distribution: str, version_text: str, date: datetime.date, root: Path = ROOT) -> str:
    """Bump the version and close the CHANGELOG of ``distribution``; return the tag to create."""
    base = folder(distribution, root)
    version = parse_version(version_text)
    pyproject, changelog_path = base / "pyproject.toml", base / "CHANGELOG.md"
    pyproject_text, changelog_text = pyproject.read_text(), changelog_path.read_text()
    current = Version(str(project(pyproject_text)["version"]))
    changelog = parse_changelog(changelog_text, f"{base.name}/CHANGELOG.md")
    check_new_version(current, changelog, version, distribution)
    check_cross_requirements(root, distribution, version)
    closed = close_unreleased(changelog_text, version, date, f"{base.name}/CHANGELOG.md")
    pyproject.write_text(set_version(pyproject_text, version))
    changelog_path.write_text(closed)
    return tag_name(distribution, version)


@dataclass(frozen=True)
class CoreSource:
    """Where the oldest core a plugin claims comes from: a tag of ours or the working tree."""

    claimed: str  # the plugin's requirement on the core, e.g. "hexkit<2,>=1.0"
    version: str
    tag: str | None  # None: the working tree's core is the oldest claimed
    note: str


def lower_bound(specifier: SpecifierSet, name: str) -> Version:
    """Return the version of the one ``>=`` clause of ``specifier``."""
    bounds = [Version(spec.version) for spec in specifier if spec.operator == ">="]
    if len(bounds) != 1:
        raise ReleaseError(
            f"The requirement on {name} ({specifier or 'any version'}) has no single '>=' "
            "lower bound; write it as >=X.Y,<X+1."
        )
    return bounds[0]


def oldest_core(claim: Requirement, tags: list[str], current: Version) -> CoreSource:
    """Choose the source of the oldest core release ``claim`` admits (X.Y.* of its >=X.Y)."""
    floor = lower_bound(claim.specifier, claim.name)
    prefix = f"{CORE}-v"

    def claimed_series(version: Version) -> bool:
        head = floor.release
        return version.release[: len(head)] == head and claim.specifier.contains(version)

    tagged = []
    for tag in tags:
        if tag.startswith(prefix):
            try:
                tagged.append(Version(tag.removeprefix(prefix)))
            except InvalidVersion:
                continue
    released = sorted(version for version in tagged if claimed_series(version))
    if released:
        tag = tag_name(CORE, released[0])
        return CoreSource(str(claim), str(released[0]), tag, f"tag {tag}")
    if claimed_series(current):
        note = (
            f"no tag {prefix}{floor}.* yet: the working tree's core {current} is the oldest "
            "claimed, so the current-core run covers both"
        )
        return CoreSource(str(claim), str(current), None, note)
    raise ReleaseError(
        f"{claim} claims {CORE} {floor}, but there is no tag {prefix}{floor}.* and the working "
        f"tree's core is {current}. Tag the {floor} release (git tag -a {prefix}{floor}.0 "
        "<commit>; fetch tags in CI) or raise the lower bound."
    )


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own fixed git command lines
        ["git", "-C", str(root), *args],  # noqa: S607 - git from PATH, like a developer's
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def git_tags(root: Path = ROOT) -> list[str]:
    """Return the tags of the repository at ``root``."""
    return _git(root, "tag", "--list").split()


def require_committed(distribution: str, root: Path = ROOT) -> None:
    """Refuse to tag while ``distribution``'s folder has uncommitted changes."""
    path = DISTRIBUTIONS[distribution]
    if _git(root, "status", "--porcelain", "--", path).strip():
        raise ReleaseError(
            f"{path}/ has uncommitted changes; commit or stash them first, so that the tag "
            "names exactly what was built and tested."
        )


def tag_release(distribution: str, root: Path = ROOT) -> str:
    """Create the annotated tag of the committed release of ``distribution``; return it."""
    base = folder(distribution, root)
    version = Version(str(project((base / "pyproject.toml").read_text())["version"]))
    changelog = parse_changelog((base / "CHANGELOG.md").read_text(), f"{base.name}/CHANGELOG.md")
    if changelog.last_release != version:
        raise ReleaseError(
            f"{distribution} {version} has no released CHANGELOG section (the last is "
            f"{changelog.last_release}); run `bump {distribution} {version}` first."
        )
    tag = tag_name(distribution, version)
    if tag in git_tags(root):
        raise ReleaseError(f"Tag {tag} exists already; release a higher version.")
    require_committed(distribution, root)
    _git(root, "tag", "-a", tag, "-m", f"{distribution} {version}")
    return tag


def commit_release(distribution: str, root: Path = ROOT) -> None:
    """Commit the bumped pyproject.toml and CHANGELOG.md of ``distribution``."""
    base = folder(distribution, root)
    version = project((base / "pyproject.toml").read_text())["version"]
    files = [f"{base.name}/pyproject.toml", f"{base.name}/CHANGELOG.md"]
    _git(root, "commit", "--quiet", "-m", f"Release {distribution} {version}", "--", *files)


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; a refusal prints its reason and returns 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    bump_parser = commands.add_parser("bump", help="set the version, close the CHANGELOG")
    bump_parser.add_argument("distribution")
    bump_parser.add_argument("version")
    bump_parser.add_argument("--tag", action="store_true", help="also commit and create the tag")
    bump_parser.add_argument("--date", type=datetime.date.fromisoformat, default=None)
    tag_parser = commands.add_parser("tag", help="tag the committed release")
    tag_parser.add_argument("distribution")
    tag_parser.add_argument("--commit", action="store_true", help="commit the bump first")
    commands.add_parser("oldest-core", help="JSON: the oldest core claimed").add_argument(
        "distribution"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(_run(args) + "\n")
    except ReleaseError as error:
        sys.stderr.write(f"release: {error}\n")
        return 1
    return 0


def _run(args: argparse.Namespace) -> str:
    root: Path = args.root
    if args.command == "oldest-core":
        base = folder(args.distribution, root)
        dependencies = project((base / "pyproject.toml").read_text())["dependencies"]
        assert isinstance(dependencies, list)  # noqa: S101 - a TOML array
        claim = requirement_on(dependencies, CORE)
        if claim is None:
            raise ReleaseError(f"{args.distribution} does not depend on {CORE}; nothing to check.")
        core = project((root / DISTRIBUTIONS[CORE] / "pyproject.toml").read_text())["version"]
        source = oldest_core(claim, git_tags(root), Version(str(core)))
        return json.dumps(source.__dict__)
    if args.command == "tag":
        if args.commit:
            commit_release(args.distribution, root)
        return f"Created tag {tag_release(args.distribution, root)}"
    folder(args.distribution, root)
    tag = tag_name(args.distribution, parse_version(args.version))
    if args.tag:
        if tag in git_tags(root):
            raise ReleaseError(f"Tag {tag} exists already; release a higher version.")
        require_committed(args.distribution, root)
    bump(args.distribution, args.version, args.date or datetime.date.today(), root)
    if not args.tag:
        return (
            f"Bumped {args.distribution} to {args.version}. Tag to create: {tag}\n"
            f"Commit the release, then run: python -m tools.release tag {args.distribution}"
        )
    commit_release(args.distribution, root)
    return f"Committed the release and created tag {tag_release(args.distribution, root)}"


if __name__ == "__main__":
    sys.exit(main())

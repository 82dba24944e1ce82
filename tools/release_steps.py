"""The steps of ``nox -s release``: bump, build one distribution, test it, tag it.

``release.py`` holds the rules (versions, CHANGELOGs, tags) and runs in the session's venv;
this module sequences them with the build and the test runs of ``compat.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tools.compat import against_current_core, against_oldest_core, run_suite
from tools.distributions import CORE, DISTRIBUTIONS, PLUGINS, ROOT, wheel_prefix, wheels

if TYPE_CHECKING:
    import nox

USAGE = (
    "Usage: nox -s release -- <distribution> <version> [--tag]; "
    f"distributions: {', '.join(DISTRIBUTIONS)}."
)


def parse_args(args: list[str]) -> tuple[str, str, bool] | None:
    """Return (distribution, version, tag?) of the session's arguments; None if malformed."""
    tag = "--tag" in args
    rest = [arg for arg in args if arg != "--tag"]
    if len(rest) != 2:
        return None
    return rest[0], rest[1], tag


def build_one(session: nox.Session, name: str, version: str, dist: Path) -> Path:
    """Build only ``name`` into ``dist``, replacing its older files there; return its wheel."""
    prefix = wheel_prefix(name)
    for old in dist.glob(f"{prefix}*"):
        if old.name[len(prefix)].isdigit():
            old.unlink()
    folder = ROOT / DISTRIBUTIONS[name]
    session.run("python", "-m", "build", "--installer", "uv", "--outdir", str(dist), str(folder))
    found = wheels(dist, name, version)
    if len(found) != 1:
        session.error(f"Expected one wheel {prefix}{version}-*.whl in dist/, found {found}.")
    return found[0]


def release(session: nox.Session, name: str, version: str, *, tag: bool, dist: Path) -> None:
    """Bump ``name`` to ``version``, build it alone, test its wheel; with ``tag``, tag it."""
    folder = DISTRIBUTIONS.get(name, name)
    if tag:
        dirty = session.run(
            "git", "status", "--porcelain", "--", folder, silent=True, external=True
        )
        if str(dirty).strip():
            session.error(f"{folder}/ has uncommitted changes; commit them before --tag.")
    session.run("python", "-m", "tools.release", "bump", name, version)
    try:
        wheel = build_one(session, name, version, dist)
        if name == CORE:
            # The core's tests list the first-party plugins: those of the working tree.
            plugins = {plugin: ROOT / DISTRIBUTIONS[plugin] for plugin in PLUGINS}
            run_suite(session, CORE, (wheel, version), plugins, [f"{folder}/tests"])
        else:
            against_current_core(session, name, wheel, [f"{folder}/tests"])
            against_oldest_core(session, name, wheel, [f"{folder}/tests"])
    except BaseException:
        session.warn(
            f"The bump of {name} to {version} is left in place; undo it with "
            f"`git checkout -- {folder}/pyproject.toml {folder}/CHANGELOG.md`."
        )
        raise
    if tag:
        session.run("python", "-m", "tools.release", "tag", name, "--commit")
    else:
        session.log(
            f"Released {name} {version} into dist/. Commit {folder}/pyproject.toml and "
            f"{folder}/CHANGELOG.md, then create the tag {name}-v{version} with "
            f"`python -m tools.release tag {name}`."
        )

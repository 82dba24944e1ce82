"""Run a distribution's tests against the cores it claims: the compatibility matrix.

``nox -s compat`` runs, in a venv holding only the core and that plugin, the files of each plugin
that run the conformance kit against the working tree's core and against the oldest core it
claims (our tag ``hexkit-v<X.Y.*>``, extracted with ``git archive``, never from PyPI); with
``--full`` both cells run the plugin's whole suite. ``nox -s tests`` already runs every whole
suite against the working tree's core, so the default matrix adds only what it alone can show:
each plugin installed on its own, and the oldest claimed core.
``nox -s release`` runs the same cells for the distribution it releases, against its wheel.
Each cell is a fresh venv holding only the core and the plugin under test.
"""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

from tools.distributions import DISTRIBUTIONS, PLUGINS, ROOT, kit_tests, version

if TYPE_CHECKING:
    import nox

# Installer settings of the machine must not add an index (PyPI's hexkit is not ours).
NO_EXTRA_INDEX = {"PIP_CONFIG_FILE": "/dev/null", "UV_EXTRA_INDEX_URL": None, "UV_FIND_LINKS": None}


def core_check(expected: str) -> str:
    """Return Python code that exits non-zero unless hexkit ``expected`` comes from the venv."""
    return (
        "import importlib.metadata as m, hexkit.protocols as p, sys; "
        "v = m.version('hexkit'); print('hexkit', v, 'from', p.__file__); "
        f"sys.exit(v != {expected!r} or not p.__file__.startswith(sys.prefix))"
    )


def requirements(core: Path, plugins: dict[str, Path]) -> list[str]:
    """Return the direct references that install ``core`` and ``plugins`` with ``[testing]``."""
    wanted = [f"hexkit[testing] @ {core.resolve().as_uri()}"]
    return wanted + [
        f"{name}[testing] @ {path.resolve().as_uri()}" for name, path in plugins.items()
    ]


def run_suite(
    session: nox.Session,
    label: str,
    core: tuple[Path, str],
    plugins: dict[str, Path],
    tests: list[str],
) -> None:
    """In a fresh venv holding only the core and ``plugins`` (``[testing]``), run ``tests``.

    ``core`` is (folder or wheel, expected version); ``plugins`` maps names to a folder or
    wheel. The installed core is checked to be that version, imported from the venv.
    """
    venv = Path(session.create_tmp()) / "venvs" / label
    shutil.rmtree(venv, ignore_errors=True)
    python = str(venv / "bin" / "python")
    session.run("uv", "venv", "--quiet", "--python", str(Path(session.bin) / "python"), str(venv))
    core_path, core_version = core
    session.run(
        "uv",
        "pip",
        "install",
        "--quiet",
        "--python",
        python,
        "-c",
        str(ROOT / "constraints.txt"),
        # Local builds are cached by pyproject.toml; rebuild ours from the sources every time.
        *(f"--reinstall-package={name}" for name in ["hexkit", *plugins]),
        *requirements(core_path, plugins),
        env=NO_EXTRA_INDEX,
    )
    # The core imported must be the one meant, from the venv: not a working-tree path.
    session.run(python, "-c", core_check(core_version), external=True)
    session.log(f"[{label}] hexkit {core_version} + {', '.join(plugins)}")
    session.run(python, "-m", "pytest", "-q", *tests, external=True)


def tagged_core(session: nox.Session, tag: str) -> Path:
    """Extract hexkit-core/ of our tag ``tag`` (git archive, never PyPI); return its folder."""
    target = Path(session.create_tmp()) / tag
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = target / "core.tar"
    session.run("git", "archive", "--output", str(archive), tag, "hexkit-core", external=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target / "hexkit-core"


def against_current_core(session: nox.Session, plugin: str, source: Path, tests: list[str]) -> None:
    """Run ``tests`` of ``plugin`` (a folder or wheel) against the working tree's core."""
    current = (ROOT / DISTRIBUTIONS["hexkit"], version("hexkit"))
    run_suite(session, f"{plugin}-current-core", current, {plugin: source}, tests)


def against_oldest_core(session: nox.Session, plugin: str, source: Path, tests: list[str]) -> None:
    """Run ``tests`` of ``plugin`` against the oldest core it claims, when that is a tag."""
    output = session.run("python", "-m", "tools.release", "oldest-core", plugin, silent=True)
    oldest: dict[str, str | None] = json.loads(str(output))
    if oldest["tag"] is None:
        session.log(f"{plugin}: {oldest['claimed']}; {oldest['note']}.")
        return
    session.log(f"{plugin}: {oldest['claimed']}; oldest claimed core from our {oldest['note']}.")
    core = (tagged_core(session, str(oldest["tag"])), str(oldest["version"]))
    run_suite(session, f"{plugin}-oldest-core", core, {plugin: source}, tests)


def matrix(session: nox.Session, args: list[str], failure: type[Exception]) -> list[str]:
    """Run every cell of the matrix; return the cells that raised ``failure``.

    ``args`` are the session's: ``--full`` runs whole suites in both cells instead of the kit
    files; the others go to pytest.
    """
    full = "--full" in args
    pytest_args = [arg for arg in args if arg != "--full"]
    failed: list[str] = []
    for plugin in PLUGINS:
        source = ROOT / DISTRIBUTIONS[plugin]
        tests = [f"{DISTRIBUTIONS[plugin]}/tests"] if full else kit_tests(plugin)
        for cell, run in (
            ("current core", against_current_core),
            ("oldest claimed core", against_oldest_core),
        ):
            try:
                run(session, plugin, source, [*tests, *pytest_args])
            except failure:
                failed.append(f"{plugin} x {cell}")
    return failed

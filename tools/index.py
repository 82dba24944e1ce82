"""Serve our package index on loopback and test installing hexkit* by name from it alone.

``nox -s index`` builds ``index/`` with ``simple_index.py``; ``nox -s indextest`` calls
:func:`install_by_name`, which installs ``hexkit[mongodb,s3]`` into fresh venvs four ways (pip over
HTTP, uv offline from the wheelhouse, the hash-pinned requirements, and a uv project configured
exactly as the install guide's example) and checks each install is made of our wheels.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.distributions import ROOT, wheels

if TYPE_CHECKING:
    import nox

INSTALL_GUIDE = ROOT / "docs" / "install.md"
EXAMPLE_URL = "https://pkgs.example.org/hexkit/simple/"
SMOKE = ROOT / "tests" / "index_smoke.py"
# Installer settings of the machine must not add an index: ours is the only one.
CLEAN_ENV: dict[str, str | None] = {
    "PIP_CONFIG_FILE": "/dev/null",
    "PIP_EXTRA_INDEX_URL": None,
    "PIP_FIND_LINKS": None,
    "UV_INDEX": None,
    "UV_EXTRA_INDEX_URL": None,
    "UV_FIND_LINKS": None,
}
_PROJECT_HEADER = (
    '[project]\nname = "acme-service"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
)


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on loopback; yield its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def uv_example(guide: str) -> str:
    """Return the guide's ``toml`` block that configures our index for a uv project."""
    blocks = [block.split("```", 1)[0] for block in guide.split("```toml\n")[1:]]
    config = next((block for block in blocks if "[[tool.uv.index]]" in block), None)
    if config is None or EXAMPLE_URL not in config:
        raise ValueError(f"The install guide has no uv example naming {EXAMPLE_URL}.")
    return config


def uv_project(config: str, url: str) -> str:
    """Return a pyproject.toml of a project configured as ``config``, with our index at ``url``."""
    return _PROJECT_HEADER + config.replace("[project]\n", "").replace(EXAMPLE_URL, url)


def foreign_sources(lock: Mapping[str, Any], url: str) -> dict[str, Any] | None:
    """Return the hexkit* sources of a uv.lock unless they are exactly ours from ``url``."""
    sources = {
        package["name"]: package["source"]
        for package in lock["package"]
        if package["name"].startswith("hexkit")
    }
    ours = set(sources) == {"hexkit", "hexkit-mongodb", "hexkit-s3"}
    if ours and all(source == {"registry": url} for source in sources.values()):
        return None
    return sources


def _uv_install(session: nox.Session, venv: Path, *args: str) -> None:
    session.run("uv", "venv", "--quiet", "--python", str(Path(session.bin) / "python"), str(venv))
    python = str(venv / "bin" / "python")
    command = ["uv", "pip", "install", "--quiet", "--no-config", "--no-cache", "--python", python]
    session.run(*command, *args, env=CLEAN_ENV)


def _lock_uv_project(session: nox.Session, index: Path, project: Path) -> None:
    """Lock a project configured exactly as the install guide's uv example."""
    config = uv_example(INSTALL_GUIDE.read_text())
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    with serve(index) as base:
        url = f"{base}/simple/"
        (project / "pyproject.toml").write_text(uv_project(config, url))
        # Third-party packages come from PyPI here, as in the guide; hexkit* may not.
        session.run(
            "uv", "lock", "--quiet", "--no-cache", "--directory", str(project), env=CLEAN_ENV
        )
    sources = foreign_sources(tomllib.loads((project / "uv.lock").read_text()), url)
    if sources is not None:
        session.error(f"uv locked hexkit* from {sources}, expected only {url}.")
    session.log("uv locked hexkit, hexkit-mongodb, hexkit-s3 from our index only")


def install_by_name(session: nox.Session, index: Path, dist: Path) -> None:
    """Install hexkit[mongodb,s3] by name from ``index`` alone, four ways, and check each."""
    if not (index / "simple" / "hexkit" / "index.html").is_file():
        session.error("No index/ to test; run `nox -s build index` first.")
    ours = [str(wheels(dist, name)[0]) for name in ("hexkit", "hexkit-mongodb", "hexkit-s3")]
    tmp = Path(session.create_tmp())
    by_name, offline, locked = tmp / "by-name", tmp / "offline", tmp / "locked"
    for venv in (by_name, offline, locked):
        shutil.rmtree(venv, ignore_errors=True)
    # 1. pip, the plain way a user installs: a fresh venv, our index served over HTTP.
    session.run("python", "-m", "venv", str(by_name))
    pip = [str(by_name / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-cache-dir"]
    with serve(index) as url:
        session.run(
            *pip,
            "--index-url",
            f"{url}/simple/",
            "hexkit[mongodb,s3]",
            env=CLEAN_ENV,
            external=True,
        )
    # 2. uv on an air-gapped machine: no index at all, only the wheelhouse; everything, to
    # prove the wheelhouse complete: every extra of every distribution.
    wheelhouse = ["--no-index", "--find-links", str(index / "files")]
    everything = ["hexkit[mongodb,postgres,s3,testing]", "hexkit-mongodb[testing,motor]"]
    everything += ["hexkit-postgres[testing]", "hexkit-s3[testing]"]
    _uv_install(session, offline, *wheelhouse, *everything)
    # 3. The hash-pinned requirements: every file checked against its recorded hash.
    requirements = str(index / "requirements.txt")
    _uv_install(session, locked, *wheelhouse, "--require-hashes", "-r", requirements)
    # 4. A uv project configured as the install guide says.
    _lock_uv_project(session, index, tmp / "uv-project")
    for venv in (by_name, offline, locked):
        session.run(str(venv / "bin" / "python"), str(SMOKE), *ours, external=True)
        session.run(str(venv / "bin" / "hexkit"), "--version", external=True)

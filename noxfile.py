"""The one task runner of the hexkit monorepo.

Our distributions are installed from local paths (editable), from the wheel files in
``dist/``, or by name from our own index built by ``nox -s index`` and nothing else:
PyPI hosts an unrelated ``hexkit``, so no session ever resolves ``hexkit*`` there.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import re
import shutil
import tarfile
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import nox
import nox.command

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.error_on_external_run = True

ROOT = Path(__file__).parent
DISTRIBUTIONS = {
    "hexkit": "hexkit-core",
    "hexkit-mongodb": "hexkit-mongodb",
    "hexkit-postgres": "hexkit-postgres",
    "hexkit-s3": "hexkit-s3",
}
SOURCES = [f"{folder}/src" for folder in DISTRIBUTIONS.values()]
TEST_PATHS = [f"{folder}/tests" for folder in DISTRIBUTIONS.values()] + ["tests"]
PYTHON = "3.11"
# What the reference file services in examples/ need on top of hexkit.
EXAMPLE_DEPS = ["fastapi>=0.110", "uvicorn>=0.30", "httpx>=0.27"]


def install(session: nox.Session, *args: str) -> None:
    """Install third-party packages at the versions pinned in constraints.txt."""
    session.install("-c", str(ROOT / "constraints.txt"), *args)


def install_editable(session: nox.Session, *extras: str) -> None:
    """Install every distribution editable, from its folder, in one resolve."""
    core = "./hexkit-core" + (f"[{','.join(extras)}]" if extras else "")
    install(
        session,
        "-e",
        core,
        "-e",
        "./hexkit-mongodb[testing]",
        "-e",
        "./hexkit-postgres[testing]",
        "-e",
        "./hexkit-s3[testing]",
    )


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run every test suite: core, providers and cross-distribution tests."""
    install_editable(session, "testing")
    install(session, "packaging", *EXAMPLE_DEPS)
    session.run("pytest", *TEST_PATHS, *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    install(session, "ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """Type-check the src trees and the example services with mypy --strict."""
    install_editable(session, "testing")
    install(session, "mypy==2.4.1", "boto3-stubs[s3]", *EXAMPLE_DEPS)
    session.run("mypy", *SOURCES, "examples/file_services")


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build wheels and sdists of every distribution into dist/."""
    shutil.rmtree(ROOT / "dist", ignore_errors=True)
    install(session, "build[uv]")
    for folder in DISTRIBUTIONS.values():
        session.run(
            "python", "-m", "build", "--installer", "uv", "--outdir", str(ROOT / "dist"), folder
        )


@nox.session(python=PYTHON)
def wheeltest(session: nox.Session) -> None:
    """Install hexkit[mongodb,postgres,s3] from dist/ wheels into a clean venv and check the CLI."""
    wheels = {
        name: sorted((ROOT / "dist").glob(f"{name.replace('-', '_')}-*.whl"))
        for name in DISTRIBUTIONS
    }
    missing = [name for name, found in wheels.items() if len(found) != 1]
    if missing:
        session.error(f"Expected one wheel each in dist/ for {missing}; run `nox -s build` first.")
    core = str(wheels["hexkit"][0])
    install(
        session,
        f"hexkit[mongodb,postgres,s3] @ file://{core}",
        str(wheels["hexkit-mongodb"][0]),
        str(wheels["hexkit-postgres"][0]),
        str(wheels["hexkit-s3"][0]),
    )
    output = session.run("hexkit", "providers", "--json", silent=True)
    rows = json.loads(str(output))
    session.log(json.dumps(rows, indent=2))
    expected = {
        ("dao", "memory", "hexkit"),
        ("objstorage", "memory", "hexkit"),
        ("dao", "mongodb", "hexkit-mongodb"),
        ("dao", "postgres", "hexkit-postgres"),
        ("objstorage", "s3", "hexkit-s3"),
    }
    found = {(row["kind"], row["name"], row["distribution"]) for row in rows}
    if not expected <= found:
        session.error(
            f"hexkit providers lists {sorted(found)}, expected at least {sorted(expected)}."
        )
    broken = [row for row in rows if row["status"] != "ok"]
    if broken:
        session.error(f"Providers not usable from the wheels: {broken}")
    session.run("python", str(ROOT / "tests" / "wheel_smoke.py"))


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Run the file services on embedded servers and push a 20 MiB file through them."""
    install_editable(session)
    install(session, *EXAMPLE_DEPS)
    session.run(
        "python", "-m", "file_services.demo", *session.posargs, env={"PYTHONPATH": "examples"}
    )


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Run the benchmarks; results land in bench/README.md."""
    install_editable(session, "testing")
    for script in sorted((ROOT / "bench").glob("*.py")):
        session.run("python", str(script), *session.posargs)


# --- The package index of our own (issue 12): hexkit* by name, never from PyPI ---------------
INDEX = ROOT / "index"


@nox.session(python=PYTHON)
def index(session: nox.Session) -> None:
    """Build index/: a PEP 503 simple index of dist/ plus a wheel of every dependency."""
    install(session, "pip", "packaging")
    session.run(
        "python",
        str(ROOT / "tools" / "simple_index.py"),
        "--dist",
        str(ROOT / "dist"),
        "--constraints",
        str(ROOT / "constraints.txt"),
        "--out",
        str(INDEX),
        # Downloads are cached inside the clone only.
        env={"PIP_CACHE_DIR": str(ROOT / ".nox" / "pip-cache")},
    )


@contextlib.contextmanager
def _serve(directory: Path) -> Iterator[str]:
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


@nox.session(python=PYTHON)
def indextest(session: nox.Session) -> None:
    """Install hexkit[mongodb,s3] by name from index/ alone (HTTP, then offline) and check it."""
    if not (INDEX / "simple" / "hexkit" / "index.html").is_file():
        session.error("No index/ to test; run `nox -s build index` first.")
    install(session, "uv")
    wheels = [
        str(next((ROOT / "dist").glob(f"{name.replace('-', '_')}-*.whl")))
        for name in ("hexkit", "hexkit-mongodb", "hexkit-s3")
    ]
    # Installer settings of the machine must not add an index: ours is the only one.
    clean = {
        "PIP_CONFIG_FILE": "/dev/null",
        "PIP_EXTRA_INDEX_URL": None,
        "PIP_FIND_LINKS": None,
        "UV_INDEX": None,
        "UV_EXTRA_INDEX_URL": None,
        "UV_FIND_LINKS": None,
    }
    tmp = Path(session.create_tmp())
    by_name, offline, locked = tmp / "by-name", tmp / "offline", tmp / "locked"
    for venv in (by_name, offline, locked):
        shutil.rmtree(venv, ignore_errors=True)
    # 1. pip, the plain way a user installs: a fresh venv, our index served over HTTP.
    session.run("python", "-m", "venv", str(by_name))
    with _serve(INDEX) as url:
        session.run(
            str(by_name / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-cache-dir",
            "--index-url",
            f"{url}/simple/",
            "hexkit[mongodb,s3]",
            env=clean,
            external=True,
        )
    # 2. uv on an air-gapped machine: no index at all, only the wheelhouse.
    session.run(
        "uv", "venv", "--quiet", "--python", str(Path(session.bin) / "python"), str(offline)
    )
    session.run(
        "uv",
        "pip",
        "install",
        "--quiet",
        "--no-config",
        "--no-cache",
        "--python",
        str(offline / "bin" / "python"),
        "--no-index",
        "--find-links",
        str(INDEX / "files"),
        # Everything, to prove the wheelhouse complete: every extra of every distribution.
        "hexkit[mongodb,postgres,s3,testing]",
        "hexkit-mongodb[testing,motor]",
        "hexkit-postgres[testing]",
        "hexkit-s3[testing]",
        env=clean,
    )
    # 3. The hash-pinned requirements: every file checked against its recorded hash.
    session.run("uv", "venv", "--quiet", "--python", str(Path(session.bin) / "python"), str(locked))
    session.run(
        "uv",
        "pip",
        "install",
        "--quiet",
        "--no-config",
        "--no-cache",
        "--python",
        str(locked / "bin" / "python"),
        "--no-index",
        "--find-links",
        str(INDEX / "files"),
        "--require-hashes",
        "-r",
        str(INDEX / "requirements.txt"),
        env=clean,
    )
    _lock_readme_uv_project(session, tmp / "uv-project", clean)
    for venv in (by_name, offline, locked):
        python = str(venv / "bin" / "python")
        session.run(python, str(ROOT / "tests" / "index_smoke.py"), *wheels, external=True)
        session.run(str(venv / "bin" / "hexkit"), "--version", external=True)


def _lock_readme_uv_project(
    session: nox.Session, project: Path, env: dict[str, str | None]
) -> None:
    """Lock a project configured exactly as the README's uv example; hexkit* must be ours."""
    readme = (ROOT / "README.md").read_text()
    blocks = [block.split("```", 1)[0] for block in readme.split("```toml\n")[1:]]
    config = next(block for block in blocks if "[[tool.uv.index]]" in block)
    example_url = "https://pkgs.example.org/hexkit/simple/"
    if example_url not in config:
        session.error(f"The README's uv example no longer names {example_url}.")
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    with _serve(INDEX) as url:
        header = '[project]\nname = "acme-service"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        text = header + config.replace("[project]\n", "").replace(example_url, f"{url}/simple/")
        (project / "pyproject.toml").write_text(text)
        # Third-party packages come from PyPI here, as in the README; hexkit* may not.
        session.run("uv", "lock", "--quiet", "--no-cache", "--directory", str(project), env=env)
        lock = tomllib.loads((project / "uv.lock").read_text())
    sources = {
        package["name"]: package["source"]
        for package in lock["package"]
        if package["name"].startswith("hexkit")
    }
    expected = {"registry": f"{url}/simple/"}
    if set(sources) != {"hexkit", "hexkit-mongodb", "hexkit-s3"} or any(
        source != expected for source in sources.values()
    ):
        session.error(f"uv locked hexkit* from {sources}, expected only {expected}.")
    session.log(f"uv locked {sorted(sources)} from our index only")


# --- The documentation site (issue 12) -----------------------------------------------------
@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ with mkdocs --strict (a warning fails it)."""
    install(session, "mkdocs", "mkdocs-material", "mkdocstrings", "mkdocstrings-python")
    session.run(
        "mkdocs", "build", "--strict", "--clean", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"}
    )


# --- Independent releases and the compatibility matrix (issue 12) ---------------------------
RELEASE_TOOL = str(ROOT / "tools" / "release.py")
PLUGINS = [name for name in DISTRIBUTIONS if name != "hexkit"]
# Installer settings of the machine must not add an index (PyPI's hexkit is not ours).
NO_EXTRA_INDEX = {"PIP_CONFIG_FILE": "/dev/null", "UV_EXTRA_INDEX_URL": None, "UV_FIND_LINKS": None}


def _oldest_core(session: nox.Session, plugin: str) -> dict[str, str | None]:
    """Ask tools/release.py where the oldest core ``plugin`` claims comes from."""
    output = session.run("python", RELEASE_TOOL, "oldest-core", plugin, silent=True)
    source: dict[str, str | None] = json.loads(str(output))
    return source


def _tagged_core(session: nox.Session, tag: str) -> Path:
    """Extract hexkit-core/ of our tag ``tag`` (git archive, never PyPI); return its folder."""
    target = Path(session.create_tmp()) / tag
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = target / "core.tar"
    session.run("git", "archive", "--output", str(archive), tag, "hexkit-core", external=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target / "hexkit-core"


def _run_suite(
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
    wanted = [f"hexkit[testing] @ {core_path.resolve().as_uri()}"]
    wanted += [f"{name}[testing] @ {path.resolve().as_uri()}" for name, path in plugins.items()]
    names = ["hexkit", *plugins]
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
        *(f"--reinstall-package={name}" for name in names),
        *wanted,
        env=NO_EXTRA_INDEX,
    )
    # The core imported must be the one meant, from the venv: not a working-tree path.
    check = (
        "import importlib.metadata as m, hexkit.protocols as p, sys; "
        "v = m.version('hexkit'); print('hexkit', v, 'from', p.__file__); "
        f"sys.exit(v != {core_version!r} or not p.__file__.startswith(sys.prefix))"
    )
    session.run(python, "-c", check, external=True)
    session.log(f"[{label}] hexkit {core_version} + {', '.join(plugins)}")
    session.run(python, "-m", "pytest", "-q", *tests, external=True)


def _kit_tests(plugin: str) -> list[str]:
    """Return the test files of ``plugin`` that run a conformance kit class of hexkit.testing."""
    tests = ROOT / DISTRIBUTIONS[plugin] / "tests"
    kit = re.compile(r"^class \w+\(\w+Conformance\):", re.MULTILINE)
    return [str(path) for path in sorted(tests.glob("test_*.py")) if kit.search(path.read_text())]


def _core_version() -> str:
    text = (ROOT / DISTRIBUTIONS["hexkit"] / "pyproject.toml").read_text()
    return str(tomllib.loads(text)["project"]["version"])


def _against_current_core(
    session: nox.Session, plugin: str, source: Path, tests: list[str]
) -> None:
    """Run ``tests`` of ``plugin`` (a folder or wheel) against the working tree's core."""
    current = (ROOT / "hexkit-core", _core_version())
    _run_suite(session, f"{plugin}-current-core", current, {plugin: source}, tests)


def _against_oldest_core(session: nox.Session, plugin: str, source: Path, tests: list[str]) -> None:
    """Run ``tests`` of ``plugin`` against the oldest core it claims, when that is a tag."""
    oldest = _oldest_core(session, plugin)
    if oldest["tag"] is None:
        session.log(f"{plugin}: {oldest['claimed']}; {oldest['note']}.")
        return
    session.log(f"{plugin}: {oldest['claimed']}; oldest claimed core from our {oldest['note']}.")
    core = (_tagged_core(session, str(oldest["tag"])), str(oldest["version"]))
    _run_suite(session, f"{plugin}-oldest-core", core, {plugin: source}, tests)


@nox.session(python=PYTHON)
def compat(session: nox.Session) -> None:
    """The compatibility matrix: each plugin's tests against the oldest core it claims and ours.

    Against the current (working tree) core every plugin runs its whole suite; against the
    oldest core it claims (our tag hexkit-v<X.Y.*>) it runs the files that run the
    conformance kit, to keep CI short, or its whole suite with ``-- --full``. Other arguments
    go to pytest. Every cell runs; the session fails at the end, naming the failed cells.
    """
    install(session, "packaging", "uv")
    full = "--full" in session.posargs
    pytest_args = [arg for arg in session.posargs if arg != "--full"]
    failed: list[str] = []
    for plugin in PLUGINS:
        source = ROOT / DISTRIBUTIONS[plugin]
        suite = [f"{DISTRIBUTIONS[plugin]}/tests"]
        oldest_tests = suite if full else _kit_tests(plugin)
        for cell, run, tests in (
            ("current core", _against_current_core, suite),
            ("oldest claimed core", _against_oldest_core, oldest_tests),
        ):
            try:
                run(session, plugin, source, [*tests, *pytest_args])
            except nox.command.CommandFailed:
                failed.append(f"{plugin} x {cell}")
    if failed:
        session.error(f"The compatibility matrix failed for: {', '.join(failed)}.")


@nox.session(python=PYTHON)
def release(session: nox.Session) -> None:
    """Release one distribution: bump, build it alone into dist/, test it against the cores.

    ``nox -s release -- hexkit-mongodb 0.2.0 [--tag]``. With --tag, after the tests pass, the
    bumped pyproject.toml and CHANGELOG.md are committed and tag hexkit-mongodb-v0.2.0 created.
    """
    tag = "--tag" in session.posargs
    args = [arg for arg in session.posargs if arg != "--tag"]
    if len(args) != 2:
        session.error(
            "Usage: nox -s release -- <distribution> <version> [--tag]; "
            f"distributions: {', '.join(DISTRIBUTIONS)}."
        )
    name, version = args
    install(session, "packaging", "build[uv]", "uv")
    folder = DISTRIBUTIONS.get(name, name)
    if tag:
        dirty = session.run(
            "git", "status", "--porcelain", "--", folder, silent=True, external=True
        )
        if str(dirty).strip():
            session.error(f"{folder}/ has uncommitted changes; commit them before --tag.")
    session.run("python", RELEASE_TOOL, "bump", name, version)
    try:
        wheel = _build_one(session, name, version)
        if name == "hexkit":
            # The core's tests list the first-party plugins: those of the working tree.
            plugins = {plugin: ROOT / DISTRIBUTIONS[plugin] for plugin in PLUGINS}
            _run_suite(session, "hexkit", (wheel, version), plugins, ["hexkit-core/tests"])
        else:
            _against_current_core(session, name, wheel, [f"{folder}/tests"])
            _against_oldest_core(session, name, wheel, [f"{folder}/tests"])
    except BaseException:
        session.warn(
            f"The bump of {name} to {version} is left in place; undo it with "
            f"`git checkout -- {folder}/pyproject.toml {folder}/CHANGELOG.md`."
        )
        raise
    if tag:
        session.run("python", RELEASE_TOOL, "tag", name, "--commit")
    else:
        session.log(
            f"Released {name} {version} into dist/. Commit {folder}/pyproject.toml and "
            f"{folder}/CHANGELOG.md, then create the tag {name}-v{version} with "
            f"`python tools/release.py tag {name}`."
        )


def _build_one(session: nox.Session, name: str, version: str) -> Path:
    """Build only ``name`` into dist/, replacing its older files there; return its wheel."""
    dist = ROOT / "dist"
    prefix = name.replace("-", "_") + "-"
    for old in dist.glob(f"{prefix}*"):
        if old.name[len(prefix)].isdigit():
            old.unlink()
    folder = ROOT / DISTRIBUTIONS[name]
    session.run("python", "-m", "build", "--installer", "uv", "--outdir", str(dist), str(folder))
    wheels = list(dist.glob(f"{prefix}{version}-*.whl"))
    if len(wheels) != 1:
        session.error(f"Expected one wheel {prefix}{version}-*.whl in dist/, found {wheels}.")
    return wheels[0]

"""The one task runner of the hexkit monorepo: a table of sessions; the logic is in tools/.

Our distributions are installed from local paths (editable), from the wheel files in
``dist/``, or by name from our own index built by ``nox -s index`` and nothing else:
PyPI hosts an unrelated ``hexkit``, so no session ever resolves ``hexkit*`` there.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import nox
import nox.command

# tools/ is a package of this repository, not an installed one.
sys.path.insert(0, str(Path(__file__).parent))

from tools import compat as compat_tool
from tools import index as index_tool
from tools import release_steps
from tools.distributions import DISTRIBUTIONS, ROOT, SOURCES, TEST_PATHS, wheels

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.error_on_external_run = True

PYTHON = "3.11"
DIST, INDEX = ROOT / "dist", ROOT / "index"
# What the example applications in examples/ need on top of hexkit[fastapi].
EXAMPLE_DEPS = ["uvicorn>=0.30", "httpx>=0.27", "pyjwt>=2.8", "cryptography>=42"]
# The OpenTelemetry SDK: the tests collect hexkit.otel's spans with its in-memory exporter.
OTEL_SDK = "opentelemetry-sdk"
# The example applications mypy --strict checks with the src trees.
EXAMPLES = ["examples/file_services", "examples/fastapi_app"]
# What `hexkit providers` must list as usable when installed from the wheels.
WHEEL_PROVIDERS = {
    ("dao", "memory", "hexkit"),
    ("objstorage", "memory", "hexkit"),
    ("dao", "mongodb", "hexkit-mongodb"),
    ("dao", "postgres", "hexkit-postgres"),
    ("objstorage", "s3", "hexkit-s3"),
}


def install(session: nox.Session, *args: str) -> None:
    """Install third-party packages at the versions pinned in constraints.txt."""
    session.install("-c", str(ROOT / "constraints.txt"), *args)


def install_editable(session: nox.Session, *extras: str) -> None:
    """Install every distribution editable, from its folder, in one resolve."""
    core = "./hexkit-core" + (f"[{','.join(extras)}]" if extras else "")
    plugins = [f"./{DISTRIBUTIONS[name]}[testing]" for name in DISTRIBUTIONS if name != "hexkit"]
    install(session, "-e", core, *(arg for plugin in plugins for arg in ("-e", plugin)))


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run every test suite: core, providers and cross-distribution tests.

    Test files run in ``HEXKIT_TEST_WORKERS`` processes (pytest-xdist, a file's tests in
    one process; default: up to 2, the cores of a CI machine); ``0`` runs them in this one.
    """
    install_editable(session, "testing", "fastapi", "otel")
    install(session, "packaging", "pytest-xdist", OTEL_SDK, *EXAMPLE_DEPS)
    workers = int(os.environ.get("HEXKIT_TEST_WORKERS") or min(2, os.cpu_count() or 1))
    spread = ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []
    session.run("pytest", *spread, *TEST_PATHS, "tests", "tools/tests", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    install(session, "ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """Type-check the src trees and the example services with mypy --strict."""
    install_editable(session, "testing", "fastapi", "otel")
    install(session, "mypy==2.4.1", "boto3-stubs[s3]", OTEL_SDK, *EXAMPLE_DEPS)
    session.run("mypy", *SOURCES, *EXAMPLES)


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build wheels and sdists of every distribution into dist/."""
    shutil.rmtree(DIST, ignore_errors=True)
    install(session, "build[uv]")
    for folder in DISTRIBUTIONS.values():
        session.run("python", "-m", "build", "--installer", "uv", "--outdir", str(DIST), folder)


@nox.session(python=PYTHON)
def wheeltest(session: nox.Session) -> None:
    """Install hexkit[mongodb,postgres,s3] from dist/ wheels into a clean venv and check the CLI."""
    found = {name: wheels(DIST, name) for name in DISTRIBUTIONS}
    missing = [name for name, files in found.items() if len(files) != 1]
    if missing:
        session.error(f"Expected one wheel each in dist/ for {missing}; run `nox -s build` first.")
    core, *plugins = (str(files[0]) for files in found.values())
    install(session, f"hexkit[mongodb,postgres,s3] @ file://{core}", *plugins)
    rows = json.loads(str(session.run("hexkit", "providers", "--json", silent=True)))
    session.log(json.dumps(rows, indent=2))
    listed = {(row["kind"], row["name"], row["distribution"]) for row in rows}
    if not listed >= WHEEL_PROVIDERS:
        session.error(
            f"hexkit providers lists {sorted(listed)}, expected at least {sorted(WHEEL_PROVIDERS)}."
        )
    broken = [row for row in rows if row["status"] != "ok"]
    if broken:
        session.error(f"Providers not usable from the wheels: {broken}")
    session.run("python", str(ROOT / "tests" / "wheel_smoke.py"))


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Run the file services on embedded servers and push a 20 MiB file through them."""
    install_editable(session, "fastapi")
    install(session, *EXAMPLE_DEPS)
    env = {"PYTHONPATH": "examples"}
    session.run("python", "-m", "file_services.demo", *session.posargs, env=env)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """Run every provider's state machines with a long, random budget (before a release).

    HEXKIT_FUZZ_EXAMPLES (default 500), HEXKIT_FUZZ_STEPS (default 40) and HEXKIT_FUZZ_SEED
    (reproduce a run) come from the environment; other arguments go to pytest.
    """
    install_editable(session, "testing")
    defaults = {"HEXKIT_FUZZ_EXAMPLES": "500", "HEXKIT_FUZZ_STEPS": "40"}
    env = {key: os.environ.get(key, value) for key, value in defaults.items()}
    machines = sorted(str(path) for path in ROOT.glob("hexkit-*/tests/test_stateful*.py"))
    for machine in machines:  # one distribution per pytest run, as their conftests need
        session.run("pytest", machine, "-p", "no:cacheprovider", *session.posargs, env=env)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Run the benchmarks; results land in bench/README.md."""
    install_editable(session, "testing", "otel")
    # obstore: the Rust object-store client bench/s3.py compares with; the SDK: bench/otel.py.
    install(session, "obstore", OTEL_SDK)
    for script in sorted((ROOT / "bench").glob("*.py")):
        session.run("python", str(script), *session.posargs)


@nox.session(python=PYTHON)
def index(session: nox.Session) -> None:
    """Build index/: a PEP 503 simple index of dist/ plus a wheel of every dependency."""
    install(session, "pip", "packaging")
    constraints = str(ROOT / "constraints.txt")
    args = ["--dist", str(DIST), "--constraints", constraints, "--out", str(INDEX)]
    # Downloads are cached inside the clone only.
    env = {"PIP_CACHE_DIR": str(ROOT / ".nox" / "pip-cache")}
    session.run("python", "-m", "tools.simple_index", *args, env=env)


@nox.session(python=PYTHON)
def indextest(session: nox.Session) -> None:
    """Install hexkit[mongodb,s3] by name from index/ alone (HTTP, then offline) and check it."""
    install(session, "uv")
    index_tool.install_by_name(session, INDEX, DIST)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ with mkdocs --strict (a warning fails it)."""
    install(session, "mkdocs", "mkdocs-material", "mkdocstrings", "mkdocstrings-python")
    env = {"NO_MKDOCS_2_WARNING": "1"}
    session.run("mkdocs", "build", "--strict", "--clean", *session.posargs, env=env)


@nox.session(python=PYTHON)
def compat(session: nox.Session) -> None:
    """The compatibility matrix: each plugin's tests against the oldest core it claims and ours.

    Each plugin, installed alone with a core, runs the files that run the conformance kit
    against the working tree's core and the oldest core it claims (our tag hexkit-v<X.Y.*>);
    ``-- --full`` runs whole suites (``nox -s tests`` runs them against the working tree's
    core already). Other arguments go to pytest. Every cell runs; the session fails at the
    end, naming the failed cells.
    """
    install(session, "packaging", "uv")
    failed = compat_tool.matrix(session, session.posargs, nox.command.CommandFailed)
    if failed:
        session.error(f"The compatibility matrix failed for: {', '.join(failed)}.")


@nox.session(python=PYTHON)
def release(session: nox.Session) -> None:
    """Release one distribution: bump, build it alone into dist/, test it against the cores.

    ``nox -s release -- hexkit-mongodb 0.2.0 [--tag]``. With --tag, after the tests pass, the
    bumped pyproject.toml and CHANGELOG.md are committed and tag hexkit-mongodb-v0.2.0 created.
    """
    args = release_steps.parse_args(session.posargs)
    if args is None:
        session.error(release_steps.USAGE)
    name, version, tag = args
    install(session, "packaging", "build[uv]", "uv")
    release_steps.release(session, name, version, tag=tag, dist=DIST)

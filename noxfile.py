"""The one task runner of the hexkit monorepo.

Our distributions are always installed from local paths (editable) or from the wheel
files in ``dist/``, never resolved by name: PyPI hosts an unrelated ``hexkit``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nox

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

"""Build a PEP 503 simple index of our wheels plus a wheelhouse of every dependency.

``nox -s index`` runs ``python -m tools.simple_index --dist dist --out index``. The result is
a static directory tree that any web server (or ``file://``) can serve::

    index/files/         our wheels and sdists, and a wheel of every third-party dependency
                         of every distribution and extra (Python 3.11, this platform)
    index/simple/        the PEP 503 pages: one per project, links carry sha256 hashes
    index/requirements.txt   hexkit[mongodb,postgres,s3] and its dependencies, hash-pinned

Only third-party names are ever downloaded: the requirements on ``hexkit*`` are taken out
before pip sees them, so no ``hexkit*`` name is resolved on PyPI (which hosts an unrelated
``hexkit``); a downloaded ``hexkit*`` file would fail the build.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import (
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from tools.distributions import DISTRIBUTIONS

OURS = tuple(DISTRIBUTIONS)
# The core's extras the lock covers. The wheelhouse also holds what every other extra of
# every distribution needs (the conformance kit, the test servers, Motor).
RUNTIME_EXTRAS = ("mongodb", "postgres", "s3")


def _metadata(wheel: Path) -> dict[str, list[str]]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(item for item in archive.namelist() if item.endswith(".dist-info/METADATA"))
        message = HeaderParser().parsestr(archive.read(name).decode())
    fields: dict[str, list[str]] = defaultdict(list)
    for key, value in message.items():
        fields[key].append(value)
    return fields


def our_wheels(dist: Path) -> dict[str, Path]:
    """Return our one wheel per distribution in ``dist``; exit if one is missing or doubled."""
    found: dict[str, list[Path]] = defaultdict(list)
    for wheel in dist.glob("*.whl"):
        found[str(canonicalize_name(parse_wheel_filename(wheel.name)[0]))].append(wheel)
    wrong = [name for name in OURS if len(found[name]) != 1]
    if wrong:
        sys.exit(f"Expected one wheel each in {dist} for {wrong}; run `nox -s build` first.")
    return {name: found[name][0] for name in OURS}


def third_party_requirements(
    wheels: dict[str, Path], extras: dict[str, tuple[str, ...]], *, base: bool
) -> list[str]:
    """Return what our wheels need from other projects, markers evaluated on this machine.

    ``base``: every wheel's own requirements; ``extras``: per distribution, the extras
    whose requirements to add.
    """
    wanted: set[str] = set()
    for name, wheel in wheels.items():
        environments = [{"extra": extra} for extra in extras.get(name, ())]
        for text in _metadata(wheel).get("Requires-Dist", []):
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or "extra" not in str(marker):
                keep = base and (marker is None or marker.evaluate({"extra": ""}))
            else:
                keep = any(marker.evaluate(env) for env in environments)
            if not keep:
                continue
            project = canonicalize_name(requirement.name)
            if project.startswith("hexkit"):
                if project not in OURS:
                    sys.exit(f"{wheel.name} requires {text!r}, which is not ours to serve.")
                continue
            requirement.marker = None
            wanted.add(str(requirement))
    return sorted(wanted)


def download(requirements: list[str], constraints: Path, dest: Path) -> None:
    """Download a wheel of each requirement and of everything it needs into ``dest``."""
    listing = dest.with_suffix(".txt")
    listing.write_text("\n".join(requirements) + "\n")
    command = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--quiet"]
    command += ["--dest", str(dest), "-c", str(constraints), "-r", str(listing)]
    subprocess.run(command, check=True)  # noqa: S603 - our interpreter, our arguments
    strays = [path.name for path in dest.iterdir() if path.name.lower().startswith("hexkit")]
    if strays:
        sys.exit(f"pip downloaded {strays}; a hexkit* name must never come from another index.")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _project_and_version(path: Path) -> tuple[str, str]:
    if path.name.endswith(".whl"):
        name, version, _, _ = parse_wheel_filename(path.name)
    else:
        name, version = parse_sdist_filename(path.name)
    return str(name), str(version)


def write_pages(files: Path, simple: Path) -> None:
    """Write the PEP 503 root page and one page per project, linking files with hashes."""
    projects: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(files.iterdir()):
        projects[_project_and_version(path)[0]].append(path)
    simple.mkdir(parents=True)
    root = [f'<a href="{name}/">{name}</a><br>' for name in sorted(projects)]
    (simple / "index.html").write_text(_page("Simple index", root))
    for name, paths in projects.items():
        links = []
        for path in paths:
            requires = ""
            if path.name.endswith(".whl"):
                python = _metadata(path).get("Requires-Python", [""])[0]
                if python:
                    requires = f' data-requires-python="{html.escape(python)}"'
            href = f"../../files/{path.name}#sha256={_sha256(path)}"
            links.append(f'<a href="{html.escape(href)}"{requires}>{path.name}</a><br>')
        (simple / name).mkdir()
        (simple / name / "index.html").write_text(_page(f"Links for {name}", links))


def _page(title: str, body: list[str]) -> str:
    lines = ["<!DOCTYPE html>", '<html><head><meta name="pypi:repository-version" content="1.0">']
    lines += [f"<title>{title}</title></head><body><h1>{title}</h1>", *body, "</body></html>"]
    return "\n".join(lines) + "\n"


def write_lock(paths: list[Path], lock: Path, core_version: str) -> None:
    """Write hash-pinned requirements of these files (``pip install --require-hashes -r``)."""
    hashes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in paths:
        hashes[_project_and_version(path)].append(_sha256(path))
    lines = [
        "# hexkit[mongodb,postgres,s3] and every dependency, pinned by hash: pip refuses any",
        "# file whose hash differs, whichever index serves it. Generated by nox -s index.",
    ]
    for (name, version), digests in sorted(hashes.items()):
        pinned = f"hexkit[{','.join(RUNTIME_EXTRAS)}]" if name == "hexkit" else name
        assert name != "hexkit" or version == core_version  # noqa: S101 - one core in the lock
        lines.append(f"{pinned}=={version} \\")
        lines += [f"    --hash=sha256:{digest} \\" for digest in sorted(digests)]
        lines[-1] = lines[-1].removesuffix(" \\")
    lock.write_text("\n".join(lines) + "\n")


def build(dist: Path, constraints: Path, out: Path) -> None:
    """Build the whole index into ``out`` (replaced)."""
    wheels = our_wheels(dist)
    shutil.rmtree(out, ignore_errors=True)
    files = out / "files"
    files.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        runtime, extra = Path(scratch, "runtime"), Path(scratch, "extra")
        every_extra = {
            name: tuple(_metadata(wheel).get("Provides-Extra", []))
            for name, wheel in wheels.items()
        }
        runtime_requirements = third_party_requirements(
            wheels, {"hexkit": RUNTIME_EXTRAS}, base=True
        )
        download(runtime_requirements, constraints, runtime)
        download(third_party_requirements(wheels, every_extra, base=False), constraints, extra)
        ours = [path for path in dist.iterdir() if path.name.endswith((".whl", ".tar.gz"))]
        for path in [*ours, *runtime.iterdir(), *extra.iterdir()]:
            shutil.copy2(path, files / path.name)
        runtime_set = [files / path.name for path in [*ours, *runtime.iterdir()]]
    write_pages(files, out / "simple")
    core_version = _project_and_version(wheels["hexkit"])[1]
    write_lock(runtime_set, out / "requirements.txt", core_version)


def main() -> None:
    """Parse the command line and build the index."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="our built wheels")
    parser.add_argument("--constraints", type=Path, default=Path("constraints.txt"))
    parser.add_argument("--out", type=Path, default=Path("index"), help="replaced if present")
    args = parser.parse_args()
    build(args.dist.resolve(), args.constraints.resolve(), args.out.resolve())
    count = sum(1 for _ in (args.out / "files").iterdir())
    sys.stdout.write(f"{args.out}/simple: {count} files, lock in {args.out}/requirements.txt\n")


if __name__ == "__main__":
    main()

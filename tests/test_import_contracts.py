"""The import contracts of the architecture, read from the source with ``ast`` (stdlib only).

Every Python file of the core's and the providers' ``src`` trees, of ``bench/`` and of
``examples/`` is parsed; an import is an ``import``/``from ... import`` statement at module
level or inside a function or class (imports by string, such as ``importlib.import_module``
or entry points, are not imports here). The rules, one test each:

(a) no import circle between modules. Imports under ``if TYPE_CHECKING:`` count too: they
    never run, but two modules that each need the other's names are one concern in two
    files (a DAO that names its factory should be given the factory's state instead);
(b) no import of a private module (a path component starting with ``_``, dunders such as
    ``__future__`` aside) from outside the package that owns it, that is the private
    module's parent package and its sub-packages;
(c) no provider ``hexkit.providers.X`` imports another provider ``hexkit.providers.Y``;
(d) the core (``hexkit.protocols``, ``.registry``, ``.migrations``, ``.testing``, ``.cli``)
    imports no plugin provider: the registry and the CLI find them through entry points;
(e) the layers, bottom to top; a package imports only the hexkit packages listed for it
    (and itself)::

        hexkit.protocols                    nothing of hexkit
        hexkit.registry                     protocols  (never what it registers)
        hexkit.migrations                   protocols
        hexkit.providers.X                  protocols, registry, migrations
        hexkit.testing                      protocols, registry, migrations
        hexkit.providers.X.testutils        protocols, registry, migrations, testing
        hexkit.cli                          protocols, registry, migrations

Module names come from each file's place under its root: ``hexkit-*/src`` for the
distributions, ``bench/`` and ``examples/`` for the scripts and example services (both are
put on ``sys.path`` when they run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = [
    ROOT / "hexkit-core" / "src",
    ROOT / "hexkit-mongodb" / "src",
    ROOT / "hexkit-postgres" / "src",
    ROOT / "hexkit-s3" / "src",
    ROOT / "bench",
    ROOT / "examples",
]
CORE = ("hexkit.protocols", "hexkit.registry", "hexkit.migrations", "hexkit.testing", "hexkit.cli")
PLUGIN_PROVIDERS = ("mongodb", "postgres", "s3")
_BELOW_PROVIDERS = ("hexkit.protocols", "hexkit.registry", "hexkit.migrations")
LAYERS: dict[str, tuple[str, ...]] = {
    "hexkit.protocols": (),
    "hexkit.registry": ("hexkit.protocols",),
    "hexkit.migrations": ("hexkit.protocols",),
    "hexkit.testing": _BELOW_PROVIDERS,
    "hexkit.cli": _BELOW_PROVIDERS,
    "provider": _BELOW_PROVIDERS,
    "provider testutils": (*_BELOW_PROVIDERS, "hexkit.testing"),
}


@dataclass(frozen=True, order=True)
class Import:
    """One imported module: who imports it, where, and whether only for type checkers."""

    importer: str
    target: str
    where: str
    type_checking: bool = False

    def __str__(self) -> str:
        only = " (under TYPE_CHECKING)" if self.type_checking else ""
        return f"{self.where}: {self.importer} imports {self.target}{only}"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.AST, type_checking: bool = False) -> Iterable[tuple[ast.stmt, bool]]:
    """Yield every import statement with whether it sits under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_checking
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _statements(ast.Module(body=[child], type_ignores=[]), True)
            for child in node.orelse:
                yield from _statements(ast.Module(body=[child], type_ignores=[]), type_checking)
        else:
            yield from _statements(node, type_checking)


def imports_of(
    name: str, source: str, *, is_package: bool, known: set[str], where: str
) -> list[Import]:
    """Return the modules ``name`` imports; ``from P import m`` is ``P.m`` if that is a module."""
    found: list[Import] = []
    package = name if is_package else name.rpartition(".")[0]
    for node, type_checking in _statements(ast.parse(source)):
        line = f"{where}:{node.lineno}"
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            assert isinstance(node, ast.ImportFrom)
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        found += [Import(name, target, line, type_checking) for target in dict.fromkeys(targets)]
    return found


def scan(sources: Mapping[str, tuple[str, bool, str]]) -> list[Import]:
    """Imports of modules given as ``name -> (source, is_package, where)``."""
    known = set(sources)
    return [
        item
        for name, (source, is_package, where) in sorted(sources.items())
        for item in imports_of(name, source, is_package=is_package, known=known, where=where)
    ]


def repository_sources(roots: Iterable[Path] = SOURCE_ROOTS) -> dict[str, tuple[str, bool, str]]:
    sources: dict[str, tuple[str, bool, str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            name = module_name(path, root)
            where = str(path.relative_to(ROOT))
            assert name not in sources, f"{where} and {sources[name][2]} are both {name}"
            sources[name] = (path.read_text(encoding="utf-8"), path.name == "__init__.py", where)
    return sources


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# (a) circles -------------------------------------------------------------------------------


def circles(imports: Iterable[Import]) -> list[list[Import]]:
    """Return the imports inside each strongly connected set of two or more modules."""
    edges: dict[str, list[Import]] = {}
    for item in imports:
        if item.target != item.importer:
            edges.setdefault(item.importer, []).append(item)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the graphs are small
        index[node] = low[node] = len(index)
        stack.append(node)
        for item in edges.get(node, []):
            if item.target not in index:
                visit(item.target)
                low[node] = min(low[node], low[item.target])
            elif item.target in stack:
                low[node] = min(low[node], index[item.target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(
        sorted(item for member in group for item in edges[member] if item.target in group)
        for group in groups
    )


# (b) private modules -----------------------------------------------------------------------


def private_owner(target: str) -> str | None:
    """Return the package that owns the deepest private component of ``target``, if any."""
    parts = target.split(".")
    for position in range(len(parts) - 1, -1, -1):
        part = parts[position]
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            return ".".join(parts[:position])
    return None


def private_reaches(imports: Iterable[Import]) -> list[tuple[Import, str]]:
    found = []
    for item in imports:
        owner = private_owner(item.target)
        if owner is not None and not (owner and within(item.importer, owner)):
            found.append((item, owner))
    return found


# (c), (d), (e) who may import whom ----------------------------------------------------------


def provider_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[:2] == ["hexkit", "providers"]:
        return ".".join(parts[:3])
    return None


def cross_provider(imports: Iterable[Import]) -> list[Import]:
    return [
        item
        for item in imports
        if (mine := provider_of(item.importer)) is not None
        and (theirs := provider_of(item.target)) is not None
        and mine != theirs
    ]


def core_to_plugin(imports: Iterable[Import]) -> list[Import]:
    plugins = tuple(f"hexkit.providers.{name}" for name in PLUGIN_PROVIDERS)
    return [
        item
        for item in imports
        if any(within(item.importer, core) for core in CORE)
        and any(within(item.target, plugin) for plugin in plugins)
    ]


def layer_of(module: str) -> tuple[str, str] | None:
    """Return the layer of a hexkit module and the package it may import freely."""
    provider = provider_of(module)
    if provider is not None:
        testutils = within(module, provider + ".testutils")
        return ("provider testutils" if testutils else "provider"), provider
    for package in CORE:
        if within(module, package):
            return package, package
    return None


def layer_breaches(imports: Iterable[Import]) -> list[tuple[Import, str]]:
    found = []
    for item in imports:
        layer = layer_of(item.importer)
        if layer is None or not within(item.target, "hexkit"):
            continue
        name, own = layer
        if not any(within(item.target, allowed) for allowed in (own, *LAYERS[name])):
            found.append((item, name))
    return found


# The contracts, on the repository ----------------------------------------------------------


@pytest.fixture(scope="module")
def repository() -> list[Import]:
    return scan(repository_sources())


def test_there_are_no_import_circles(repository: list[Import]) -> None:
    found = circles(repository)
    assert not found, (
        "Import circles (break each: move the shared piece down, or pass state):\n"
        + ("\n".join("  circle:\n" + "\n".join(f"    {item}" for item in group) for group in found))
    )


def test_no_private_module_is_imported_from_outside_its_package(repository: list[Import]) -> None:
    found = private_reaches(repository)
    assert not found, (
        "Private modules imported from outside their package (export a public name):\n"
        + ("\n".join(f"  {item} (private to {owner or 'its top level'})" for item, owner in found))
    )


def test_no_provider_imports_another_provider(repository: list[Import]) -> None:
    found = cross_provider(repository)
    assert not found, "Providers importing another provider:\n" + "\n".join(
        f"  {item}" for item in found
    )


def test_the_core_imports_no_plugin_provider(repository: list[Import]) -> None:
    found = core_to_plugin(repository)
    assert not found, "The core imports a plugin provider (find it through entry points):\n" + (
        "\n".join(f"  {item}" for item in found)
    )


def test_every_package_imports_only_the_layers_below_it(repository: list[Import]) -> None:
    found = layer_breaches(repository)
    assert not found, "Imports against the layer order (see this module's docstring):\n" + (
        "\n".join(
            f"  {item} ({layer} may import only {', '.join(LAYERS[layer]) or 'nothing of hexkit'})"
            for item, layer in found
        )
    )


def test_the_scan_sees_the_whole_repository(repository: list[Import]) -> None:
    importers = {item.importer for item in repository}
    for module in ("hexkit.cli._main", "hexkit.registry._registry", "hexkit.testing.dao._crud"):
        assert module in importers
    for module in ("hexkit.providers.mongodb._dao", "hexkit.providers.s3", "file_services.demo"):
        assert module in importers


# Each rule can fail: tiny synthetic module sets ---------------------------------------------


def synthetic(modules: Mapping[str, str]) -> list[Import]:
    """Scan ``name -> source``; a name that prefixes another is a package."""
    return scan(
        {
            name: (source, any(other.startswith(name + ".") for other in modules), name)
            for name, source in modules.items()
        }
    )


TYPE_ONLY = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._a import A\n"


def test_a_circle_is_found_through_a_function_level_import() -> None:
    imports = synthetic(
        {
            "pkg": "",
            "pkg._a": "from ._b import helper\n",
            "pkg._b": "def helper():\n    from pkg._a import thing\n",
            "pkg._c": "from ._b import helper\n",
        }
    )
    assert [{item.importer for item in group} for group in circles(imports)] == [
        {"pkg._a", "pkg._b"}
    ]


def test_an_import_under_type_checking_closes_a_circle_too() -> None:
    imports = synthetic({"pkg": "", "pkg._a": "from ._b import B\n", "pkg._b": TYPE_ONLY})
    [group] = circles(imports)
    assert [(item.importer, item.type_checking) for item in group] == [
        ("pkg._a", False),
        ("pkg._b", True),
    ]
    assert str(group[1]) == "pkg._b:3: pkg._b imports pkg._a (under TYPE_CHECKING)"


def test_a_private_module_of_another_package_is_found() -> None:
    imports = synthetic(
        {
            "lib": "from ._impl import thing\n",
            "lib._impl": "from lib.sub import other\n",
            "lib.sub.mod": "from .._impl import thing\n",
            "app": "from lib._impl import thing\nfrom lib import _impl\nfrom __future__ import x\n",
        }
    )
    assert [(item.importer, item.target, owner) for item, owner in private_reaches(imports)] == [
        ("app", "lib._impl", "lib"),
        ("app", "lib._impl", "lib"),
    ]


def test_a_provider_importing_another_provider_is_found() -> None:
    imports = synthetic(
        {
            "hexkit.providers.one": "from hexkit.providers.two import Thing\n",
            "hexkit.providers.two": "from hexkit.protocols.dao import Dao\n",
        }
    )
    assert [(item.importer, item.target) for item in cross_provider(imports)] == [
        ("hexkit.providers.one", "hexkit.providers.two")
    ]


def test_the_core_importing_a_plugin_provider_is_found() -> None:
    imports = synthetic({"hexkit.registry._x": "import hexkit.providers.s3\n"})
    assert [item.target for item in core_to_plugin(imports)] == ["hexkit.providers.s3"]


def test_an_arrow_back_up_is_found() -> None:
    imports = synthetic(
        {
            "hexkit.registry": "from hexkit.migrations import migrate\n",
            "hexkit.protocols.dao": "from hexkit.protocols.objstorage import X\n",
            "hexkit.providers.x._dao": "from hexkit.testing import free_port\n",
            "hexkit.providers.x.testutils": "from hexkit.testing import free_port\n",
        }
    )
    assert [(item.importer, layer) for item, layer in layer_breaches(imports)] == [
        ("hexkit.providers.x._dao", "provider"),
        ("hexkit.registry", "hexkit.registry"),
    ]

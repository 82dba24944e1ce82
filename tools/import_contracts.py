"""The import contracts of the architecture, read from the source with ``ast`` (stdlib only).

``tests/test_import_contracts.py`` asserts each rule over the repository; this module
holds the checker.

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
(d) the core (``hexkit.protocols``, ``.registry``, ``.migrations``, ``.testing``, ``.cli``,
    ``.fastapi``, ``.otel``) imports no plugin provider: the registry and the CLI find them through
    entry points;
(e) the layers, bottom to top; a package imports only the hexkit packages listed for it
    (and itself)::

        hexkit.protocols                    nothing of hexkit
        hexkit.registry                     protocols  (never what it registers)
        hexkit.migrations                   protocols
        hexkit.providers.X                  protocols, registry, migrations
        hexkit.testing                      protocols, registry, migrations, providers.memory
        hexkit.providers.X.testutils        protocols, registry, migrations, testing
        hexkit.cli                          protocols, registry, migrations
        hexkit.fastapi                      protocols, registry
        hexkit.otel                         protocols, registry, migrations

(f) an optional dependency of the core is imported only by the package of its extra
    (``fastapi`` and ``starlette`` by ``hexkit.fastapi``, ``opentelemetry`` by
    ``hexkit.otel``), so the core imports without it; nothing of hexkit imports
    ``hexkit.fastapi`` or ``hexkit.otel`` (the examples and benchmarks may).

Module names come from each file's place under its root: ``hexkit-*/src`` for the
distributions, ``bench/`` and ``examples/`` for the scripts and example services (both are
put on ``sys.path`` when they run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = [
    ROOT / "hexkit-core" / "src",
    ROOT / "hexkit-mongodb" / "src",
    ROOT / "hexkit-postgres" / "src",
    ROOT / "hexkit-s3" / "src",
    ROOT / "bench",
    ROOT / "examples",
]
CORE = (
    "hexkit.protocols",
    "hexkit.registry",
    "hexkit.migrations",
    "hexkit.testing",
    "hexkit.cli",
    "hexkit.fastapi",
    "hexkit.otel",
)
PLUGIN_PROVIDERS = ("mongodb", "postgres", "s3")
_BELOW_PROVIDERS = ("hexkit.protocols", "hexkit.registry", "hexkit.migrations")
LAYERS: dict[str, tuple[str, ...]] = {
    "hexkit.protocols": (),
    "hexkit.registry": ("hexkit.protocols",),
    "hexkit.migrations": ("hexkit.protocols",),
    # The kit compares every provider with the reference, the core's memory provider.
    "hexkit.testing": (*_BELOW_PROVIDERS, "hexkit.providers.memory"),
    "hexkit.cli": _BELOW_PROVIDERS,
    # An adapter for applications: it opens providers through the registry, by name.
    "hexkit.fastapi": ("hexkit.protocols", "hexkit.registry"),
    # Tracing wraps what the registry opens; it keeps migrations working through its proxy.
    "hexkit.otel": _BELOW_PROVIDERS,
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
    """Return the dotted module name of ``path`` under ``root``."""
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
            if not isinstance(node, ast.ImportFrom):  # _statements yields only imports
                raise TypeError(node)
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
    """Return the imports of modules given as ``name -> (source, is_package, where)``."""
    known = set(sources)
    return [
        item
        for name, (source, is_package, where) in sorted(sources.items())
        for item in imports_of(name, source, is_package=is_package, known=known, where=where)
    ]


def repository_sources(roots: Iterable[Path] = SOURCE_ROOTS) -> dict[str, tuple[str, bool, str]]:
    """Read every Python file under ``roots`` as ``name -> (source, is_package, where)``."""
    sources: dict[str, tuple[str, bool, str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            name = module_name(path, root)
            where = str(path.relative_to(ROOT))
            if name in sources:
                raise ValueError(f"{where} and {sources[name][2]} are both module {name}")
            sources[name] = (path.read_text(encoding="utf-8"), path.name == "__init__.py", where)
    return sources


def within(module: str, package: str) -> bool:
    """Tell whether ``module`` is ``package`` or lies inside it."""
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
    """Return imports of private modules from outside their owner, with the owner."""
    found = []
    for item in imports:
        owner = private_owner(item.target)
        if owner is not None and not (owner and within(item.importer, owner)):
            found.append((item, owner))
    return found


# (c), (d), (e) who may import whom ----------------------------------------------------------


def provider_of(module: str) -> str | None:
    """Return the provider package ``module`` belongs to, if any."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[:2] == ["hexkit", "providers"]:
        return ".".join(parts[:3])
    return None


def cross_provider(imports: Iterable[Import]) -> list[Import]:
    """Return imports from one provider into another."""
    return [
        item
        for item in imports
        if (mine := provider_of(item.importer)) is not None
        and (theirs := provider_of(item.target)) is not None
        and mine != theirs
    ]


def core_to_plugin(imports: Iterable[Import]) -> list[Import]:
    """Return imports of a plugin provider by the core."""
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
    """Return imports against the layer order, with the importer's layer."""
    found = []
    for item in imports:
        layer = layer_of(item.importer)
        if layer is None or not within(item.target, "hexkit"):
            continue
        name, own = layer
        if not any(within(item.target, allowed) for allowed in (own, *LAYERS[name])):
            found.append((item, name))
    return found


# (f) optional dependencies ----------------------------------------------------------------

# Third-party package -> the one hexkit package that may import it (its extra's package).
OPTIONAL_IMPORTS: dict[str, str] = {
    "fastapi": "hexkit.fastapi",
    "starlette": "hexkit.fastapi",
    "opentelemetry": "hexkit.otel",
}


def optional_breaches(imports: Iterable[Import]) -> list[tuple[Import, str]]:
    """Return imports of an optional dependency by hexkit modules outside its package."""
    found = []
    for item in imports:
        if not within(item.importer, "hexkit"):
            continue
        for dependency, owner in OPTIONAL_IMPORTS.items():
            if within(item.target, dependency) and not within(item.importer, owner):
                found.append((item, owner))
    return found


# The contracts, on the repository ----------------------------------------------------------

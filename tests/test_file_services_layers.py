"""Each file service's core imports only hexkit.protocols, pydantic, the standard library,
its own package and the shared outbox (which obeys the same rule)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parent.parent / "examples" / "file_services"
CORE_MODULES = [
    *sorted(SERVICES.glob("*/core/*.py")),
    SERVICES / "common" / "outbox.py",
]


def _imports(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


@pytest.mark.parametrize("path", CORE_MODULES, ids=lambda p: str(p.relative_to(SERVICES)))
def test_a_core_imports_only_protocols(path: Path) -> None:
    for module, level in _imports(path):
        top = module.split(".")[0]
        if level == 0:
            allowed = (
                top in sys.stdlib_module_names
                or top == "pydantic"
                or module.startswith("hexkit.protocols")
            )
        else:  # relative: its own core, or (from a core) the shared outbox
            allowed = level == 1 or (level == 3 and module == "common.outbox")
        assert allowed, f"{path.name} imports {'.' * level}{module}"

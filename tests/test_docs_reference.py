"""The API reference covers every public module of every distribution.

Public modules are found in the source trees (no part of the dotted name starts with
``_``), so a module added later is caught; each must be rendered in ``docs/reference.md``
(``::: name``) or named there with a link to the page that renders it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    ROOT / name / "src"
    for name in ("hexkit-core", "hexkit-mongodb", "hexkit-postgres", "hexkit-s3")
]
REFERENCE = ROOT / "docs" / "reference.md"


def public_modules() -> list[str]:
    found = set()
    for source in SOURCES:
        for path in source.rglob("*.py"):
            parts = list(path.relative_to(source).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if parts[-1] == "__main__" or any(part.startswith("_") for part in parts):
                continue
            found.add(".".join(parts))
    return sorted(found)


def test_public_modules_are_found() -> None:
    modules = public_modules()
    assert "hexkit.protocols.dao" in modules
    assert "hexkit.providers.s3.testutils" in modules
    assert not any("._" in module for module in modules)


@pytest.mark.parametrize("module", public_modules())
def test_the_reference_covers_the_module(module: str) -> None:
    text = REFERENCE.read_text()
    rendered = re.search(rf"^::: {re.escape(module)}$", text, re.MULTILINE)
    linked = re.search(rf"^- `{re.escape(module)}`: \[[^\]]+\]\(([^)#]+)", text, re.MULTILINE)
    assert rendered or linked, f"docs/reference.md neither renders nor links {module}"
    if linked:
        page = (REFERENCE.parent / linked.group(1)).read_text()
        assert f"::: {module}" in page, f"{linked.group(1)} does not render {module}"

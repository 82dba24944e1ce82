"""The README's examples run as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
@pytest.mark.asyncio
async def test_readme_block_runs(block: str) -> None:
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(block, str(README), "exec", dont_inherit=True), namespace)  # noqa: S102 - our own README
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert tests, "each README block defines a test_ function"
    for test in tests:
        await test()

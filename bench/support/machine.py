"""The machine line of every result section: CPU, cores, Python and package versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
from pathlib import Path


def machine(packages: list[str], *, system: bool = True) -> str:
    """Describe the CPU, Python (and the OS, with ``system``) and the versions of ``packages``."""
    model = "unknown CPU"
    try:
        found = re.search(
            r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE
        )
        if found:
            model = found.group(1).strip()
    except OSError:
        model = platform.processor() or model
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in packages)
    python = f"Python {platform.python_version()}"
    if system:
        python += f" ({platform.system()})"
    return f"{model}, {os.cpu_count()} cores, {python}, {versions}"

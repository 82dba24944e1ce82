"""Checks run inside the fresh venvs of `nox -s indextest`, where hexkit was installed by name.

Usage: ``python tests/index_smoke.py WHEEL...``. Each installed distribution must hold exactly
the files of our wheel (every file of its RECORD, byte for byte), not a same-named project's.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import sys
import zipfile
from pathlib import Path

from hexkit.registry import Registry, foreign_core


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def check_files_come_from(wheel: Path) -> None:
    name = wheel.name.split("-")[0].replace("_", "-")
    dist = importlib.metadata.distribution(name)
    with zipfile.ZipFile(wheel) as archive:
        record_name = next(
            item for item in archive.namelist() if item.endswith(".dist-info/RECORD")
        )
        rows = list(csv.reader(io.StringIO(archive.read(record_name).decode())))
    checked = 0
    for path, digest, _ in rows:
        if not digest:
            continue  # RECORD lists itself without a hash
        installed = Path(str(dist.locate_file(path)))
        assert installed.is_file(), f"{name}: {path} from {wheel.name} is not installed"
        assert _digest(installed.read_bytes()) == digest, f"{name}: {path} differs from our wheel"
        checked += 1
    assert checked > 0, f"{wheel.name} has no files with hashes"
    print(f"{name} {dist.version}: {checked} files identical to {wheel.name}")


def check_registry() -> None:
    assert foreign_core() is None, foreign_core()
    registry = Registry()
    assert registry.list_broken_plugins() == [], registry.list_broken_plugins()
    found = {(info.kind, info.name, info.distribution) for info in registry.list_providers()}
    for expected in (("dao", "mongodb", "hexkit-mongodb"), ("objstorage", "s3", "hexkit-s3")):
        assert expected in found, (expected, found)
        registry.get_provider(expected[0], expected[1]).load()  # type: ignore[arg-type]


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        check_files_come_from(Path(argument))
    check_registry()
    print("index smoke checks passed")

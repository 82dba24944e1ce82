"""Checks run inside the clean venv of `nox -s wheeltest`, where only the wheels are installed."""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
from pathlib import Path

from hexkit.registry import list_broken_plugins, open_provider

PUBLIC = [
    "hexkit.protocols.dao",
    "hexkit.protocols.objstorage",
    "hexkit.registry",
    "hexkit.providers.memory",
    "hexkit.providers.mongodb",
    "hexkit.providers.postgres",
    "hexkit.providers.s3",
]
# The regular packages right below the namespace levels: each carries a py.typed marker.
TYPED = [
    "hexkit.protocols",
    "hexkit.registry",
    "hexkit.providers.memory",
    "hexkit.providers.mongodb",
    "hexkit.providers.postgres",
    "hexkit.providers.s3",
]


def check_packages() -> None:
    hexkit = importlib.import_module("hexkit")
    assert getattr(hexkit, "__file__", None) is None, "hexkit must stay a namespace package"
    for name in PUBLIC:
        module = importlib.import_module(name)
        assert module.__file__ is not None
        assert "site-packages" in module.__file__, f"{name} is not imported from the wheel"
    for name in TYPED:
        location = importlib.import_module(name).__file__
        assert location is not None
        assert (Path(location).parent / "py.typed").is_file(), f"{name} lacks py.typed"
    for dist in ("hexkit", "hexkit-mongodb", "hexkit-postgres", "hexkit-s3"):
        direct = importlib.metadata.distribution(dist).read_text("direct_url.json") or ""
        assert "/dist/" in direct, f"{dist} was not installed from the dist/ wheels: {direct}"
    assert list_broken_plugins() == [], list_broken_plugins()


async def check_memory_flow() -> None:
    async with open_provider("objstorage", "memory", config={}) as storage:
        await storage.create_bucket("smoke")
        await storage.put_object("smoke", "a", b"wheel")
        assert [chunk async for chunk in storage.get_object("smoke", "a")] == [b"wheel"]


if __name__ == "__main__":
    check_packages()
    asyncio.run(check_memory_flow())
    print("wheel smoke checks passed")

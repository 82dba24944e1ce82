"""The provider registry: discovery, lookup errors, conflicts, broken plugins, open_provider."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from hexkit.cli import main as cli_main
from hexkit.protocols.dao import DaoFactoryProtocol
from hexkit.providers.memory import MemoryDaoFactory, MemoryObjectStorage, MemoryObjectStorageConfig
from hexkit.registry import (
    BrokenPluginWarning,
    ProviderConfigError,
    ProviderConflictError,
    ProviderInfo,
    ProviderLoadError,
    ProviderNotFoundError,
    ProviderSpec,
    Registry,
    add_provider_wrapper,
    hookimpl,
)
from hexkit.registry._open import open_provider_from


def _plugin(*specs: ProviderSpec) -> SimpleNamespace:
    @hookimpl
    def hexkit_providers() -> list[ProviderSpec]:
        return list(specs)

    return SimpleNamespace(hexkit_providers=hexkit_providers)


@pytest.fixture
def isolated() -> Registry:
    return Registry(autoload=False)


@pytest.fixture
def fake_distribution(tmp_path: Path) -> Iterator[Path]:
    """A distribution on sys.path whose entry points name a good and a broken plugin."""
    (tmp_path / "goodplugin.py").write_text(
        textwrap.dedent(
            """
            from hexkit.registry import ProviderSpec, hookimpl

            @hookimpl
            def hexkit_providers():
                return [ProviderSpec("dao", "fake", "hexkit.providers.memory:MemoryDaoFactory")]
            """
        )
    )
    (tmp_path / "badplugin.py").write_text("raise RuntimeError('broken on purpose')\n")
    info = tmp_path / "fake_plugins-2.3.4.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-plugins\nVersion: 2.3.4\n")
    (info / "entry_points.txt").write_text("[hexkit]\ngood = goodplugin\nbad = badplugin\n")
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in ("goodplugin", "badplugin"):
        sys.modules.pop(name, None)


def test_memory_providers_are_always_registered(isolated: Registry) -> None:
    names = {(info.kind, info.name, info.distribution) for info in isolated.list_providers()}
    assert names == {("dao", "memory", "hexkit"), ("objstorage", "memory", "hexkit")}
    assert isolated.get_provider("dao", "memory").load() is MemoryDaoFactory
    assert isolated.get_provider("objstorage", "memory").load() is MemoryObjectStorage


def test_list_providers_filters_by_kind_and_rejects_unknown_kinds(isolated: Registry) -> None:
    assert [info.kind for info in isolated.list_providers("dao")] == ["dao"]
    with pytest.raises(ValueError, match="'blob'"):
        isolated.list_providers("blob")  # type: ignore[arg-type]


def test_unknown_published_provider_names_the_extra_to_install(isolated: Registry) -> None:
    with pytest.raises(ProviderNotFoundError) as info:
        isolated.get_provider("dao", "mongodb")
    assert isinstance(info.value, LookupError)
    message = str(info.value)
    assert "'memory'" in message
    assert '--index-url <your hexkit index>/simple "hexkit[mongodb]"' in message


def test_unknown_third_party_name_lists_what_is_installed(isolated: Registry) -> None:
    with pytest.raises(ProviderNotFoundError, match="installed: 'memory'") as info:
        isolated.get_provider("objstorage", "azure")
    assert "pip install" not in str(info.value)


def test_in_code_plugins_register_providers(isolated: Registry) -> None:
    target = "hexkit.providers.memory:MemoryObjectStorage"
    isolated.register_plugin(
        _plugin(ProviderSpec("objstorage", "second", target, "another one")),
        distribution="acme-plugins",
        version="0.3",
    )
    info = isolated.get_provider("objstorage", "second")
    assert (info.distribution, info.version, info.description) == (
        "acme-plugins",
        "0.3",
        "another one",
    )


def test_two_plugins_claiming_one_name_conflict(isolated: Registry) -> None:
    target = "hexkit.providers.memory:MemoryDaoFactory"
    isolated.register_plugin(_plugin(ProviderSpec("dao", "twin", target)), distribution="one-dist")
    isolated.register_plugin(_plugin(ProviderSpec("dao", "twin", target)), distribution="two-dist")
    with pytest.raises(ProviderConflictError) as info:
        isolated.get_provider("dao", "twin")
    assert set(info.value.distributions) == {"one-dist", "two-dist"}
    assert "one-dist" in str(info.value)
    assert "two-dist" in str(info.value)


def test_a_failing_hook_is_reported_as_broken_without_hiding_others(isolated: Registry) -> None:
    @hookimpl
    def hexkit_providers() -> list[ProviderSpec]:
        raise RuntimeError("hook exploded")

    isolated.register_plugin(SimpleNamespace(hexkit_providers=hexkit_providers), distribution="bad")
    with pytest.warns(BrokenPluginWarning, match="hook exploded"):
        assert isolated.get_provider("dao", "memory").name == "memory"
    broken = isolated.list_broken_plugins()
    assert [(item.distribution, "hook exploded" in item.reason) for item in broken] == [
        ("bad", True)
    ]


def test_entry_points_load_and_a_broken_one_is_listed(fake_distribution: Path) -> None:
    registry = Registry(autoload=True)
    with pytest.warns(BrokenPluginWarning, match="broken on purpose"):
        info = registry.get_provider("dao", "fake")
    assert (info.distribution, info.version, info.plugin) == ("fake-plugins", "2.3.4", "good")
    broken = [
        item for item in registry.list_broken_plugins() if item.distribution == "fake-plugins"
    ]
    assert len(broken) == 1
    assert "broken on purpose" in broken[0].reason
    assert (broken[0].entry_point, broken[0].value) == ("bad", "badplugin")


def test_autoload_can_be_disabled_by_environment(
    fake_distribution: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEXKIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    registry = Registry()
    with pytest.raises(ProviderNotFoundError):
        registry.get_provider("dao", "fake")
    assert registry.list_broken_plugins() == []


def test_a_provider_whose_class_cannot_be_imported_fails_to_load(isolated: Registry) -> None:
    isolated.register_plugin(_plugin(ProviderSpec("dao", "ghost", "no_such_module:Nothing")))
    with pytest.raises(ProviderLoadError, match="no_such_module"):
        isolated.get_provider("dao", "ghost").load()
    isolated.register_plugin(_plugin(ProviderSpec("dao", "notaclass", "json:dumps")))
    with pytest.raises(ProviderLoadError, match="config_model"):
        isolated.get_provider("dao", "notaclass").load()


@pytest.mark.asyncio
async def test_open_provider_builds_from_a_mapping(isolated: Registry) -> None:
    async with open_provider_from(
        isolated, "objstorage", "memory", config={"chunk_size": 3}
    ) as storage:
        assert isinstance(storage, MemoryObjectStorage)
        await storage.create_bucket("bucket-a")
        await storage.put_object("bucket-a", "x", b"abcdefg")
        chunks = [chunk async for chunk in storage.get_object("bucket-a", "x")]
        assert chunks == [b"abc", b"def", b"g"]


@pytest.mark.asyncio
async def test_a_provider_wrapper_replaces_what_is_opened_until_removed(
    isolated: Registry,
) -> None:
    seen: list[tuple[str, object]] = []

    def wrapper(info: ProviderInfo, config: object, provider: object) -> object:
        seen.append((info.name, config))
        return SimpleNamespace(inner=provider)

    remove = add_provider_wrapper(wrapper)
    try:
        config = MemoryObjectStorageConfig(chunk_size=5)
        async with open_provider_from(isolated, "objstorage", "memory", config=config) as opened:
            assert isinstance(opened.inner, MemoryObjectStorage)
        assert seen == [("memory", config)]
    finally:
        remove()
    remove()  # removing twice is harmless
    async with open_provider_from(isolated, "objstorage", "memory") as storage:
        assert isinstance(storage, MemoryObjectStorage)
    assert len(seen) == 1


@pytest.mark.asyncio
async def test_open_provider_reads_the_environment_or_takes_an_instance(
    isolated: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEXKIT_MEMORY_CHUNK_SIZE", "2")
    async with open_provider_from(isolated, "objstorage", "memory") as storage:
        assert storage._config.chunk_size == 2
    config = MemoryObjectStorageConfig(chunk_size=5)
    async with open_provider_from(isolated, "objstorage", "memory", config=config) as storage:
        assert storage._config is config
    async with open_provider_from(isolated, "dao", "memory", config={}) as factory:
        assert isinstance(factory, DaoFactoryProtocol)


@pytest.mark.asyncio
async def test_invalid_config_names_the_provider_and_field(isolated: Registry) -> None:
    with pytest.raises(ProviderConfigError) as info:
        async with open_provider_from(
            isolated, "objstorage", "memory", config={"chunk_size": "lots"}
        ):
            pass
    assert info.value.fields == ("chunk_size",)
    assert "'memory'" in str(info.value)
    assert "lots" not in str(info.value)
    with pytest.raises(TypeError, match="must be None, a mapping"):
        async with open_provider_from(isolated, "dao", "memory", config=42):  # type: ignore[arg-type]
            pass


def test_cli_lists_providers_as_json_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["providers", "--kind", "dao", "--json"]) in (0, 1)
    rows = json.loads(capsys.readouterr().out)
    memory = [row for row in rows if row["name"] == "memory"]
    assert memory[0]["distribution"] == "hexkit"
    assert memory[0]["status"] == "ok"
    assert all(row["kind"] in ("dao", "?") for row in rows)
    cli_main(["providers"])
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["KIND", "NAME", "DISTRIBUTION", "VERSION", "PLUGIN", "STATUS"]
    assert any(line.split()[:3] == ["objstorage", "memory", "hexkit"] for line in table[1:])


@pytest.mark.asyncio
async def test_a_provider_of_the_wrong_protocol_is_refused(isolated: Registry) -> None:
    target = "hexkit.providers.memory:MemoryObjectStorage"
    isolated.register_plugin(_plugin(ProviderSpec("dao", "mislabelled", target)))
    with pytest.raises(ProviderLoadError, match="not a DaoFactoryProtocol"):
        async with open_provider_from(isolated, "dao", "mislabelled", config={}):
            pass

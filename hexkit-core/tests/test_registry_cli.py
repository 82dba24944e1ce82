"""The registry's reports about installed plugins and the ``hexkit`` console script.

``--version``, run-time warnings about broken plugins, not-found errors that tell a broken
plugin from a missing one, ``--kind`` and the exit status, entry-point names in every row,
and a foreign ``hexkit`` distribution. Plugins are fake distributions on ``sys.path``.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hexkit.cli import main
from hexkit.registry import (
    BrokenPlugin,
    BrokenPluginWarning,
    ProviderNotFoundError,
    Registry,
    foreign_core,
    installed_distributions,
)

MakeDistribution = Callable[..., Path]

GOOD_OBJSTORAGE = """
from hexkit.registry import ProviderSpec, hookimpl

@hookimpl
def hexkit_providers():
    return [ProviderSpec("objstorage", "fakestore", "hexkit.providers.memory:MemoryObjectStorage")]
"""
GHOST_DAO = """
from hexkit.registry import ProviderSpec, hookimpl

@hookimpl
def hexkit_providers():
    return [ProviderSpec("dao", "ghost", "no_such_driver_module:GhostDaoFactory")]
"""
FAILING_HOOK = """
from hexkit.registry import hookimpl

@hookimpl
def hexkit_providers():
    raise RuntimeError("hook exploded")
"""
MISSING_DRIVER = "import acmedb_driver_that_is_not_installed\n"


@pytest.fixture
def make_distribution(tmp_path: Path) -> Iterator[MakeDistribution]:
    """Build fake installed distributions: modules plus a dist-info with entry points."""
    modules: list[str] = []
    sys.path.insert(0, str(tmp_path))

    def make(
        name: str,
        version: str,
        *,
        plugins: dict[str, tuple[str, str]] | None = None,
        scripts: dict[str, str] | None = None,
    ) -> Path:
        lines = []
        if plugins:
            lines.append("[hexkit]")
            for entry_point, (module, source) in plugins.items():
                (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
                modules.append(module)
                lines.append(f"{entry_point} = {module}")
        if scripts:
            lines.append("[console_scripts]")
            lines += [f"{script} = {target}" for script, target in scripts.items()]
        info = tmp_path / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        return info

    yield make
    sys.path.remove(str(tmp_path))
    for module in modules:
        sys.modules.pop(module, None)


def test_version_names_the_core_and_every_provider_distribution(
    make_distribution: MakeDistribution, capsys: pytest.CaptureFixture[str]
) -> None:
    make_distribution("acme-hexkit", "2.3.4", plugins={"acme": ("acmeplugin", MISSING_DRIVER)})
    assert main(["--version"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"hexkit {importlib.metadata.version('hexkit')}"
    assert "acme-hexkit 2.3.4" in lines  # listed from metadata although its import fails
    for name in ("hexkit-mongodb", "hexkit-postgres", "hexkit-s3"):
        assert f"{name} {importlib.metadata.version(name)}" in lines
    names = [dist.name for dist in installed_distributions()]
    assert names[0] == "hexkit"
    assert names[1:] == sorted(names[1:])


def test_a_broken_plugin_warns_once_through_warnings_and_logging(
    make_distribution: MakeDistribution, caplog: pytest.LogCaptureFixture
) -> None:
    make_distribution(
        "acme-hexkit",
        "2.3.4",
        plugins={"acme": ("acmeplugin", MISSING_DRIVER), "acmehook": ("acmehook", FAILING_HOOK)},
    )
    registry = Registry(autoload=True)
    caplog.set_level(logging.WARNING, logger="hexkit.registry")
    with pytest.warns(BrokenPluginWarning) as caught:
        registry.get_provider("dao", "memory")
    # Once: under filterwarnings=error another BrokenPluginWarning here would raise.
    registry.list_providers()
    registry.list_broken_plugins()
    messages = sorted(str(item.message) for item in caught)
    assert len(messages) == 2
    assert "'acme' of acme-hexkit 2.3.4" in messages[0]
    assert "acmedb_driver_that_is_not_installed" in messages[0]
    assert "'acmehook' of acme-hexkit 2.3.4" in messages[1]
    assert "hook exploded" in messages[1]
    records = [record for record in caplog.records if record.name == "hexkit.registry"]
    assert sorted(record.getMessage() for record in records) == messages
    warning = caught[0].message
    assert isinstance(warning, BrokenPluginWarning)
    assert warning.plugin.distribution == "acme-hexkit"


def test_not_found_says_the_plugin_is_installed_but_broken_and_why(
    make_distribution: MakeDistribution,
) -> None:
    make_distribution("acme-hexkit", "2.3.4", plugins={"acme": ("acmeplugin", MISSING_DRIVER)})
    registry = Registry(autoload=True, warn_broken=False)
    with pytest.raises(ProviderNotFoundError) as info:
        registry.get_provider("dao", "acme")
    message = str(info.value)
    assert "'acme' is installed but its plugin is broken" in message
    assert "acmedb_driver_that_is_not_installed" in message
    assert "acme-hexkit 2.3.4" in message
    assert "pip install" not in message
    assert [item.entry_point for item in info.value.broken] == ["acme"]


def test_not_found_mentions_unrelated_broken_plugins_and_installs_from_our_index() -> None:
    acme = BrokenPlugin("acme", "acme-hexkit", "2.3.4", "ImportError('acmedb')", "acmeplugin")
    error = ProviderNotFoundError(kind="dao", name="postgres", installed=["memory"], broken=[acme])
    message = str(error)
    assert error.broken == ()
    assert "may provide it: plugin 'acme' of acme-hexkit 2.3.4" in message
    assert '--index-url <your hexkit index>/simple "hexkit[postgres]"' in message
    assert 'pip install "hexkit' not in message  # a bare name resolves PyPI's unrelated hexkit


def test_kind_filters_the_exit_status_too(
    make_distribution: MakeDistribution, capsys: pytest.CaptureFixture[str]
) -> None:
    make_distribution(
        "acme-hexkit",
        "2.3.4",
        plugins={
            "fakestore": ("fakestoreplugin", GOOD_OBJSTORAGE),
            "ghost": ("ghostplugin", GHOST_DAO),
            "acme": ("acmeplugin", MISSING_DRIVER),
        },
    )
    assert main(["providers", "--kind", "objstorage", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["kind"] for row in rows} == {"objstorage", "?"}
    assert [row["name"] for row in rows if row["kind"] == "?"] == ["acme"]  # still listed
    assert main(["providers", "--kind", "dao", "--json"]) == 1
    ghost = [row for row in json.loads(capsys.readouterr().out) if row["name"] == "ghost"]
    assert ghost[0]["status"].startswith("broken: ")
    assert "no_such_driver_module" in ghost[0]["status"]
    assert main(["providers"]) == 1


def test_rows_show_entry_point_names_also_for_a_failing_hook(
    make_distribution: MakeDistribution, capsys: pytest.CaptureFixture[str]
) -> None:
    make_distribution(
        "acme-hexkit",
        "2.3.4",
        plugins={
            "acme-hook": ("acme_hook_module", FAILING_HOOK),
            "fakestore": ("fakestoreplugin", GOOD_OBJSTORAGE),
        },
    )
    assert main(["providers", "--json"]) == 1
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert "acme_hook_module" not in rows
    assert rows["acme-hook"]["plugin"] == "acme-hook"
    assert "hook exploded" in rows["acme-hook"]["status"]
    assert rows["fakestore"]["plugin"] == "fakestore"
    assert rows["s3"]["plugin"] == "s3"
    main(["providers"])
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["KIND", "NAME", "DISTRIBUTION", "VERSION", "PLUGIN", "STATUS"]
    assert any(line.split()[:5] == ["?", "acme-hook", "acme-hexkit", "2.3.4", "acme-hook"]
               for line in table)  # fmt: skip


def test_our_own_core_distribution_is_not_reported_as_foreign() -> None:
    assert foreign_core() is None


def test_a_foreign_hexkit_distribution_is_reported(
    make_distribution: MakeDistribution, capsys: pytest.CaptureFixture[str]
) -> None:
    make_distribution("hexkit", "9.9.9", scripts={"other": "somewhere:main"})
    assert main(["providers"]) == 1
    captured = capsys.readouterr()
    assert "'hexkit' distribution (version 9.9.9" in captured.err
    assert "not this project's hexkit" in captured.err
    assert "--index-url" in captured.err
    assert main(["--version"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "hexkit 9.9.9"
    assert lines[-1].startswith("warning: The installed 'hexkit' distribution")


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "name a command" in capsys.readouterr().err

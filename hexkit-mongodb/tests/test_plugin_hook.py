"""The mongodb plugin module imports no driver and announces only providers that load."""

from __future__ import annotations

from hexkit.testing import check_plugin_module


def test_plugin_module_is_light_and_its_providers_load() -> None:
    specs = check_plugin_module(
        "hexkit.providers.mongodb._plugin",
        heavy=["pymongo", "bson", "motor"],
        distribution="hexkit-mongodb",
    )
    assert [(spec.kind, spec.name) for spec in specs] == [("dao", "mongodb")]

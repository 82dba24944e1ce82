"""The s3 plugin module imports no SDK and announces only providers that load."""

from __future__ import annotations

from hexkit.testing import check_plugin_module


def test_plugin_module_is_light_and_its_providers_load() -> None:
    specs = check_plugin_module(
        "hexkit.providers.s3._plugin",
        heavy=["boto3", "botocore", "s3transfer"],
        distribution="hexkit-s3",
    )
    assert [(spec.kind, spec.name) for spec in specs] == [("objstorage", "s3")]

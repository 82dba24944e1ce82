"""The import contracts of the architecture hold over the whole repository.

The rules and the checker are in :mod:`tools.import_contracts`; each rule is one test here,
and tiny synthetic module sets show that each can fail.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from tools.import_contracts import (
    LAYERS,
    Import,
    circles,
    core_to_plugin,
    cross_provider,
    layer_breaches,
    optional_breaches,
    private_reaches,
    repository_sources,
    scan,
)


@pytest.fixture(scope="module")
def repository() -> list[Import]:
    return scan(repository_sources())


def test_there_are_no_import_circles(repository: list[Import]) -> None:
    found = circles(repository)
    assert not found, (
        "Import circles (break each: move the shared piece down, or pass state):\n"
        + ("\n".join("  circle:\n" + "\n".join(f"    {item}" for item in group) for group in found))
    )


def test_no_private_module_is_imported_from_outside_its_package(repository: list[Import]) -> None:
    found = private_reaches(repository)
    assert not found, (
        "Private modules imported from outside their package (export a public name):\n"
        + ("\n".join(f"  {item} (private to {owner or 'its top level'})" for item, owner in found))
    )


def test_no_provider_imports_another_provider(repository: list[Import]) -> None:
    found = cross_provider(repository)
    assert not found, "Providers importing another provider:\n" + "\n".join(
        f"  {item}" for item in found
    )


def test_the_core_imports_no_plugin_provider(repository: list[Import]) -> None:
    found = core_to_plugin(repository)
    assert not found, "The core imports a plugin provider (find it through entry points):\n" + (
        "\n".join(f"  {item}" for item in found)
    )


def test_every_package_imports_only_the_layers_below_it(repository: list[Import]) -> None:
    found = layer_breaches(repository)
    assert not found, "Imports against the layer order (see this module's docstring):\n" + (
        "\n".join(
            f"  {item} ({layer} may import only {', '.join(LAYERS[layer]) or 'nothing of hexkit'})"
            for item, layer in found
        )
    )


def test_optional_dependencies_are_imported_only_by_their_extras_package(
    repository: list[Import],
) -> None:
    found = optional_breaches(repository)
    assert not found, "An optional dependency imported outside its extra's package:\n" + (
        "\n".join(f"  {item} (only {owner} may)" for item, owner in found)
    )


def test_the_scan_sees_the_whole_repository(repository: list[Import]) -> None:
    importers = {item.importer for item in repository}
    for module in (
        "hexkit.cli._main",
        "hexkit.registry._registry",
        "hexkit.testing.dao._crud",
        "hexkit.fastapi._lifespan",
        "hexkit.cli._dev",
        "hexkit.otel._instrument",
    ):
        assert module in importers
    for module in (
        "hexkit.providers.mongodb._dao",
        "hexkit.providers.s3",
        "file_services.demo",
        "fastapi_app.app",
        "hexkit.providers.postgres.testutils._dev",
    ):
        assert module in importers


# Each rule can fail: tiny synthetic module sets ---------------------------------------------


def synthetic(modules: Mapping[str, str]) -> list[Import]:
    """Scan ``name -> source``; a name that prefixes another is a package."""
    return scan(
        {
            name: (source, any(other.startswith(name + ".") for other in modules), name)
            for name, source in modules.items()
        }
    )


TYPE_ONLY = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._a import A\n"


def test_a_circle_is_found_through_a_function_level_import() -> None:
    imports = synthetic(
        {
            "pkg": "",
            "pkg._a": "from ._b import helper\n",
            "pkg._b": "def helper():\n    from pkg._a import thing\n",
            "pkg._c": "from ._b import helper\n",
        }
    )
    assert [{item.importer for item in group} for group in circles(imports)] == [
        {"pkg._a", "pkg._b"}
    ]


def test_an_import_under_type_checking_closes_a_circle_too() -> None:
    imports = synthetic({"pkg": "", "pkg._a": "from ._b import B\n", "pkg._b": TYPE_ONLY})
    [group] = circles(imports)
    assert [(item.importer, item.type_checking) for item in group] == [
        ("pkg._a", False),
        ("pkg._b", True),
    ]
    assert str(group[1]) == "pkg._b:3: pkg._b imports pkg._a (under TYPE_CHECKING)"


def test_a_private_module_of_another_package_is_found() -> None:
    imports = synthetic(
        {
            "lib": "from ._impl import thing\n",
            "lib._impl": "from lib.sub import other\n",
            "lib.sub.mod": "from .._impl import thing\n",
            "app": "from lib._impl import thing\nfrom lib import _impl\nfrom __future__ import x\n",
        }
    )
    assert [(item.importer, item.target, owner) for item, owner in private_reaches(imports)] == [
        ("app", "lib._impl", "lib"),
        ("app", "lib._impl", "lib"),
    ]


def test_a_provider_importing_another_provider_is_found() -> None:
    imports = synthetic(
        {
            "hexkit.providers.one": "from hexkit.providers.two import Thing\n",
            "hexkit.providers.two": "from hexkit.protocols.dao import Dao\n",
        }
    )
    assert [(item.importer, item.target) for item in cross_provider(imports)] == [
        ("hexkit.providers.one", "hexkit.providers.two")
    ]


def test_the_core_importing_a_plugin_provider_is_found() -> None:
    imports = synthetic({"hexkit.registry._x": "import hexkit.providers.s3\n"})
    assert [item.target for item in core_to_plugin(imports)] == ["hexkit.providers.s3"]


def test_an_arrow_back_up_is_found() -> None:
    imports = synthetic(
        {
            "hexkit.registry": "from hexkit.migrations import migrate\n",
            "hexkit.protocols.dao": "from hexkit.protocols.objstorage import X\n",
            "hexkit.providers.x._dao": "from hexkit.testing import free_port\n",
            "hexkit.providers.x.testutils": "from hexkit.testing import free_port\n",
        }
    )
    assert [(item.importer, layer) for item, layer in layer_breaches(imports)] == [
        ("hexkit.providers.x._dao", "provider"),
        ("hexkit.registry", "hexkit.registry"),
    ]


def test_an_arrow_into_or_out_of_the_fastapi_adapter_is_found() -> None:
    imports = synthetic(
        {
            "hexkit.fastapi._ok": "from hexkit.registry import open_provider\n",
            "hexkit.fastapi._bad": "from hexkit.testing import free_port\n",
            "hexkit.registry._bad": "from hexkit.fastapi import add_problem_handlers\n",
            "hexkit.providers.x._dao": "import hexkit.fastapi\n",
        }
    )
    assert [(item.importer, layer) for item, layer in layer_breaches(imports)] == [
        ("hexkit.fastapi._bad", "hexkit.fastapi"),
        ("hexkit.providers.x._dao", "provider"),
        ("hexkit.registry._bad", "hexkit.registry"),
    ]


def test_an_optional_dependency_imported_outside_its_package_is_found() -> None:
    imports = synthetic(
        {
            "hexkit.fastapi._ok": "from fastapi import Depends\nimport starlette.types\n",
            "hexkit.registry._bad": "from fastapi.responses import JSONResponse\n",
            "hexkit.protocols.dao._bad": "def f():\n    import starlette\n",
            "fastapi_app.app": "from fastapi import FastAPI\n",
        }
    )
    assert [(item.importer, item.target) for item, _ in optional_breaches(imports)] == [
        ("hexkit.protocols.dao._bad", "starlette"),
        ("hexkit.registry._bad", "fastapi.responses"),
    ]


def test_an_arrow_into_or_out_of_the_tracing_package_is_found() -> None:
    imports = synthetic(
        {
            "hexkit.otel._ok": "from hexkit.registry import add_provider_wrapper\n",
            "hexkit.otel._bad": "from hexkit.fastapi import status_of\n",
            "hexkit.registry._bad": "import hexkit.otel\n",
        }
    )
    assert [(item.importer, layer) for item, layer in layer_breaches(imports)] == [
        ("hexkit.otel._bad", "hexkit.otel"),
        ("hexkit.registry._bad", "hexkit.registry"),
    ]


def test_opentelemetry_imported_outside_the_tracing_package_is_found() -> None:
    imports = synthetic(
        {
            "hexkit.otel._ok": "from opentelemetry import trace\n",
            "hexkit.registry._bad": "from opentelemetry.trace import Tracer\n",
            "hexkit.providers.x._dao": "def f():\n    import opentelemetry\n",
            "support.otel": "import opentelemetry.sdk\n",
        }
    )
    assert [(item.importer, item.target) for item, _ in optional_breaches(imports)] == [
        ("hexkit.providers.x._dao", "opentelemetry"),
        ("hexkit.registry._bad", "opentelemetry.trace"),
    ]

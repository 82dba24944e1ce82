"""tools/index.py: the loopback server and the install guide's uv example that indextest locks."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tools import index


def test_serve_serves_the_directory_on_loopback_until_the_block_ends(tmp_path: Path) -> None:
    (tmp_path / "simple").mkdir()
    (tmp_path / "simple" / "index.html").write_text("ours")

    with index.serve(tmp_path) as url:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{url}/simple/index.html", timeout=10) as response:  # noqa: S310 - loopback
            assert response.read() == b"ours"
    with pytest.raises(urllib.error.URLError, match="refused"):
        urllib.request.urlopen(f"{url}/simple/index.html", timeout=1)  # noqa: S310 - loopback


def test_the_install_guide_has_the_uv_example_indextest_locks() -> None:
    config = index.uv_example(index.INSTALL_GUIDE.read_text())

    assert "[[tool.uv.index]]" in config
    assert index.EXAMPLE_URL in config
    project = index.uv_project(config, "http://127.0.0.1:1/simple/")
    assert index.EXAMPLE_URL not in project
    assert project.count("[project]") == 1
    assert 'hexkit-mongodb = { index = "hexkit" }' in project


def test_a_guide_without_the_uv_example_is_refused() -> None:
    with pytest.raises(ValueError, match="no uv example"):
        index.uv_example("```toml\n[project]\n```\n")


def test_the_lock_check_accepts_only_hexkit_from_our_index() -> None:
    url = "http://127.0.0.1:1/simple/"
    ours = {"registry": url}
    lock = {
        "package": [
            {"name": "hexkit", "source": ours},
            {"name": "hexkit-mongodb", "source": ours},
            {"name": "hexkit-s3", "source": ours},
            {"name": "pydantic", "source": {"registry": "https://pypi.org/simple"}},
        ]
    }
    assert index.foreign_sources(lock, url) is None

    lock["package"][0]["source"] = {"registry": "https://pypi.org/simple"}
    assert index.foreign_sources(lock, url) == {
        "hexkit": {"registry": "https://pypi.org/simple"},
        "hexkit-mongodb": ours,
        "hexkit-s3": ours,
    }

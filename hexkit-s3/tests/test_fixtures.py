"""The pytest plugin: backends, reset, populate helpers and the HTTP transfer."""

from __future__ import annotations

from pathlib import Path

import pytest

from hexkit.providers.s3.testutils import (
    BACKEND_ENV,
    S3Fixture,
    S3Server,
    start_server,
)

from ._helpers import drain


@pytest.mark.asyncio
async def test_populate_helpers_and_reset(s3: S3Fixture, tmp_path: Path) -> None:
    file = tmp_path / "report.csv"
    file.write_bytes(b"a,b\n1,2\n")
    await s3.populate_buckets(["one", "two"])
    metadata = await s3.populate_file("two", "reports/r.csv", file, content_type="text/csv")
    await s3.populate_file("three", "raw", b"bytes")
    assert (metadata.size, metadata.content_type) == (8, "text/csv")
    assert await drain(s3.storage.get_object("two", "reports/r.csv")) == b"a,b\n1,2\n"
    await s3.storage.init_multipart_upload("one", "pending")
    await s3.reset()
    for bucket_id in ("one", "two", "three"):
        assert not await s3.storage.does_bucket_exist(bucket_id)


@pytest.mark.asyncio
async def test_each_test_starts_on_an_empty_server(s3: S3Fixture) -> None:
    assert await s3.storage._list_bucket_ids() == []
    assert s3.config.s3_endpoint_url == s3.server.endpoint_url


def test_the_server_repr_hides_its_secret(s3_server: S3Server) -> None:
    secret = s3_server.secret_access_key.get_secret_value()
    assert secret not in repr(s3_server)
    assert s3_server.backend in {"seaweedfs", "moto", "testcontainers", "external"}


def test_an_endpoint_url_backend_points_at_that_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BACKEND_ENV, "http://s3.example:9000")
    monkeypatch.setenv("HEXKIT_TEST_S3_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("HEXKIT_TEST_S3_SECRET_ACCESS_KEY", "shh")
    monkeypatch.delenv("HEXKIT_TEST_S3_OTHER_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("HEXKIT_TEST_S3_OTHER_SECRET_ACCESS_KEY", raising=False)
    with start_server() as server:
        assert (server.backend, server.endpoint_url) == ("external", "http://s3.example:9000")
        assert server.secret_access_key.get_secret_value() == "shh"
        assert server.other_access_key_id is None
        with pytest.raises(LookupError, match="HEXKIT_TEST_S3_OTHER_ACCESS_KEY_ID"):
            server.other_config_values()
    monkeypatch.setenv("HEXKIT_TEST_S3_OTHER_ACCESS_KEY_ID", "id2")
    monkeypatch.setenv("HEXKIT_TEST_S3_OTHER_SECRET_ACCESS_KEY", "shh2")
    with start_server() as server:
        values = server.other_config_values()
        assert values["s3_access_key_id"] == "id2"
        assert values["s3_secret_access_key"].get_secret_value() == "shh2"
        assert "shh2" not in repr(server)


def test_an_unknown_backend_names_the_choices() -> None:
    with (
        pytest.raises(ValueError, match=r"'auto', 'embedded' .*'moto', 'testcontainers'"),
        start_server("docker-please"),
    ):
        pass

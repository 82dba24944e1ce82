"""The demo says what it is starting, instead of seconds of silence while servers start."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from file_services import demo


def test_the_demo_announces_the_server_it_starts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEMO_POSTGRES_DSN", raising=False)
    with ExitStack() as stack:
        config = demo.postgres_config(stack)
        announced = capsys.readouterr().out.splitlines()
    assert announced == [f"{'starting':<34} embedded PostgreSQL"]
    assert str(config["postgres_dsn"]).startswith("postgresql://")


def test_a_given_server_is_used_without_an_announcement(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_POSTGRES_DSN", "postgresql://app@127.0.0.1:5999/app")
    with ExitStack() as stack:
        config = demo.postgres_config(stack)
    assert config["postgres_dsn"] == "postgresql://app@127.0.0.1:5999/app"
    assert capsys.readouterr().out == ""

"""``hexkit migrate status|up|down`` through ``main([...])`` with the memory provider."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hexkit.cli import main
from hexkit.cli._progress import Progress
from hexkit.migrations import MigrationEvent

MODULE = "from hexkit.testing.migrations import migrations\nMIGRATIONS = migrations()\n"


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "kit_migrations.py").write_text(MODULE)
    (tmp_path / "no_migrations.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "kit_migrations"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["migrate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_status_of_a_new_database(capsys: pytest.CaptureFixture[str], module: str) -> None:
    code, out, _ = _run(capsys, "status", "--provider", "memory", "--migrations", module, "--json")
    assert code == 0
    status = json.loads(out)
    assert (status["version"], status["latest"], status["history"], status["lock"]) == (
        0, 2, [], None,
    )  # fmt: skip
    code, out, _ = _run(capsys, "status", "--provider", "memory")
    assert out.splitlines()[:3] == ["version: 0", "lock: free", "history: none"]


def test_up_runs_every_step_and_reports_it(capsys: pytest.CaptureFixture[str], module: str) -> None:
    code, out, _ = _run(capsys, "up", "--provider", "memory", "--migrations", module, "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["start_version"], report["version"]) == (0, 2)
    assert [step["version"] for step in report["steps"]] == [1, 2]
    code, out, _ = _run(capsys, "up", "--provider", "memory", "--migrations", module)
    assert out.splitlines()[0] == "migrated 0 -> 2:"
    assert "1 -> 2 up: small=0, large=0; removes items" in out


def test_a_dry_run_says_what_it_would_do(capsys: pytest.CaptureFixture[str], module: str) -> None:
    argv = ["up", "--provider", "memory", "--migrations", module, "--target", "1", "--dry-run"]
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    assert out.splitlines()[0] == "would migrate 0 -> 1:"


def test_down_past_the_current_version_is_refused(
    capsys: pytest.CaptureFixture[str], module: str
) -> None:
    argv = ["down", "--provider", "memory", "--migrations", module, "--target", "1"]
    code, _, err = _run(capsys, *argv)
    assert code == 1
    assert "at version 0; use `up` to reach 1" in err


def test_a_module_without_migrations_is_named(
    capsys: pytest.CaptureFixture[str], module: str
) -> None:
    code, out, _ = _run(
        capsys, "up", "--provider", "memory", "--migrations", "no_migrations", "--json"
    )
    assert code == 1
    assert "'no_migrations' has no list named MIGRATIONS" in json.loads(out)["message"]


@pytest.mark.parametrize("config", ['{"password": "s3cret"', '{"password": "s3cret"}'])
def test_config_values_are_never_echoed(
    capsys: pytest.CaptureFixture[str], module: str, config: str
) -> None:
    code, out, err = _run(capsys, "status", "--provider", "memory", "--config", config)
    assert code == 1
    assert "s3cret" not in out + err
    assert "config" in err.lower()


def test_config_from_a_file(
    capsys: pytest.CaptureFixture[str], module: str, tmp_path: Path
) -> None:
    path = tmp_path / "config.json"
    path.write_text("{}")
    code, out, _ = _run(capsys, "status", "--provider", "memory", "--config", str(path))
    assert code == 0
    assert out.startswith("version: 0")


def test_an_unreachable_database_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hexkit.cli import _migrate  # noqa: PLC0415 - the seam this test replaces
    from hexkit.protocols.dao import DbUnavailableError  # noqa: PLC0415

    async def down(factory: object) -> object:
        raise DbUnavailableError("The database cannot be reached; check that it runs.")

    monkeypatch.setattr(_migrate, "migration_status", down)
    for output in ("--json", None):
        argv = ["status", "--provider", "memory", "--migrations", module]
        code, out, err = _run(capsys, *argv, *([output] if output else []))
        assert code == 1
        if output:
            assert json.loads(out) == {
                "error": "DbUnavailableError",
                "message": "The database cannot be reached; check that it runs.",
            }
        else:
            assert err == "hexkit migrate: The database cannot be reached; check that it runs.\n"


@pytest.mark.parametrize(
    ("source", "kind"),
    [("MIGRATIONS = [\n", "SyntaxError"), ("raise TypeError('no such thing')\n", "TypeError")],
)
def test_a_migrations_module_that_fails_to_import_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    kind: str,
) -> None:
    (tmp_path / "broken_migrations.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out, err = _run(capsys, "up", "--provider", "memory", "--migrations", "broken_migrations")
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert f"'broken_migrations' failed with {kind}" in err
    assert "Fix the module" in err


def test_up_with_json_reports_progress_as_json_lines_on_stderr(
    capsys: pytest.CaptureFixture[str], module: str
) -> None:
    argv = ["up", "--provider", "memory", "--migrations", module, "--json", "--batch-size", "1"]
    code, out, err = _run(capsys, *argv)
    assert code == 0
    assert json.loads(out)["version"] == 2  # stdout stays one JSON document
    lines = [json.loads(line) for line in err.splitlines()]
    assert lines
    assert {line["event"] for line in lines} == {"progress"}
    assert {line["stage"] for line in lines} <= {"batch", "switched"}
    assert [line["version"] for line in lines if line["stage"] == "switched"] == [1, 2]
    for line in lines:
        assert line["total"] is not None
        assert 0 <= line["read"] <= line["total"]
        assert line["rate"] >= 0


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_draws_a_bar_with_rate_and_eta() -> None:
    terminal = _Terminal()
    progress = Progress(terminal, json_lines=False)
    progress(MigrationEvent("locked", 0))
    progress(MigrationEvent("batch", 1, "items", documents=40, read=40, total=100))
    progress(MigrationEvent("switched", 1, documents=100, read=100, total=100))
    text = terminal.getvalue()
    first = text.split("\r")[1]
    assert "version 1 [" in first
    assert "40%" in first
    assert "40/100 documents" in first
    assert "/s" in first
    assert "ETA " in first
    assert "ETA --" not in first
    assert " 100% 100/100 documents" in text.split("\r")[2]
    assert text.endswith("\n")  # the finished bar stays, the next output starts a new line


def test_progress_off_a_terminal_without_json_prints_nothing() -> None:
    stream = io.StringIO()
    progress = Progress(stream, json_lines=False)
    progress(MigrationEvent("batch", 1, "items", documents=1, read=1, total=2))
    assert stream.getvalue() == ""

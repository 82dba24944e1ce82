"""Writing results into bench/README.md: each benchmark owns a marked section."""

from __future__ import annotations

from pathlib import Path

from support.timing import Row

README = Path(__file__).resolve().parents[1] / "README.md"


def ratio_table(rows: list[Row]) -> list[str]:
    """Markdown table of raw vs DAO CPU and wall time per row, with the target."""
    lines = [
        "| operation | raw CPU µs/op | DAO CPU µs/op | CPU DAO/raw | raw wall µs/op"
        " | DAO wall µs/op | wall DAO/raw | target (CPU) | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        wall_ratio = row.dao.wall / row.raw.wall
        target = "—" if row.target is None else f"<= {row.target:.2f}x"
        met = {None: "—", True: "yes", False: "no"}[row.met]
        lines.append(
            f"| {row.name} | {row.raw.cpu * 1e6:.1f} | {row.dao.cpu * 1e6:.1f}"
            f" | {row.cpu_ratio:.2f}x | {row.raw.wall * 1e6:.1f} | {row.dao.wall * 1e6:.1f}"
            f" | {wall_ratio:.2f}x | {target} | {met} |"
        )
    return lines


def write_section(name: str, section: str) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    start_mark, end_mark = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = README.read_text(encoding="utf-8")
    if start_mark not in text or end_mark not in text:
        raise SystemExit(f"{README} has no {start_mark} / {end_mark} markers.")
    start, end = text.index(start_mark) + len(start_mark), text.index(end_mark)
    README.write_text(text[:start] + "\n" + section + "\n" + text[end:], encoding="utf-8")

"""MkDocs hook: include the repository's READMEs into pages, with their links remapped.

A line ``<!-- include: path/in/repo.md -->`` is replaced by that file (its first heading
dropped: the page has its own), and each relative link in it is rewritten to the page
that includes its target, so the READMEs stay the single source and ``--strict`` still
checks every link.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Repository file -> the docs page that shows it.
PAGES = {
    "README.md": "index.md",
    "hexkit-core/README.md": "core.md",
    "hexkit-core/docs/migrations.md": "migrations.md",
    "hexkit-mongodb/README.md": "providers/mongodb.md",
    "hexkit-postgres/README.md": "providers/postgres.md",
    "hexkit-s3/README.md": "providers/s3.md",
    "examples/file_services/README.md": "file-services.md",
    "bench/README.md": "benchmarks.md",
    "RELEASING.md": "releasing.md",
}
_INCLUDE = re.compile(r"^<!-- include: (\S+) -->$", re.MULTILINE)
_LINK = re.compile(r"\]\((?!https?:|#|mailto:)([^)#\s]+)(#[^)\s]*)?\)")


def _included(source: str, page: str) -> str:
    text = (ROOT / source).read_text()
    text = re.sub(r"\A# .*\n", "", text)  # the page has its own title

    def relink(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(source), match[1]))
        anchor = match[2] or ""
        # A page of docs/ itself is linked where it is; a file of PAGES where it is shown.
        shown = target.removeprefix("docs/") if target.startswith("docs/") else PAGES.get(target)
        if shown is not None:
            return f"]({posixpath.relpath(shown, posixpath.dirname(page) or '.')}{anchor})"
        return match[0]  # not shown on the site: left for --strict to report

    return _LINK.sub(relink, text)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Expand the include markers of one page."""
    return _INCLUDE.sub(lambda match: _included(match[1], page.file.src_uri), markdown)

"""The reviewer's technical annex, `<out>/annexe_technique.html`: what the reader's note leaves
out on purpose (keyword patterns, parameter files, identifiers of the consistency checks, the
screening funnel with its internal keys, files read with their checksums, software versions,
the parameters of the run), plus the editorial paragraphs to re-read and any tool talk found in
the note. Self-contained, French, all values escaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from . import htmlblocks
from .atomic import write_text

FILE_NAME = "annexe_technique.html"

CSS = """
body { font-family: 'DejaVu Sans', sans-serif; font-size: 10pt; max-width: 60em; margin: 2em auto; color: #111; }
h1 { font-size: 15pt; border-bottom: 1px solid #888; margin-top: 2em; }
h2 { font-size: 12pt; margin-top: 1.5em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #bbb; padding: 2px 6px; vertical-align: top; text-align: left; }
code, pre { font-family: 'DejaVu Sans Mono', monospace; font-size: 8.5pt; }
pre { background: #f4f4f4; padding: .5em; white-space: pre-wrap; }
.isn-stale { background: #fff4e5; }
"""


def path(layout) -> Path:
    return layout.root / FILE_NAME


def _stale(report: Mapping | None) -> list[dict] | None:
    """The editorial paragraphs whose cited figures changed since their approval (None: no report)."""
    if not report:
        return None
    return [{"id": item["id"], "status": item["status"], "excerpt": item["excerpt"],
             "changes": list(item.get("changes", []))}
            for item in report.get("paragraphs", []) if item["status"] != "à jour"]


def write(layout, *, method_html: str, provenance_html: str, tool_talk: Iterable[tuple[str, str]] = (),
          editorial: Mapping | None = None, title: str = "") -> Path:
    """Write the page (`templates/blocks/technical_annex.html.j2`); `method_html` and
    `provenance_html` are blocks rendered already."""
    html = htmlblocks.render("technical_annex", title=title, css=htmlblocks.markup(CSS), stale=_stale(editorial),
                             tool_talk=list(tool_talk), method=htmlblocks.markup(method_html),
                             provenance=htmlblocks.markup(provenance_html))
    target = path(layout)
    write_text(target, html)
    return target

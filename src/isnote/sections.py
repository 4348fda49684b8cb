"""Opening and closing sections of the note.

- The synthesis (« Synthèse »), first after the title page, on a page of its own: the template
  `narrative/synthese.md.j2` rendered from `isnote.synthesis.facts`, unnumbered.
- The closing sections, after the results and before the annexes: the editorial Markdown files
  of `content/fin/` (by default « Conclusions et perspectives » and « Limites de la démarche »),
  rendered by `isnote.editorial` so that the figures they cite are checked against their approval.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import nbformat

from . import editorial, narrative


def markdown_html(md: str) -> str:
    from nbconvert.filters.markdown import markdown2html

    html = markdown2html(md)
    return re.sub(r' style="text-align:(?:left|right|center)"', "", html)


def _html_cell(html: str):
    return nbformat.v4.new_code_cell(source="", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": html})])


def synthesis_cell(params: Mapping, kf: Mapping):
    md = narrative.render_for("synthese", params, kf)
    body = markdown_html(md)
    body = body.replace("<table>", '<table class="isn-keyfigures">')
    return _html_cell('<section class="isn-synthese" id="synthese">'
                      '<h1 data-nonum="" id="synthese-titre">Synthèse</h1>' + body + "</section>")


def closing_cells(params: Mapping, kf: Mapping, content_dir: Path | None, paragraphs: list) -> list:
    cells = []
    for label, path in editorial.content_files(params, content_dir):
        if not label.startswith("content/fin/"):
            continue
        text, paras = editorial.render(path.read_text(encoding="utf-8"), label, params, kf)
        paragraphs.extend(paras)
        cells.append(nbformat.v4.new_markdown_cell(text))
    return cells

"""Opening and closing sections of the note.

- The synthesis (« Synthèse »), first after the title page, on a page of its own: the template
  `narrative/synthese.md.j2` rendered from `isnote.synthesis.facts`, unnumbered.
- What the lot-5 study of the IEJ evaluation taught (`lot5_lessons_cell`, parameter `lot5_lessons`),
  right after the IEJ results, before the closing sections.
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


def lot5_lessons_cell(params: Mapping, kf: Mapping):
    """The section on what the lot-5 study of the IEJ evaluation taught (parameter `lot5_lessons`),
    right after the IEJ results; None without the parameter or without IEJ operations."""
    present = (kf.get("perimeter") or {}).get("programmes_present") or list((kf.get("volumes") or {}).keys())
    if "iej" not in present or not params.get("lot5_lessons"):
        return None
    md = narrative.render_for("iej_lot5_lecons", params, kf)
    return nbformat.v4.new_markdown_cell(md) if md.strip() else None


def closing_cells(params: Mapping, kf: Mapping, content_dir: Path | None, paragraphs: list) -> list:
    lot5 = lot5_lessons_cell(params, kf)
    cells = [lot5] if lot5 is not None else []
    for label, path in editorial.content_files(params, content_dir):
        if not label.startswith("content/fin/"):
            continue
        text, paras = editorial.render(path.read_text(encoding="utf-8"), label, params, kf)
        paragraphs.extend(paras)
        cells.append(nbformat.v4.new_markdown_cell(text))
    return cells


_CATEGORY_MARKER = re.compile(r'<div[^>]*data-isn-insert="fiches-([A-Za-z0-9_-]+)"[^>]*>\s*</div>')


def place_category_fiches(cells: list, retained, params: Mapping) -> tuple[object, int]:
    """Put the project sheets of each category where its marker stands (`insert_marker("fiches-<key>")`,
    at the end of the category's subsection). Returns the retained rows whose sheets are still to
    place (other categories, or no marker) and the number placed."""
    import pandas as pd

    from . import htmlblocks
    from .note import _category_labels, emblematic, fiche_html

    if retained is None:
        return retained, 0
    rows = emblematic(retained, params)
    if rows.empty or "categorie" not in rows.columns:
        return retained, 0
    labels = _category_labels(params)
    placed_ids: set = set()
    for cell in cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if not html or "fiches-" not in html:
                continue

            def fill(m):
                sub = rows[rows["categorie"].astype("string") == m.group(1)]
                if sub.empty:
                    return ""
                placed_ids.update(sub["op_id"].astype(str))
                sheets = [htmlblocks.markup(fiche_html(rec, labels, params)) for rec in sub.to_dict("records")]
                return htmlblocks.render("fiches", sheets=sheets, category=m.group(1))

            out["data"]["text/html"] = _CATEGORY_MARKER.sub(fill, html)
    if not placed_ids:
        return retained, 0
    keep = ~(retained["op_id"].astype(str).isin(placed_ids)
             & retained.get("wave", pd.Series(str(params["current_wave"]), index=retained.index)).astype(str)
             .eq(str(params["current_wave"])))
    return retained[keep], len(placed_ids)

"""Assembly of the note: `<out>/note.html` (self-contained), `<out>/note.pdf` (WeasyPrint, A4),
`<out>/ramo_14_5.txt`, and a reviewer HTML (code + outputs) next to each executed notebook.

Order of the note: title block, table of contents, static sections (`content/*.md`, Markdown with
`{{ }}` placeholders rendered by isnote.narrative), the executed notebooks' markdown cells and
rich outputs in order (no code, no parameters cell, no stream/stderr/plain-text output, no cell
tagged `hide-in-note`), project sheets of the emblematic operations, annexes A (list of retained
operations, searchable and sortable), B (method) and C (provenance).

Sections are numbered from the headings (an explicit number such as "4.1" is kept, otherwise the
next number is given); tables and figures are numbered in document order from `data-caption`.
French typography is applied to the text nodes at the end. The output is deterministic except
for the run date and the provenance block.
The assembler is in three parts: `isnote.note.data` (what is read from the run), `isnote.note.render`
(cells and HTML blocks, nbconvert export) and `isnote.note.post` (numbering, typography, links,
sanitising, PDF). This module keeps the entry points (`build`, `warm_up`, the reviewer view) and
re-exports the names callers use (`note.postprocess`, `note.fiche_html`, ...).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from .. import narrative, printcheck, provenance, techannex
from ..atomic import write_text
from ..config import Layout, Params
from .data import (NOTEBOOK_GLOB, NoteError, _category_labels, _category_order, _flatten_funnel,  # noqa: F401
                   _meta_entries, _read_json, emblematic, notebook_paths, read_key_figures, read_retained)
from .post import (_NUM_HEADING, _NUMBERED_CAPTION, _captioned_markdown_tables, _fill_toc,  # noqa: F401
                   _number_boxes, _number_floats, _number_headings, _slug, _with_class, postprocess, write_pdf)
from .render import (ANNEX_COLUMNS, CONTENT_DIR, DEFAULT_TITLE, DROP_TAGS, FICHE_FIELDS,  # noqa: F401
                     FICHES_MARKER_RE, FUNNEL_LABELS, KEEP_MIMES, NOT_GIVEN, NOTE_TEMPLATE, REVIEW_TEMPLATE,
                     RUNNING_TITLE, SMALL_TABLE_ROWS, TEMPLATES_DIR, _ENTITY_AMP, _code_cell, _css_string,
                     _date_fr, _esc_series, _exporter, _html_cell, _md_cell, _note_exporter, _num_series, _output,
                     _page_css, _single_parse_exporter, _val, annex_list_html, annex_method_html,
                     assemble, export_note_html, fiche_html, fiches_block, filter_notebook, run_label,
                     static_cells, title_info)




def build_companion(path: Path, params: Params | None = None) -> Path:
    """Reviewer view of one executed notebook: `NN_name.html` next to it, code and outputs."""
    from .. import companion
    return companion.build(Path(path), params)


def build_companions(layout: Layout, params: Params | None = None) -> list[Path]:
    """Reviewer view: `<out>/notebooks/NN_name.html` with code and outputs, readable offline."""
    return [build_companion(path, params) for path in notebook_paths(layout)]


def ramo_path(layout: Layout) -> Path:
    return layout.root / "ramo_14_5.txt"


def build(params: Params, layout: Layout | None = None, *, pdf: bool = True, companions: bool = True,
          run_date: _dt.datetime | None = None, content_dir: Path | None = None,
          pdf_cache: Path | None = None, post_cache: Path | None = None) -> dict:
    """Assemble the note of a run whose notebooks have been executed into `<out>/notebooks/`.

    Writes note.html, note.pdf (unless pdf=False), ramo_14_5.txt, provenance.json and the
    reviewer HTML of each notebook (unless companions=False). Returns what was written and a few
    counts (sections, tables, figures, fiches, warnings). `pdf_cache`: folder where the PDF's
    laid-out parts are kept from one run to the next (isnote.pdfparts); `post_cache`: folder where
    the post-processed parts of the page are kept (isnote.note.postcache; same page as without).
    """
    layout = layout or params.layout
    if post_cache is not None:
        keep_compiled_templates(post_cache)
    when = provenance.run_datetime(run_date)
    kf = read_key_figures(layout)
    retained = read_retained(layout)
    info: dict = {"warnings": []}

    nb = assemble(params, layout, kf, retained=retained, when=when, content_dir=content_dir, info=info)
    tinfo = title_info(params, when)
    from ..htmlguard import run_images
    js = (TEMPLATES_DIR / NOTE_TEMPLATE / "annex.js").read_text(encoding="utf-8")
    from . import postcache
    if postcache.enabled():          # the live preview: by part, reusing the unchanged ones
        html = postcache.postprocess(export_note_html(nb, tinfo, cell_mark=postcache.CELL_MARK), info,
                                     allowed_images=run_images(layout.figures, [nb]), scripts=[js])
    elif post_cache is not None:     # make report: the parts of the previous run, kept on disk
        kept = postcache.load(post_cache)
        html = postcache.postprocess(export_note_html(nb, tinfo, cell_mark=postcache.CELL_MARK), info,
                                     allowed_images=run_images(layout.figures, [nb]), scripts=[js], cache=kept)
        postcache.save(kept, post_cache)
    else:
        html = postprocess(export_note_html(nb, tinfo), info, allowed_images=run_images(layout.figures, [nb]),
                           scripts=[js])
    write_text(layout.note_html, html)
    result: dict = {"html": layout.note_html}

    prov = info.pop("provenance")
    provenance.write_json(prov, layout.root / "provenance.json")
    result["provenance"] = layout.root / "provenance.json"
    result["technical_annex"] = techannex.write(
        layout, method_html=annex_method_html(params, layout),
        provenance_html=provenance.render_html(prov, run_label(when)),
        tool_talk=info.get("tool_talk", ()), editorial=info.get("editorial"), title=tinfo["title"])

    ramo = narrative.ramo_text(params, kf)
    write_text(ramo_path(layout), ramo)
    result.update(ramo=ramo_path(layout), ramo_chars=len(ramo.rstrip("\n")), ramo_limit=narrative.ramo_limit(params))

    if pdf:
        result["pdf_stats"] = {}
        result["print_overflows"] = write_pdf(html, layout.note_pdf, cache_dir=pdf_cache, stats=result["pdf_stats"])
        info["warnings"].extend(printcheck.messages(result["print_overflows"]))
        result["pdf"] = layout.note_pdf
    if companions:
        result["companions"] = build_companions(layout, params)
    result.update(info)
    return result


def keep_compiled_templates(root: Path) -> None:
    """Jinja's compiled templates (narrative texts, HTML blocks, the note's nbconvert template) kept
    in `root` from one run's process to the next (isnote.jinjacache)."""
    from .. import htmlblocks, jinjacache
    jinjacache.attach(narrative._env(), jinjacache.folder(root, "narrative"))
    jinjacache.attach(htmlblocks.environment(), jinjacache.folder(root, "blocks"))
    jinjacache.attach(_note_exporter().environment, jinjacache.folder(root, "note"))


def warm_up(pdf: bool = False) -> None:
    """Do once, ahead (while the notebooks run), what the first assembly of a process pays for:
    create the note's exporter (its template is compiled at the first export, once the on-disk
    cache of compiled templates is attached); with `pdf`, start the processes that lay out the
    PDF's parts."""
    _note_exporter()
    if pdf:
        from .. import pdfparts
        pdfparts.start_pool()

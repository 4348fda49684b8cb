"""Rendering of the note: the notebook cells the note shows (markdown cells and rich outputs of the
executed notebooks, static sections, synthesis and closing sections, project sheets, annexes), the
HTML blocks built from data (project sheets, Annex A, the method annex of the technical annex: the
values are gathered here, the HTML is in the Jinja templates of `templates/blocks/`, rendered by
isnote.htmlblocks) and their export through the note's nbconvert template. Data comes from isnote.note.data; numbering,
typography, sanitising and the PDF are isnote.note.post.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from pathlib import Path
from typing import Any, Mapping

import nbformat
import pandas as pd

from .. import annexes, editorial, frwords, narrative, provenance, readertext, sections, typography
from .. import htmlblocks as blocks
from ..config import PROJECT_ROOT, Layout, Params, resolve
from ..errors import InputError
from ..frdates import numeric_date as _date_fr
from ..frnum import fmt_eur, fmt_int
from ..labels import dataset_label, wave_label
from ..pdfparts import FIRST_PAGE_CSS
from .data import NoteError, _category_labels, _flatten_funnel, _meta_entries, _read_json, emblematic, notebook_paths

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
NOTE_TEMPLATE = "note"
REVIEW_TEMPLATE = "review"
CONTENT_DIR = PROJECT_ROOT / "content"

DEFAULT_TITLE = "L'innovation sociale dans le PON FSE « Emploi et Inclusion » et le PON IEJ"
RUNNING_TITLE = "L’innovation sociale dans les PON FSE et IEJ"

DROP_TAGS = frozenset({"hide-in-note", "parameters", "injected-parameters", "remove-cell", "remove_cell"})
KEEP_MIMES = ("text/html", "text/markdown", "image/png", "image/jpeg", "image/svg+xml")
FICHES_MARKER_RE = re.compile(r'<div[^>]*data-isn-insert="fiches"[^>]*>\s*</div>')
SMALL_TABLE_ROWS = 25

# --------------------------------------------------------------------------------------------
# small formatting helpers (French)


def run_label(when: _dt.datetime) -> str:
    return f"{narrative.fmt_date(when.date())} à {when.strftime('%H:%M')}"


def _esc_series(s: pd.Series) -> pd.Series:
    """Vectorised HTML escaping of a column (missing -> empty)."""
    text = s.astype("string").fillna("")
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")):
        text = text.str.replace(a, b, regex=False)
    return text


def _num_series(s: pd.Series, decimals: int = 0) -> pd.Series:
    """Vectorised French number formatting (narrow no-break space, decimal comma)."""
    x = pd.to_numeric(s, errors="coerce").astype("float64")
    text = x.round(decimals).map(lambda v: "" if v != v else f"{v:,.{decimals}f}")  # noqa: E731
    return (text.str.replace(",", "\u202f", regex=False).str.replace(".", ",", regex=False)
            .astype("string").fillna(""))


# --------------------------------------------------------------------------------------------
# notebook cells -> note cells


_ENTITY_AMP = re.compile(r"&(?!#[0-9]{1,7};|#x[0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")


def filter_notebook(nb: nbformat.NotebookNode, name: str, warnings: list[str],
                    absent: frozenset[str] = frozenset()) -> list:
    """Keep what belongs in the note: markdown cells and rich outputs of code cells. Cells tagged
    `needs-<input>` (e.g. needs-survey) are left out when that input is in `absent`."""
    cells = []
    for index, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []) or [])
        if tags & DROP_TAGS or any(f"needs-{a}" in tags for a in absent):
            continue
        if cell.cell_type == "markdown":
            cells.append(_md_cell(cell.source))
            continue
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue                                   # stream, stderr, errors
            data = {k: v for k, v in out.get("data", {}).items() if k in KEEP_MIMES}
            html = data.get("text/html", "")
            if isinstance(html, list):
                html = "".join(html)
            if 'class="dataframe"' in html or "class='dataframe'" in html:
                warnings.append(f"{name}, cellule {index + 1} : DataFrame affiché brut, ignoré "
                                "(utiliser isnote.display.table_html)")
                continue
            if out["output_type"] == "execute_result" and "text/markdown" not in data and "isn-" not in html:
                continue                                   # value of a last expression: stray repr
            if not data:
                continue
            if "text/markdown" in data and (out.get("metadata") or {}).get(narrative.AS_CELL_KEY):
                # section text rendered from a template (narrative.show(..., as_cell=True)):
                # a markdown cell of the note, in its place among the outputs
                if outputs:
                    cells.append(_code_cell(outputs))
                    outputs = []
                md = data["text/markdown"]
                md = "".join(md) if isinstance(md, list) else md
                cells.append(_md_cell(_ENTITY_AMP.sub("&amp;", md).replace("<", "&lt;")))
                continue
            if "text/markdown" in data:
                # Markdown built by code may quote data: raw HTML in it is shown as text, never run
                md = data["text/markdown"]
                md = "".join(md) if isinstance(md, list) else md
                # (character references written by narrative.md_text are kept: they are inert)
                data["text/markdown"] = _ENTITY_AMP.sub("&amp;", md).replace("<", "&lt;")
            outputs.append(_output(data))
        if outputs:
            cells.append(_code_cell(outputs))
    return cells


# The cells of the assembled notebook are built as plain nodes: the nbformat.v4.new_* helpers
# validate each cell against the JSON schema, which cost a fifth of an HTML-only assembly.
def _md_cell(source: str):
    return nbformat.from_dict({"cell_type": "markdown", "metadata": {}, "source": source})


def _output(data: dict):
    return nbformat.from_dict({"output_type": "display_data", "data": data, "metadata": {}})


def _code_cell(outputs: list):
    return nbformat.from_dict({"cell_type": "code", "metadata": {}, "source": "", "outputs": outputs,
                               "execution_count": None})


def _html_cell(html: str):
    return _code_cell([_output({"text/html": html})])


def static_cells(params: Params, kf: Mapping, content_dir: Path | None = None,
                 paragraphs: list | None = None) -> list:
    """The editable static sections (content/*.md), placeholders rendered; the paragraphs that cite
    figures are added to `paragraphs` (isnote.editorial)."""
    content_dir = Path(content_dir or params.get("content_dir") or CONTENT_DIR)
    if not content_dir.is_absolute():
        content_dir = resolve(content_dir)
    cells = []
    for path in sorted(content_dir.glob("*.md")):
        text, paras = editorial.render(path.read_text(encoding="utf-8"), f"content/{path.name}", params, kf)
        if paragraphs is not None:
            paragraphs.extend(paras)
        cells.append(_md_cell(text))
    return cells


# --------------------------------------------------------------------------------------------
# project sheets (fiches)

FICHE_FIELDS = (
    ("Porteur", "beneficiary"),
    ("Localisation", "place"),
    ("Région", "region"),
    ("Service gestionnaire", "service"),
    ("Forme juridique", "legal_form"),
    ("Type de bénéficiaire", "beneficiary_type"),
    ("Date de programmation", "programming_date"),
    ("Coût total programmé", "ct"),
    ("Montant UE programmé", "ue"),
    ("Réalisations prévues", "_realisations"),
)
NOT_GIVEN = "non renseigné"



def _val(row: Mapping, col: str) -> Any:
    v = row.get(col)
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, str) and not v.strip():
        return None
    return v


def fiche_html(row: Mapping, labels: Mapping, params: Mapping | None = None) -> str:
    """One project sheet; every text from the data is escaped."""
    title = _val(row, "title") or f"Opération {_val(row, 'op_id') or ''}"
    beneficiary = _val(row, "beneficiary")
    caption = f"{title} – {beneficiary}" if beneficiary else str(title)

    def fact(col: str) -> str:
        if col == "programming_date":
            return _date_fr(_val(row, col))
        if col in ("ct", "ue"):
            v = _val(row, col)
            return fmt_eur(float(v)) if v is not None else ""
        if col == "_realisations":
            parts = []
            n_act = _val(row, "n_actions")
            if n_act is not None:
                parts.append(frwords.count(n_act, "action", "actions", feminine=True))
            n_part = _val(row, "planned_participants")
            if n_part is not None:
                parts.append(f"{frwords.count(n_part, 'participant prévu', 'participants prévus')}")
            return " ; ".join(parts)
        v = _val(row, col)
        return "" if v is None else str(v)

    facts = [(label, text) for label, text in ((label, fact(col)) for label, col in FICHE_FIELDS)
             if text]                                    # a sheet shows only the fields that have values
    meta = []
    if _val(row, "programme"):
        meta.append(readertext.programme_short(params or {}, str(row["programme"])))
    if _val(row, "os"):
        meta.append(f"OS {row['os']}")
    if _val(row, "categorie"):
        meta.append(labels.get(row["categorie"], row["categorie"]))
    if _val(row, "op_id"):
        meta.append(f"opération n° {row['op_id']}")
    anchor = re.sub(r"[^0-9A-Za-z_-]", "", str(_val(row, "op_id") or "")) or "x"
    return blocks.render("fiche", anchor=anchor, caption=caption, meta=" · ".join(meta), facts=facts,
                         description=_val(row, "description"), results=_val(row, "results"),
                         innovative=_val(row, "caractere_innovant"))


def fiches_block(retained: pd.DataFrame | None, params: Params) -> tuple[str, int]:
    rows = emblematic(retained, params) if retained is not None else pd.DataFrame()
    labels = _category_labels(params) if not rows.empty else {}
    sheets = [blocks.markup(fiche_html(rec, labels, params)) for rec in rows.to_dict("records")]
    return blocks.render("fiches", sheets=sheets, category=None), len(rows)


# --------------------------------------------------------------------------------------------
# annexes

ANNEX_COLUMNS = (  # (column, header, kind)
    ("op_id", "N°", "text"),
    ("programme", "Programme", "text"),
    ("wave", "Vague", "text"),
    ("title", "Intitulé", "text"),
    ("beneficiary", "Porteur", "text"),
    ("region", "Région", "text"),
    ("os", "OS", "text"),
    ("categorie", "Catégorie", "text"),
    ("ct", "Coût total (€)", "num"),
    ("ue", "UE (€)", "num"),
    ("participants", "Participants", "num"),
)


def _print_groups(df: pd.DataFrame, cols: list, params: Params) -> dict | None:
    """How the PDF prints the list by groups (programme and wave, in the table's order), each from a
    new page under its name (isnote.pdfparts.cut_groups), so that one decision lays out its group
    only: the table's columns that make a row's group (1-based) and each group's name, e.g.
    « PON IEJ – Vague 2019 », by the cells' texts joined with "|". The rows themselves stay plain."""
    names = [c for c, _h, _k in cols]
    if not {"programme", "wave"} <= set(names):
        return None
    pairs = df[["programme", "wave"]].astype("string").fillna("").drop_duplicates()
    labels = {f"{p}|{w}": f"{readertext.programme_short(params, str(p).lower())} – "
                         f"{wave_label(params.get('waves'), w)}"
              for p, w in zip(pairs["programme"], pairs["wave"])}
    return {"columns": f"{names.index('programme') + 1},{names.index('wave') + 1}",
            "labels": json.dumps(labels, ensure_ascii=False, sort_keys=True)}


def annex_list_html(retained: pd.DataFrame | None, params: Params) -> str:
    """Annex A: every retained operation, in a table the reader can filter and sort."""
    if retained is None or retained.empty:
        return blocks.render("annex_list", body=None, none_retained=retained is not None)
    n_prog = len(params.get("programmes") or {})
    several = frwords.number_words(n_prog) if n_prog > 1 else ""
    scope = {"scope": f"les {several} programmes et toutes les vagues d’analyse" if several
             else "toutes les vagues d’analyse",
             "caption_scope": f"toutes vagues et les {several} programmes" if several else "toutes vagues"}
    df = retained.copy()
    labels = _category_labels(params)
    if "programme" in df.columns:
        df["programme"] = df["programme"].astype("string").str.upper()
    if "categorie" in df.columns:
        df["categorie"] = df["categorie"].astype("string").replace(labels)
    order = {"programme": True, "wave": False, "op_id": True}        # current wave first
    sort_cols = [c for c in order if c in df.columns]
    df = df.sort_values(sort_cols, ascending=[order[c] for c in sort_cols], kind="stable")
    cols = [(c, h, k) for c, h, k in ANNEX_COLUMNS if c in df.columns]
    # the rows are built column by column (vectorised), not by a template loop over the rows
    cells = None
    for c, h, k in cols:
        if k == "num":
            raw = pd.to_numeric(df[c], errors="coerce").astype("float64")
            sort_val = raw.map(lambda v: "" if v != v else repr(round(float(v), 2))).astype("string")
            cell = '<td class="num" data-sort="' + sort_val + '">' + _num_series(raw, 0) + "</td>"
        else:
            cell = "<td>" + _esc_series(df[c]) + "</td>"
        cells = cell if cells is None else cells + cell
    body = ("<tr>" + cells + "</tr>").str.cat(sep="")
    n = len(df)
    return blocks.render("annex_list", body=blocks.markup(body), count=fmt_int(n), total=n,
                         columns=[(h, k) for c, h, k in cols], print_groups=_print_groups(df, cols, params),
                         source=readertext.source_line(params, "operations"), **scope)


# the funnel's steps are named as in the note's method annex (one wording for both); the counts
# kept beside the programmes' (the survey's operation numbers, the lot 5 list) have their own names
FUNNEL_LABELS = annexes.FUNNEL_LABELS
FUNNEL_EXTRA_LABELS = {
    "lot5_listed": "Opérations citées par le lot 5 (tous programmes)",
    "named": "Numéros d’opération cités dans l’enquête",
    "in_wave": "dont programmés dans la vague",
    "not_found": "dont absents de la base",
    "out_of_window": "dont programmés hors de la période",
}


def _yaml_or(params: Params, key: str, default: Any) -> Any:
    try:
        return params.yaml(key) if params.get(key) else default
    except InputError:
        return default


def annex_method_html(params: Params, layout: Layout) -> str:
    """Annex B of the technical annex: data sources, wave windows, keyword groups, actors, funnel,
    consistency checks. The values are gathered here, the HTML is `templates/blocks/annex_method.html.j2`."""
    meta = _meta_entries(_read_json(layout.clean / "ingest_meta.json", {}))
    files_read = [(m.get("name", ""), Path(str(m.get("path", ""))).name, m.get("encoding", ""),
                   fmt_int(m["rows"]) if isinstance(m.get("rows"), (int, float)) else str(m.get("rows", "")))
                  for m in meta]
    files_planned = [] if meta else [(role, str(path.name)) for role, path in provenance.input_files(params)
                                     if role.startswith("inputs.")]
    waves = [{"label": w.get("label", k), "start": narrative.fmt_date(w.get("start")),
              "end": narrative.fmt_date(w.get("end")), "current": k == params["current_wave"],
              "previous": k == params.get("previous_wave")}
             for k, w in params["waves"].items()]

    from ..textsearch import group_is_strong
    groups = [{"label": g.get("label", k), "strong": group_is_strong(g), "criterion": g.get("criterion", "") or "",
               "patterns": list(g.get("patterns", []))}
              for k, g in ((_yaml_or(params, "keywords", {}) or {}).get("groups", {})).items()]
    actors = [(a.get("name", ""), ", ".join(a.get("aliases", []) or []), a.get("kind", ""))
              for a in (_yaml_or(params, "actors", {}) or {}).get("actors", [])]

    funnel = _read_json(layout.clean / "funnel.json", None)
    funnel_view = None
    if isinstance(funnel, Mapping) and funnel:
        known = list((params.get("programmes") or {}).keys())
        programmes = [p for p in funnel if isinstance(funnel[p], Mapping) and (p in known or not known)]
        others = {k: v for k, v in funnel.items() if k not in programmes}
        found: list[str] = []
        for p in programmes:
            found += [k for k in _flatten_funnel(funnel[p]) if k not in found]
        # in the funnel's order; a step this code does not know yet comes last, under its key
        keys = [k for k in annexes.FUNNEL_ORDER if k in found] + [k for k in found if k not in FUNNEL_LABELS]
        rows = []
        for k in keys:
            vals = [_flatten_funnel(funnel[p]).get(k) for p in programmes]
            rows.append([FUNNEL_LABELS.get(k, k)] + [fmt_int(v) if isinstance(v, (int, float)) else ("" if v is None else str(v))
                                                     for v in vals])
        extra = _flatten_funnel({k: v for k, v in others.items() if k != "wave"}) if others else {}
        funnel_view = {"programmes": programmes, "rows": rows,
                       "wave": wave_label(params.get("waves"), others["wave"]) if "wave" in others else None,
                       "extra": [(FUNNEL_EXTRA_LABELS.get(k, k),
                                  fmt_int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                                 for k, v in sorted(extra.items(), key=lambda kv: _extra_rank(kv[0]))]}

    checks = _read_json(layout.clean / "checks.json", None)
    if isinstance(checks, Mapping):
        checks = checks.get("checks", [])
    checks_view = None
    if isinstance(checks, list) and checks:
        checks_view = {"count": fmt_int(len(checks)),
                       "entries": [(c.get("name", ""), c.get("description", "")) for c in checks
                                   if isinstance(c, Mapping)]}

    survey = params.get("survey_date")
    return blocks.render("annex_method", extract_date=narrative.fmt_date(params.get("extract_date")),
                         survey_month=narrative.fmt_month(survey) if survey else None,
                         files_read=files_read, files_planned=files_planned, waves=waves, groups=groups,
                         actors=actors, funnel=funnel_view, checks=checks_view,
                         keywords_source=_param_file(params, "keywords"),
                         actors_source=_param_file(params, "actors"))


def _extra_rank(key: str) -> int:
    order = list(FUNNEL_EXTRA_LABELS)
    return order.index(key) if key in order else len(order)


def _param_file(params: Params, key: str) -> str:
    """The file a parameter names, as the parameters write it (the technical annex's source line)."""
    value = params.get(key)
    return f"paramètres du calcul ({value})" if isinstance(value, str) and value else "paramètres du calcul"



# --------------------------------------------------------------------------------------------
# assembly


def title_info(params: Params, when: _dt.datetime) -> dict:
    cw = params["current_wave"]
    wave = params["waves"][cw]
    return {
        "title": params.get("note_title", DEFAULT_TITLE),
        # printed in the page margins, outside the text the typography pass fixes: fixed here
        "running_title": typography.fix_text(str(params.get("running_title") or RUNNING_TITLE)),
        "subtitle": f"Note d’évaluation – {wave.get('label', cw)}",
        "programmes": list((params.get("programmes") or {}).values()),
        "wave_label": wave.get("label", cw),
        "wave_window": f"{readertext.wave_operations(params)} du {narrative.fmt_date(wave.get('start'))} "
                       f"au {narrative.fmt_date(wave.get('end'))}",
        "extract_date": narrative.fmt_date(params.get("extract_date")),
        "data_phrase": readertext.data_phrase(params),
        "synthetic": bool(params.get("synthetic")),
        "dataset_label": dataset_label(params),
        "run_date": run_label(when),
    }


def assemble(params: Params, layout: Layout, kf: Mapping, *, retained: pd.DataFrame | None,
             when: _dt.datetime, content_dir: Path | None = None, info: dict) -> nbformat.NotebookNode:
    """One notebook holding everything the note shows, in order."""
    warnings = info.setdefault("warnings", [])
    paths = notebook_paths(layout)
    if not paths:
        raise NoteError(f"aucun notebook exécuté dans {layout.notebooks} : lancer d'abord la chaîne "
                        "(python -m isnote.pipeline run)")
    paragraphs: list = []
    cells = [sections.synthesis_cell(params, kf)] + static_cells(params, kf, content_dir, paragraphs)
    perimeter = kf.get("perimeter") or {}
    absent = frozenset(k for k in ("survey", "lot5", "participants")
                       if perimeter.get(k) is False)   # no section for them
    first_meta: dict = {}
    from . import postcache
    for path in paths:
        try:
            nb = postcache.read_notebook(path)    # nbformat.read (kept between builds of the preview)
        except Exception as exc:  # nbformat raises several kinds of errors
            raise NoteError(f"notebook illisible {path} : {exc}") from None
        first_meta = first_meta or dict(nb.metadata)
        cells.extend(filter_notebook(nb, path.name, warnings, absent))
    info["notebooks"] = [p.name for p in paths]
    cells.extend(sections.closing_cells(params, kf, content_dir, paragraphs))
    editorial.compare(paragraphs, editorial.read_lock(editorial.lock_path(params)))
    info["editorial"] = editorial.report(paragraphs)
    info["warnings"].extend(editorial.messages(paragraphs))
    editorial.check_strict(paragraphs, params)

    rest, n_placed = sections.place_category_fiches(cells, retained, params)   # in their category's subsection
    fiches, n_fiches = fiches_block(rest, params)
    if n_placed and not n_fiches:
        fiches = ""
    info["fiches"] = n_fiches + n_placed
    placed = False
    for cell in cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if html and FICHES_MARKER_RE.search(html) and not placed:
                out["data"]["text/html"] = FICHES_MARKER_RE.sub(lambda m: fiches, html, count=1)
                placed = True
    if not placed:
        cells.append(_md_cell("# Fiches des opérations emblématiques"))
        cells.append(_html_cell(fiches))

    cells.append(_html_cell('<div class="isn-annexes">' + annex_list_html(retained, params) + "</div>"))
    cells.append(_html_cell(annexes.method_html(params, layout, kf.get("perimeter"))))
    prov = provenance.collect(params, layout, when)
    info["provenance"] = prov
    cells.append(_html_cell(annexes.traceability_html(prov, run_label(when))))
    glossary = annexes.glossary_html(content_dir or params.get("content_dir"))
    if glossary:
        cells.append(_html_cell(glossary))

    nb = nbformat.from_dict({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": cells})
    nb.metadata.update({k: v for k, v in first_meta.items() if k in ("kernelspec", "language_info")})
    nb.metadata["title"] = title_info(params, when)["title"]
    return nb


def _exporter(template: str, *, reparse: bool = True, **traits):
    from nbconvert import HTMLExporter

    cls = HTMLExporter if reparse else _single_parse_exporter()
    exp = cls(template_name=template, extra_template_basedirs=[str(TEMPLATES_DIR)])
    for k, v in traits.items():
        setattr(exp, k, v)
    return exp


def _single_parse_exporter():
    """HTMLExporter without its closing BeautifulSoup pass (placeholder alt texts, tabindex on
    JupyterLab classes the note template does not emit): `postprocess` parses the page anyway, and
    parsing the ~600 kB note twice cost a third of the assembly."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter

    try:
        from nbconvert.exporters.html import Highlight2HTML, WidgetsDataTypeFilter
    except ImportError:  # pragma: no cover - another nbconvert: keep its own pass
        return HTMLExporter

    from jinja2 import pass_context

    class NoteExporter(HTMLExporter):
        _markdown: dict = {}     # Markdown cell source (and settings) -> HTML, for this process

        @pass_context
        def markdown2html(self, context, source):
            """HTMLExporter's, kept by source: the preview's rebuilds convert the same cells again."""
            if context.get("cell", {}).get("attachments"):
                return super().markdown2html(context, source)
            key = (source, str(context.get("resources", {}).get("metadata", {}).get("path", "")),
                   self.embed_images, self.anchor_link_text, self.exclude_anchor_links,
                   repr(sorted(self.lexer_options.items())))
            html = self._markdown.get(key)
            if html is None:
                if len(self._markdown) >= 2048:
                    self._markdown.clear()
                html = self._markdown[key] = super().markdown2html(context, source)
            return html

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return NoteExporter


_NOTE_EXPORTER: list = []   # one per process: its Jinja templates are compiled once


def _note_exporter():
    if not _NOTE_EXPORTER:
        _NOTE_EXPORTER.append(_exporter(NOTE_TEMPLATE, reparse=False, exclude_input=True, exclude_input_prompt=True,
                                        exclude_output_prompt=True, exclude_anchor_links=True,
                                        optimistic_validation=True,   # validated once, not after each step
                                        embed_images=False))   # no file of the disk in the note
    return _NOTE_EXPORTER[0]


def export_note_html(nb: nbformat.NotebookNode, tinfo: dict, cell_mark: str = "") -> str:
    """The note page before post-processing; `cell_mark`: a string written before each cell (none
    by default; isnote.note.postcache splits the page there)."""
    exp = _note_exporter()
    css = (TEMPLATES_DIR / NOTE_TEMPLATE / "note.css").read_text(encoding="utf-8")
    js = (TEMPLATES_DIR / NOTE_TEMPLATE / "annex.js").read_text(encoding="utf-8")
    resources = {"isnote": {**tinfo, "css": css, "js": js, "page_css": _page_css(tinfo), "cell_mark": cell_mark}}
    body, _ = exp.from_notebook_node(nb, resources=resources)
    return body


def _css_string(text: str) -> str:
    """A CSS string literal; `<` and `>` escaped so that a value cannot close the <style> element."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", str(text))
    return ('"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace(">", "\\3e ")
            + '"')


def _page_css(tinfo: dict) -> str:
    """@page rules that carry values of the run (running title, synthetic-data mention)."""
    left = (f"@bottom-left {{ content: {_css_string(tinfo['dataset_label'])}; color: #9a3412; "
            "font-family: 'DejaVu Sans', sans-serif; font-weight: bold; font-size: 7.5pt; }"
            if tinfo["synthetic"] else "")
    return (f"@page {{ @top-center {{ content: {_css_string(tinfo['running_title'])}; }} {left} }}\n" +
            FIRST_PAGE_CSS)

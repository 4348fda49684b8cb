"""The reviewer's technical annex, `<out>/annexe_technique.html`: what the reader's note leaves
out on purpose (keyword patterns, parameter files, identifiers of the consistency checks, the
screening funnel with its internal keys, files read with their checksums, software versions,
the parameters of the run), plus the editorial paragraphs to re-read and any tool talk found in
the note. Self-contained, French, all values escaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from .atomic import write_text
from .display import esc

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


def _list(title: str, items: Iterable[str], empty: str) -> str:
    items = list(items)
    body = ("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>") if items else f"<p>{esc(empty)}</p>"
    return f"<h1>{esc(title)}</h1>{body}"


def editorial_html(report: Mapping | None) -> str:
    """The editorial paragraphs whose cited figures changed since their approval."""
    if not report:
        return ""
    rows = []
    for item in report.get("paragraphs", []):
        if item["status"] == "à jour":
            continue
        changes = "<br>".join(f"<code>{esc(k)}</code> : {esc(old)} → {esc(new)}"
                              for k, old, new in item.get("changes", []))
        rows.append(f'<tr class="isn-stale"><td>{esc(item["id"])}</td><td>{esc(item["status"])}</td>'
                    f"<td>{esc(item['excerpt'])}</td><td>{changes}</td></tr>")
    body = ("<table><thead><tr><th>Paragraphe</th><th>État</th><th>Début du texte</th><th>Valeurs citées</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>" if rows else
            "<p>Tous les paragraphes rédigés citent les valeurs approuvées.</p>")
    return ("<h1>Paragraphes rédigés à relire</h1><p>Un paragraphe est à relire lorsqu’une valeur qu’il cite "
            "a changé depuis sa dernière approbation, ou lorsqu’il n’a jamais été approuvé.</p>" + body)


def write(layout, *, method_html: str, provenance_html: str, tool_talk: Iterable[tuple[str, str]] = (),
          editorial: Mapping | None = None, title: str = "") -> Path:
    talk = [f"<code>{esc(tok)}</code> ({esc(kind)})" for tok, kind in tool_talk]
    html = ("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
            f"<title>Annexe technique – {esc(title)}</title><style>{CSS}</style></head><body>"
            f"<p><strong>Annexe technique pour les relecteurs</strong> – {esc(title)}</p>"
            + editorial_html(editorial)
            + _list("Termes techniques relevés dans la note", talk,
                    "Aucun terme technique (commande, fichier, clé interne, expression régulière) dans la note.")
            + method_html + provenance_html + "</body></html>")
    target = path(layout)
    write_text(target, html)
    return target

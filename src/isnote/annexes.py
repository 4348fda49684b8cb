"""Reader annexes of the note, written for the reader (French prose and tables, no tool talk):

- Annex B, method: data read, wave windows, keyword groups (what they look for, not their
  patterns), ecosystem actors, the screening funnel, the consistency checks;
- Annex C, traceability: when and from which version the note was produced; the detail (files
  and checksums, parameters, software versions) is in the reviewer's technical annex;
- Annex D, glossary of the acronyms (`content/glossaire.yaml`).

The values are gathered here; the HTML is in `templates/blocks/reader_*.html.j2` (isnote.htmlblocks).

Cross-references: a reference written `<a class="isn-ref" data-target="ID">…</a>` is resolved by
`resolve_refs` after numbering, to the number the note gave to the element `ID` (« Tableau 11 »).
Check descriptions name tables by their historical numbers (« Tableau 3 » = retained operations
by axis and OS...); `TABLE_REFS` maps them to the anchors of those tables, so the annex cites
this note's own numbering.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from . import frwords, htmlblocks, narrative, readertext
from .config import PROJECT_ROOT, Layout, Params
from .display import esc
from .errors import InputError
from .frnum import fmt_int

# "Tableau N" in check descriptions -> anchor of that table in the note
TABLE_REFS = {"2": "tab-tableau2", "3": "tab-tableau3", "4": "tab-tableau4", "5": "tab-tableau5",
              "IEJ": "tab-iej-bilan"}

FUNNEL_LABELS = {
    "analysed": "Opérations analysées",
    "preidentified": "Pré-identifiées (mots-clés ou nom du porteur)",
    "preidentified_text": "dont repérées par les mots-clés",
    "preidentified_actor_only": "dont repérées par le seul nom du porteur",
    "added_survey": "Ajoutées d’après l’enquête auprès des gestionnaires",
    "added_lot5": "Ajoutées d’après le lot 5 de l’évaluation de l’IEJ",
    "candidates": "Opérations candidates à l’examen",
    "continuations": "dont porteur déjà retenu à la vague précédente",
    "survey_in_wave": "Numéros cités dans l’enquête et programmés dans la vague",
    "lot5_listed": "Opérations citées par le lot 5",
    "lot5_in_wave": "Opérations du lot 5 programmées dans la vague",
    "reviewed": "Opérations examinées (décision enregistrée)",
    "reviewed_candidates": "dont candidates",
    "retained": "Opérations retenues",
    "retained_preidentified": "dont pré-identifiées",
    "retained_not_candidate": "dont retenues sans avoir été candidates",
    "lot5_retained": "Opérations du lot 5 retenues",
}
FUNNEL_ORDER = list(FUNNEL_LABELS)

GLOSSARY_FILE = "glossaire.yaml"


def _yaml(params: Params, key: str) -> dict:
    try:
        data = params.yaml(key) if params.get(key) else {}
    except InputError:
        data = {}
    return data if isinstance(data, dict) else {}


def _read_json(path: Path) -> Any:
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _meta_rows(layout: Layout) -> list[tuple[str, Any]]:
    """(role, rows) of each input read by the ingest step."""
    meta = _read_json(layout.clean / "ingest_meta.json") or {}
    out: list[tuple[str, Any]] = []

    def walk(node, name):
        if isinstance(node, Mapping):
            if "path" in node:
                out.append((name, node.get("rows")))
                return
            for k, v in node.items():
                walk(v, f"{name}.{k}" if name else str(k))

    walk(meta, "")
    return out


def link_table_refs(text: str) -> str:
    """Escape `text` and turn « Tableau 3 », « Tableaux 3 et 4 », « tableau IEJ » into references
    resolved at numbering time to this note's numbers (« Tableau 13 », « tableaux 13 et 14 »)."""
    def ref(num: str, word: str | None) -> str:
        target = TABLE_REFS.get(num)
        shown = f"{word} {num}" if word else num
        if not target:
            return esc(shown)
        form = "" if word else ' data-form="num"'
        return f'<a class="isn-ref" data-target="{target}"{form} href="#{target}">{esc(shown)}</a>'

    out, pos = [], 0
    for m in re.finditer(r"\b([Tt]ableaux?)\s+(\d|IEJ)\b(?:\s+(?:et|vs)\s+(\d|IEJ)\b)?", text):
        out.append(esc(text[pos:m.start()]))
        word = m.group(1) if m.start() == 0 or text[:m.start()].rstrip().endswith((".", ":")) \
            else m.group(1).lower()
        if m.group(3):
            plural = word if word.endswith("x") else word + "x"
            out.append(f"{esc(plural)} {ref(m.group(2), None)} et {ref(m.group(3), None)}")
        else:
            out.append(ref(m.group(2), word))
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


# funnel rows that come from an input a run may not have (left out when `perimeter` says it is absent)
FUNNEL_SOURCE_ROWS = {"survey": ("added_survey", "survey_in_wave"),
                      "lot5": ("added_lot5", "lot5_listed", "lot5_in_wave", "lot5_retained")}


def method_html(params: Params, layout: Layout, perimeter: Mapping | None = None) -> str:
    """Annex B for the reader. `perimeter` (key-figure block) tells which inputs the run has. The
    values are gathered here, the HTML is `templates/blocks/reader_method.html.j2`."""
    perimeter = perimeter or {}
    absent = {k for src, keys in FUNNEL_SOURCE_ROWS.items() if perimeter.get(src) is False for k in keys}
    extract = params.get("extract_date")
    survey = params.get("survey_date")
    data_rows = [(readertext.role_label(role, params), fmt_int(n) if isinstance(n, (int, float)) else "–")
                 for role, n in _meta_rows(layout)]
    cw, pw = str(params["current_wave"]), str(params.get("previous_wave"))
    waves = [{"label": w.get("label", k), "start": narrative.fmt_date(w.get("start")),
              "end": narrative.fmt_date(w.get("end")), "current": str(k) == cw, "previous": str(k) == pw}
             for k, w in params["waves"].items()]
    # the screening's rule (role, or the older key) and the screening section's words
    from .textsearch import CRITERION_LABELS, GROUP_ROLE_LABELS, group_is_strong
    groups = [{"label": g.get("label", k), "role": GROUP_ROLE_LABELS[group_is_strong(g, name=str(k))],
               "criterion": CRITERION_LABELS.get(g.get("criterion") or "", "–"),
               "expressions": fmt_int(len(g.get("patterns", []) or []))}
              for k, g in (_yaml(params, "keywords").get("groups", {}) or {}).items() if isinstance(g, Mapping)]
    actors = [(a.get("name", ""), ", ".join(a.get("aliases", []) or []), a.get("kind", ""))
              for a in _yaml(params, "actors").get("actors", []) or [] if isinstance(a, Mapping)]

    funnel = _read_json(layout.clean / "funnel.json")
    known = list((params.get("programmes") or {}).keys()) or ["fse", "iej"]
    progs = [p for p in known if isinstance(funnel, Mapping) and isinstance(funnel.get(p), Mapping)]
    funnel_view = None
    if progs:
        flat = {p: _flatten(funnel[p]) for p in progs}
        rows = [[FUNNEL_LABELS[k]] + [fmt_int(flat[p][k]) if isinstance(flat[p].get(k), (int, float)) else "–"
                                      for p in progs]
                for k in FUNNEL_ORDER if k not in absent and any(k in flat[p] for p in progs)]
        funnel_view = {"programmes": [readertext.programme_short(params, p) for p in progs], "rows": rows,
                       "source": readertext.source_line(params, "screening")}

    checks = _read_json(layout.clean / "checks.json")
    if isinstance(checks, Mapping):
        checks = checks.get("checks", [])
    checks_view = None
    if isinstance(checks, list) and checks:
        checks_view = {"count": frwords.number_words(len(checks)).capitalize(),
                       "entries": [htmlblocks.markup(link_table_refs(str(c.get("description", ""))))
                                   for c in checks if isinstance(c, Mapping)]}

    listed = readertext.is_published_list(params)
    return htmlblocks.render(
        "reader_method", extract_date=narrative.fmt_date(extract) if extract else None,
        survey_month=narrative.fmt_month(survey) if survey else None,
        survey_programme=readertext.programme_short(params, "fse") if survey else None,
        data_rows=data_rows, data_source=readertext.source_line(params, "data"), waves=waves, groups=groups,
        data_name="la liste publiée des opérations" if listed else "les données de suivi des programmes",
        data_state="son état" if listed else "leur état", wave_date=readertext.wave_date_label(params),
        waves_caption=("Fenêtres des vagues" if listed else "Fenêtres de programmation des vagues"),
        actors=actors, funnel=funnel_view, checks=checks_view)


def _flatten(node: Mapping) -> dict:
    out: dict = {}
    for k, v in node.items():
        if isinstance(v, Mapping):
            out.update(_flatten(v))
        else:
            out[str(k)] = v
    return out


def traceability_html(prov: Mapping, run_label: str) -> str:
    """Annex C for the reader: production date and code version; the rest is for reviewers."""
    git = prov.get("git") or {}
    return htmlblocks.render(
        "reader_traceability", run_label=run_label,
        commit=git["commit"][:12] if git.get("commit") else None, dirty=bool(git.get("dirty")),
        n_inputs=fmt_int(sum(1 for e in prov.get("inputs", []) if e.get("sha256"))))


def glossary(content_dir: Path | None = None) -> list[tuple[str, str]]:
    import yaml

    base = Path(content_dir or PROJECT_ROOT / "content")
    path = (base if base.is_absolute() else PROJECT_ROOT / base) / GLOSSARY_FILE
    if not path.is_file():                      # a content folder of its own may keep the shared glossary
        path = PROJECT_ROOT / "content" / GLOSSARY_FILE
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(path, f"YAML illisible ({exc})") from None
    entries = data.get("sigles", data) if isinstance(data, Mapping) else {}
    return sorted(((str(k), str(v)) for k, v in entries.items()), key=lambda kv: kv[0].lower())


def glossary_html(content_dir: Path | None = None) -> str:
    """Annex D for the reader (empty when there is no glossary)."""
    return htmlblocks.render("reader_glossary", entries=glossary(content_dir))


def resolve_refs(soup, info: dict, known: dict | None = None) -> None:
    """Give every `a.isn-ref` the number of its target (« tableau 11 »); a reference whose target
    is missing becomes plain text and a warning. `known`: targets outside `soup` (a part of the
    note, isnote.note.postcache), id -> {"data-number": ...}, ahead of those of `soup`."""
    ids: dict = dict(known or {})
    for el in soup.find_all(id=True):                 # one pass, not one search of the note per reference
        ids.setdefault(el["id"], el)
    for a in soup.find_all("a", class_="isn-ref", attrs={"data-target": True}):
        target = ids.get(a["data-target"])
        number = target.get("data-number") if target is not None else None
        if number:
            if a.get("data-form") == "num":
                a.string = number.split()[-1]                    # « tableaux 13 et 14 »
            else:
                word = a.get_text().split()[0] if a.get_text().split() else "Tableau"
                a.string = (number[0].lower() if word[:1].islower() else number[0].upper()) + number[1:]
            a["href"] = f"#{a['data-target']}"
        else:
            info.setdefault("warnings", []).append(f"renvoi sans cible : {a.get_text()} ({a['data-target']})")
            a.replace_with("le tableau correspondant")

"""Reader annexes of the note, written for the reader (French prose and tables, no tool talk):

- Annex B, method: data read, wave windows, keyword groups (what they look for, not their
  patterns), ecosystem actors, the screening funnel, the consistency checks;
- Annex C, traceability: when and from which version the note was produced; the detail (files
  and checksums, parameters, software versions) is in the reviewer's technical annex;
- Annex D, glossary of the acronyms (`content/glossaire.yaml`).

Cross-references: a reference written `<a class="isn-ref" data-target="ID">…</a>` is resolved by
`resolve_refs` after numbering, to the number the note gave to the element `ID` (« Tableau 11 »).
Check descriptions name tables by their historical numbers (« Tableau 3 » = retained operations
by axis and OS...); `TABLE_REFS` maps them to the anchors of those tables, so the annex cites
this note's own numbering.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import frwords, narrative, readertext
from .config import PROJECT_ROOT, Layout, Params
from .display import esc
from .errors import InputError
from .frnum import fmt_int

CRITERION_LABELS = {
    "reponse_nouvelle": "réponse nouvelle à un besoin mal couvert",
    "experimentation": "dimension expérimentale",
    "implication": "implication des acteurs concernés",
    "effets": "effets sur d’autres enjeux de société",
}

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


def _table(caption: str, headers: Iterable[str], rows: Iterable[Iterable[Any]], *, source: str | None = None,
           key: str | None = None, raw_cols: Iterable[int] = (), num_cols: Iterable[int] = ()) -> str:
    raw, num = set(raw_cols), set(num_cols)
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    num_attr = ' class="num"'
    body = "".join(
        "<tr>" + "".join(f"<td{num_attr if j in num else ''}>{v if j in raw else esc(v)}</td>"
                         for j, v in enumerate(r)) + "</tr>" for r in rows)
    anchor = f' id="tab-{esc(key)}"' if key else ""
    src = f'<p class="source">Source : {esc(source)}</p>' if source else ""
    return (f'<figure class="isn-table"{anchor} data-caption="{esc(caption)}"><figcaption>{esc(caption)}</figcaption>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{src}</figure>")


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
    """Annex B for the reader. `perimeter` (key-figure block) tells which inputs the run has."""
    perimeter = perimeter or {}
    absent = {k for src, keys in FUNNEL_SOURCE_ROWS.items() if perimeter.get(src) is False for k in keys}
    parts = ['<h1 data-nonum="" id="annexe-b">Annexe B – Méthode</h1>']

    # B.1 data
    parts.append('<h2 data-nonum="" id="annexe-b-1">B.1 Données exploitées</h2>')
    extract = params.get("extract_date")
    survey = params.get("survey_date")
    parts.append("<p>La note repose sur les données de suivi des programmes"
                 + (f", dans leur état du {esc(narrative.fmt_date(extract))}" if extract else "")
                 + (f", et sur l’enquête conduite en {esc(narrative.fmt_month(survey))} auprès des "
                    "gestionnaires de l’axe 3 du " + readertext.programme_short(params, "fse") if survey else "")
                 + ". Le tableau ci-dessous indique le volume de chaque ensemble de données lu.</p>")
    rows = [(readertext.role_label(role, params), fmt_int(n) if isinstance(n, (int, float)) else "–")
            for role, n in _meta_rows(layout)]
    if rows:
        parts.append(_table("Données lues pour la note", ["Données", "Lignes lues"], rows, num_cols=[1],
                            source=readertext.source_line(params, "data"), key="annexe-sources"))

    # B.2 waves
    parts.append('<h2 data-nonum="" id="annexe-b-2">B.2 Vagues d’analyse</h2>')
    parts.append("<p>Une opération appartient à la vague dont la fenêtre contient sa date de "
                 "programmation ; elle n’est comptée que dans une seule vague.</p>")
    cw, pw = str(params["current_wave"]), str(params.get("previous_wave"))
    rows = [(w.get("label", k), narrative.fmt_date(w.get("start")), narrative.fmt_date(w.get("end")),
             "vague de la présente note" if str(k) == cw else ("vague précédente" if str(k) == pw else ""))
            for k, w in params["waves"].items()]
    parts.append(_table("Fenêtres de programmation des vagues", ["Vague", "Du", "Au", "Rôle"], rows,
                        source="fenêtres fixées pour l’évaluation", key="annexe-vagues"))

    # B.3 keyword groups
    parts.append('<h2 data-nonum="" id="annexe-b-3">B.3 Recherche par mots-clés</h2>')
    groups = _yaml(params, "keywords").get("groups", {}) or {}
    parts.append(
        "<p>Les textes des opérations sont d’abord ramenés à une forme commune : minuscules, accents et "
        "apostrophes retirés, ponctuation remplacée par des espaces. Chaque groupe réunit des expressions "
        "de même sens, avec leurs variantes de genre et de nombre ; une expression n’est reconnue que "
        "comme mot entier. Certains groupes suffisent à signaler une opération ; les autres ne servent "
        "qu’à suggérer des scores au relecteur. La liste exacte des expressions figure dans l’annexe "
        "technique remise aux relecteurs.</p>")
    rows = [(g.get("label", k),
             "signale l’opération" if g.get("preidentify") else "score suggéré seulement",
             CRITERION_LABELS.get(g.get("criterion") or "", "–"),
             fmt_int(len(g.get("patterns", []) or [])))
            for k, g in groups.items() if isinstance(g, Mapping)]
    parts.append(_table("Groupes de mots-clés de la recherche textuelle",
                        ["Groupe", "Usage", "Critère de la grille", "Expressions"], rows, num_cols=[3],
                        source="liste de mots-clés établie pour l’évaluation", key="annexe-mots-cles"))

    # B.4 actors
    parts.append('<h2 data-nonum="" id="annexe-b-4">B.4 Acteurs de l’écosystème recherchés parmi les porteurs</h2>')
    actors = _yaml(params, "actors").get("actors", []) or []
    parts.append("<p>Le nom de chaque porteur est comparé aux noms suivants, en tolérant les variantes "
                 "d’écriture, les sigles et les formes juridiques.</p>")
    rows = [(a.get("name", ""), ", ".join(a.get("aliases", []) or []), a.get("kind", "")) for a in actors
            if isinstance(a, Mapping)]
    parts.append(_table("Acteurs de l’écosystème de l’innovation sociale", ["Acteur", "Autres noms", "Type"],
                        rows, source="liste d’acteurs établie pour l’évaluation", key="annexe-acteurs"))

    # B.5 funnel
    parts.append('<h2 data-nonum="" id="annexe-b-5">B.5 Du repérage à la sélection</h2>')
    funnel = _read_json(layout.clean / "funnel.json")
    known = list((params.get("programmes") or {}).keys()) or ["fse", "iej"]
    progs = [p for p in known if isinstance(funnel, Mapping) and isinstance(funnel.get(p), Mapping)]
    if progs:
        flat = {p: _flatten(funnel[p]) for p in progs}
        rows = [[FUNNEL_LABELS[k]] + [fmt_int(flat[p][k]) if isinstance(flat[p].get(k), (int, float)) else "–"
                                      for p in progs]
                for k in FUNNEL_ORDER if k not in absent and any(k in flat[p] for p in progs)]
        parts.append(_table("Étapes du repérage des opérations, par programme",
                            ["Étape"] + [readertext.programme_short(params, p) for p in progs], rows,
                            num_cols=range(1, len(progs) + 1),
                            source=readertext.source_line(params, "screening"), key="annexe-entonnoir"))
    else:
        parts.append("<p>Le décompte des étapes du repérage n’est pas disponible pour ce calcul.</p>")

    # B.6 checks
    parts.append('<h2 data-nonum="" id="annexe-b-6">B.6 Contrôles de cohérence</h2>')
    checks = _read_json(layout.clean / "checks.json")
    if isinstance(checks, Mapping):
        checks = checks.get("checks", [])
    if isinstance(checks, list) and checks:
        items = "".join(f"<li>{link_table_refs(str(c.get('description', '')))}</li>"
                        for c in checks if isinstance(c, Mapping))
        n = len(checks)
        parts.append(f"<p>La production de la note s’arrête si l’un des contrôles suivants échoue. "
                     f"{esc(frwords.number_words(n).capitalize())} contrôles ont été appliqués, tous "
                     f"satisfaits.</p><ul class=\"isn-checks\">{items}</ul>")
    else:
        parts.append("<p>La liste des contrôles de cohérence n’est pas disponible pour ce calcul.</p>")
    return '<section class="isn-annex">' + "".join(parts) + "</section>"


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
    version = (f"version {esc(git['commit'][:12])}" + (" (avec des modifications non enregistrées)"
                                                        if git.get("dirty") else "")
               if git.get("commit") else "version non identifiée")
    n_inputs = sum(1 for e in prov.get("inputs", []) if e.get("sha256"))
    return ('<section class="isn-annex isn-provenance" id="annexe-c-contenu">'
            '<h1 data-nonum="" id="annexe-c">Annexe C – Traçabilité</h1>'
            f"<p>La note a été produite le {esc(run_label)}, avec la {version} de la chaîne de production. "
            f"Chacun des {esc(fmt_int(n_inputs))} fichiers lus (données, paramètres, registre de revue) est "
            "identifié par une empreinte numérique ; ces empreintes, les paramètres du calcul et les versions des "
            "logiciels figurent dans l’annexe technique remise aux relecteurs, qui permet de refaire le calcul "
            "à l’identique.</p></section>")


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
    entries = glossary(content_dir)
    if not entries:
        return ""
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in entries)
    return ('<section class="isn-annex isn-glossary">'
            '<h1 data-nonum="" id="annexe-d">Annexe D – Sigles et acronymes</h1>'
            f'<dl class="isn-glossary">{items}</dl></section>')


def resolve_refs(soup, info: dict) -> None:
    """Give every `a.isn-ref` the number of its target (« tableau 11 »); a reference whose target
    is missing becomes plain text and a warning."""
    ids: dict = {}
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

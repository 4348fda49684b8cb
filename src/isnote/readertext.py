"""Reader-facing wording shared by the notebooks and the note: how data sources are named, and
the scan that keeps tool talk out of the note.

The note speaks of *data*, never of the tool that processed it: a source line says « Données de
suivi du PON FSE, extraction du 9 mars 2019 », not a file name, a command or a module. Technical
detail (keyword patterns, parameter files, check identifiers, provenance) goes to the technical
annex of the reviewer (`isnote.techannex`).

`tool_talk(text)` lists the tokens of a text that betray the tool (commands, file names, internal
keys written in snake_case, regular-expression syntax); the note assembly reports them as
warnings and a test requires none in the demo note.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import frdates
from .config import input_entries


# what each input of the parameters holds, as the reader should read it
INPUT_LABELS = {
    "operations": "Opérations programmées",
    "qualitative": "Descriptions qualitatives des opérations",
    "participants": "Enregistrements des participants",
    "survey": "Enquête auprès des gestionnaires de l’axe 3",
    "lot5": "Liste des projets du lot 5 de l’évaluation de l’IEJ",
}
PROGRAMME_SHORT = {"fse": "PON FSE", "iej": "PON IEJ"}

# tokens a reader must never see (pattern, what it is)
FORBIDDEN: tuple[tuple[str, str], ...] = (
    (r"\bmake\s+[a-z]", "commande make"),
    (r"\.(?:ya?ml|csv|py|ipynb|parquet|json|xlsx|j2)\b", "nom de fichier"),
    (r"\bisnote\b", "nom de l’outil"),
    (r"\bparams/|\bdata/demo\b|\bsrc/", "chemin de fichier"),
    (r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b", "clé interne"),
    (r"\\[bdswBDSW]|\(\?[:=!<]|\[\^|\?\)|\w\?\s|[^\s(]\)\?|\|\w+\)", "expression régulière"),
    (r"\bpython\b|\bpapermill\b|\bnbconvert\b|\bnotebook\b", "outil"),
)
_FORBIDDEN_RE = [(re.compile(p), what)
                 for p, what in FORBIDDEN]


def tool_talk(text: str) -> list[tuple[str, str]]:
    """(token, kind) of every forbidden token found in `text` (deduplicated, in order)."""
    found: list[tuple[str, str]] = []
    for pattern, what in _FORBIDDEN_RE:
        for m in pattern.finditer(text):
            item = (m.group(0), what)
            if item not in found:
                found.append(item)
    return found


def note_text_nodes(soup) -> Iterable[str]:
    """The text a reader of the note sees: text nodes of <body>, outside scripts and styles,
    and outside the reviewer-only parts (none today)."""
    from bs4 import NavigableString

    body = soup.find("body") or soup
    for node in body.find_all(string=True):
        if type(node) is not NavigableString:
            continue
        if any(p.name in ("script", "style") for p in node.parents if p is not None):
            continue
        yield str(node)


# --------------------------------------------------------------------------------------------
# naming the data


_month = frdates.month_year
_date = frdates.long_date


def programme_short(params: Mapping, programme: str) -> str:
    """Short name of a programme for the reader: `programmes_short` of the parameters, else
    'PON FSE' / 'PON IEJ', else 'PON <KEY>'."""
    names = {**PROGRAMME_SHORT, **((params or {}).get("programmes_short") or {})}
    return str(names.get(programme) or f"PON {programme.upper()}")


def _programmes_phrase(params: Mapping, programme: str | None) -> str:
    """'du PON FSE' / 'des PON FSE et IEJ' / 'du FSE+' (short names from the parameters)."""
    if programme:
        return "du " + programme_short(params, programme)
    keys = list((params.get("programmes") or {"fse": 1, "iej": 1}).keys())
    names = [programme_short(params, k) for k in keys]
    if len(names) == 1:
        return f"du {names[0]}"
    if all(n.startswith("PON ") for n in names):
        names = [n[4:] for n in names]
        return "des PON " + ", ".join(names[:-1]) + " et " + names[-1]
    return "du " + ", du ".join(names[:-1]) + " et du " + names[-1]


def additions_phrase(perimeter: Mapping | None) -> str:
    """' avec les ajouts de l'enquête et du lot 5' for the sources the run has (key-figure block
    `perimeter`: survey, lot5; a missing flag counts as present), '' when it has neither."""
    perimeter = perimeter or {}
    adds = [w for w, k in (("de l'enquête", "survey"), ("du lot 5", "lot5")) if perimeter.get(k, True)]
    return (" avec les ajouts " + " et ".join(adds)) if adds else ""


# the operations of a wave, by the date that defines the waves (parameter wave_date)
WAVE_OPERATIONS = {"programming_date": "opérations programmées", "start_date": "opérations ayant démarré",
                   "agreement_date": "opérations dont la première convention a été signée"}


def wave_operations(params: Mapping) -> str:
    """'opérations programmées' / 'opérations ayant démarré' / ... for the run's wave date."""
    return WAVE_OPERATIONS.get(str(params.get("wave_date") or "programming_date"), WAVE_OPERATIONS["programming_date"])


def is_published_list(params: Mapping) -> bool:
    """Whether the data are a published list of operations (waves by another date than the
    programming date, which only monitoring extracts give) rather than a monitoring extract."""
    return str(params.get("wave_date") or "programming_date") != "programming_date"


def wave_date_label(params: Mapping) -> str:
    """The date that places an operation in a wave: 'date de programmation', 'date de début de
    l'opération'... (parameter wave_date)."""
    from .reallists import DEFAULT_WAVE_DATE, WAVE_DATES
    return WAVE_DATES.get(str(params.get("wave_date") or DEFAULT_WAVE_DATE), WAVE_DATES[DEFAULT_WAVE_DATE])


def data_phrase(params: Mapping) -> str:
    """What the data are, before their date: monitoring extract or published list of operations."""
    return "liste des opérations arrêtée" if is_published_list(params) else "extraction de la base de suivi"


def exclusions_sentence(n_at: int, n_out: int, perimeter: Mapping | None = None) -> str:
    """The operations left out before the analysis (technical assistance, outside the wave windows),
    worded for monitoring extracts or for a published list (perimeter.wave_date_label)."""
    from .frnum import fmt_int
    label = (perimeter or {}).get("wave_date_label") or "date de programmation"
    listed = label != "date de programmation"
    where = "de la liste" if listed else "des extractions"

    def n_ops(n: int, what: str, whats: str) -> str:
        return f"{fmt_int(n)} {what if n < 2 else whats}"

    at = n_ops(n_at, "opération d'assistance technique", "opérations d'assistance technique") if n_at else ""
    if not n_out:
        out = ""
    elif listed:
        out = n_ops(n_out, f"opération dont la {label} tombe", f"opérations dont la {label} tombe")
    else:
        out = n_ops(n_out, "opération programmée", "opérations programmées")
    out = f"{out} hors des fenêtres des vagues (rappelées en annexe B)" if out else ""
    if not at and not out:
        return (f"Aucune opération n'a été écartée {where} au titre de l'assistance technique ou des fenêtres "
                "des vagues (rappelées en annexe B).")
    return f"Ont été écartées {where} {' et '.join(x for x in (at, out) if x)}."


def source_line(params: Mapping, kind: str = "operations", programme: str | None = None) -> str:
    """The source line under a table, naming the data.

    kind: "data" (monitoring data only), "operations" (monitoring data and review decisions),
    "screening" (monitoring data, search and review), "survey" (the survey of managing bodies).
    A synthetic dataset says so in the line.
    """
    synthetic = " (données de démonstration synthétiques)" if params.get("synthetic") else ""
    if kind == "survey":
        when = params.get("survey_date")
        return ("Enquête auprès des gestionnaires de l’axe 3 du " + programme_short(params, "fse")
                + (f", {_month(when)}" if when else "") + synthetic)
    extract = params.get("extract_date")
    if is_published_list(params):      # as the title page names them
        text = (f"Liste publiée des opérations {_programmes_phrase(params, programme)}"
                + (f", arrêtée au {_date(extract)}" if extract else "") + synthetic)
    else:
        text = (f"Données de suivi {_programmes_phrase(params, programme)}"
                + (f", extraction du {_date(extract)}" if extract else "") + synthetic)
    if kind == "operations":
        text += " ; décisions de la revue des opérations"
    elif kind == "screening":
        text += " ; recherche par mots-clés et par acteurs, revue des opérations"
    return text


def role_label(role: str, params: Mapping | None = None) -> str:
    """'operations.fse' -> 'Opérations programmées du PON FSE' (programme short names from the
    parameters: 'du FSE+' for the list 2021-2027)."""
    role = role[len("inputs."):] if role.startswith("inputs.") else role
    kind, _, prog = re.sub(r"\[\d+\]$", "", role).partition(".")     # 'operations.fse[2]': a list entry
    label = INPUT_LABELS.get(kind, kind.replace("_", " "))
    if prog:
        label += f" du {programme_short(params or {}, prog)}"
    elif kind == "participants":
        label += f" du {programme_short(params or {}, 'fse')}"
    return label


def file_labels(params: Mapping) -> dict[str, str]:
    """File name (and path) of each input -> what it holds, for the reader."""
    out: dict[str, str] = {}
    for role, path in input_entries(params.get("inputs") or {}, numbered=False):
        label = role_label(role, params)
        out[Path(path).name] = label
        out[path] = label
    return out


def name_files(values: Iterable[Any], params: Mapping) -> list[str]:
    """Replace file names by what they hold (unknown names are kept)."""
    labels = file_labels(params)
    return [labels.get(str(v), labels.get(Path(str(v)).name, str(v))) for v in values]


ROUNDING_NOTE = ("Montants et parts arrondis ; les totaux sont calculés sur les valeurs exactes et peuvent "
                 "différer légèrement de la somme des valeurs affichées.")


def add_rounding_notes(soup) -> int:
    """Add the rounding note under every table whose total row sums rounded decimal values."""
    n = 0
    # find_all/find by name and class rather than CSS selectors: the same elements, several times
    # faster on the ~6,000 elements of the note
    for fig in soup.find_all("figure", class_="isn-table"):
        total = fig.find("tr", class_="total")
        if total is None or fig.find("p", class_="isn-rounding") is not None:
            continue
        if not any("," in td.get_text() for td in fig.find_all("td")
                   if any(p.name == "tbody" for p in td.parents)):
            continue                                  # whole numbers add up exactly
        note = soup.new_tag("p", attrs={"class": "source isn-rounding"})
        note.string = ROUNDING_NOTE
        source = fig.find("p", class_="source")
        (source.insert_before(note) if source is not None else fig.append(note))
        n += 1
    return n

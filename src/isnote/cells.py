"""What the notebook cells call, so that they hold only parameters, calls and displays.

- start-up facts shared by the steps: the programme labels (`programme_labels`), the wave labels
  (`wave_labels`), the outcome of the review for the screening funnel (`review_funnel`,
  `screening_key_figures`: funnel.json -> complete_funnel -> key_figures);
- the reader's sentences that a cell shows around its tables (`*_html`), built from the data;
- the captions of the tables and figures (`CAPTIONS`, keyed by the anchor key the note uses),
  shown with `table` and `figure`;
- the frames shown with French headers (`*_view`).

tests/test_notebooks_thin.py keeps the notebooks thin: no function or class in a code cell and
no string literal longer than a short label.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import pandas as pd

from . import labels as _labels
from .display import esc, figure_html, table_html
from .frnum import fmt_int, fmt_num, fmt_pct

DEFAULT_SHORT = {"fse": "PON FSE", "iej": "PON IEJ"}

# caption of each table or figure, by its key; a tuple also gives the source line
CAPTIONS: dict[str, str | tuple[str, str]] = {
    "qualite-donnees": "Tableau – Qualité des données : lignes lues, conservées et écartées par fichier",
    "tableau2": "Tableau – Volume d'opérations analysées et montants programmés par vague",
    "groupes-mots-cles": ("Tableau – Groupes de mots-clés recherchés dans les textes des opérations",
                          "Paramètres du repérage (mots-clés)"),
    "signaux-structures": ("Tableau – Codes de la nomenclature retenus comme signaux",
                           "Paramètres du repérage (signaux structurés)"),
    "sources-candidates": "Tableau – Opérations candidates selon la source du signalement",
    "groupes-candidates": "Tableau – Opérations candidates par groupe de mots-clés trouvé",
    "enquete-numeros": "Tableau – Numéros cités par l'enquête et non retenus dans la vague",
    "suites": "Tableau – Suites possibles d'opérations retenues à la vague précédente",
    "entonnoir": "Tableau – Du repérage à la sélection : opérations de la {wave} par étape",
    "poids-classement": "Tableau – Poids des indices dans le classement, appris sur la vague {training_wave}",
    "categories": ("Tableau – Les catégories d'opérations retenues", "paramètres de typologie du projet"),
    "tableau5": "Tableau – Répartition des opérations retenues et des montants par type d'opérations ({programme})",
    "continuations": "Tableau – Opérations retenues prolongeant une opération de la vague précédente",
    "retenues-vague": "Tableau – Opérations retenues de la vague ({n}) et leur catégorie",
    "hors-perimetre": ("Tableau – Lignes « retenue » du registre hors du périmètre analysé ({n})",
                       "registre de revue"),
    "controles-typologie": "Tableau – Contrôles de cohérence de la typologie",
    "tableau3": "Tableau – Répartition des opérations retenues et des montants par axe et objectif spécifique",
    "retenues-vagues": "Figure – Opérations retenues et coût total retenu par vague ({programme})",
    "tableau4": "Tableau – {what} et montants des opérations retenues rapportés au total du programme",
    "participants": "Tableau – Opérations retenues ayant des participants, par axe",
    "regions": "Tableau – Opérations retenues par région et indice de représentation",
    "regions-figure": "Figure – Indice de représentation des régions parmi les opérations retenues",
    "extraits": "Tableau – Extraits de la liste des opérations retenues : {category}, axe {axe}",
    "enquete": "Figure – Le FSE a-t-il permis de favoriser l'émergence d'innovations sociales ? Réponses par "
               "type de gestionnaire",
    "enquete-types": "Tableau – Réponses des gestionnaires par type de structure",
    "enquete-themes": "Tableau – Thèmes des observations des gestionnaires",
    "controles-fse": "Tableau – Contrôles de cohérence des résultats FSE",
    "iej-bilan": "Tableau – Opérations retenues du PON IEJ rapportées au total du programme",
    "iej-lot5": "Tableau – Devenir des opérations citées par le lot 5 de l'évaluation d'impact de l'IEJ",
    "iej-extraits": "Tableau – Opérations retenues du PON IEJ (vague étudiée)",
    "controles-iej": "Tableau – Contrôles de cohérence des résultats IEJ",
}


# --------------------------------------------------------------------------------------------
# start-up facts


def programme_labels(params: Mapping) -> dict[str, str]:
    """Short label of each programme of the run (« PON FSE »...), in the parameters' order."""
    short = {**DEFAULT_SHORT, **(params.get("programmes_short") or {})}
    return {p: short.get(p, p.upper()) for p in (params.get("programmes") or DEFAULT_SHORT)}


def wave_labels(params: Mapping) -> dict[str, str]:
    return _labels.wave_labels(params.get("waves"))


def wave_label(params: Mapping, wave: Any = None) -> str:
    """Label of `wave` (default: the current wave)."""
    return _labels.wave_label(params.get("waves"), params["current_wave"] if wave is None else wave)


def review_funnel(layout, candidates: pd.DataFrame, operations: pd.DataFrame, register: pd.DataFrame,
                  params: Mapping) -> dict:
    """The screening funnel (`<out>/clean/funnel.json`) completed with the outcome of the review."""
    from . import screening as sc
    funnel = json.loads((layout.clean / "funnel.json").read_text(encoding="utf-8"))
    return sc.complete_funnel(funnel, candidates, operations, register, params)


def screening_key_figures(layout, candidates: pd.DataFrame, operations: pd.DataFrame, register: pd.DataFrame,
                          params: Mapping) -> dict:
    """Key figures of the screening of the current wave, review outcome included."""
    from . import screening as sc
    return sc.key_figures(review_funnel(layout, candidates, operations, register, params), params["current_wave"])


def read_optional(layout, name: str) -> pd.DataFrame | None:
    """`<out>/clean/<name>.parquet`, or None when the step that writes it had nothing to write."""
    from .tables import read_clean
    return read_clean(layout, name) if (layout.clean / f"{name}.parquet").exists() else None


# --------------------------------------------------------------------------------------------
# captions


def caption(key: str, **values: Any) -> str:
    entry = CAPTIONS[key]
    text = entry[0] if isinstance(entry, tuple) else entry
    return text.format(**values) if values else text


def _source(key: str, source: str | None) -> str | None:
    entry = CAPTIONS[key]
    return entry[1] if source is None and isinstance(entry, tuple) else source


def table(frame: pd.DataFrame, key: str, *, anchor: str | None = None, values: Mapping | None = None,
          source: str | None = None, **options: Any) -> str:
    """A table with its caption from CAPTIONS[key] (`values` fill its blanks); `anchor`, when
    given, is the key of the table in the note (default: `key`)."""
    return table_html(frame, caption(key, **(values or {})), source=_source(key, source), key=anchor or key,
                      **options)


def table4_values(shown: pd.DataFrame) -> dict:
    """Blanks of Table 4's caption: participants are named only when the data have them."""
    return {"what": "Participants, opérations" if "Participants" in shown.columns else "Opérations"}


def figure(png: bytes, key: str, *, anchor: str | None = None, values: Mapping | None = None,
           source: str | None = None, **options: Any) -> str:
    """A numbered figure; nothing when the chart had nothing to draw (empty `png`)."""
    if not png:
        return ""
    return figure_html(png, caption(key, **(values or {})), source=_source(key, source), key=anchor or key,
                       **options)


# --------------------------------------------------------------------------------------------
# sentences


def _n(n: Any, singular: str, plural: str) -> str:
    return f"{fmt_int(n)} {singular if n < 2 else plural}"


def _verb(n: Any, singular: str, plural: str) -> str:
    return singular if n < 2 else plural


def synthetic_banner_html(params: Mapping) -> str:
    return ('<div class="isn-banner isn-synthetic" role="note"><strong>'
            + esc(_labels.dataset_label(params))
            + "</strong> : les opérations, montants et textes de ce jeu sont fictifs ; "
            "ils ne décrivent aucune opération réelle.</div>")


def exclusions_html(excluded: pd.DataFrame, perimeter: Mapping) -> str:
    """The operations set aside (managing-body assistance, outside every wave window)."""
    from . import readertext
    from .validate import REASON_AT, REASON_WINDOW
    reasons = excluded["reason"].value_counts()
    n_at, n_out = int(reasons.get(REASON_AT, 0)), int(reasons.get(REASON_WINDOW, 0))
    return f"<p>{esc(readertext.exclusions_sentence(n_at, n_out, perimeter))}</p>"


def funnel_html(funnel: Mapping, programme_labels: Mapping[str, str], wave_label: str,
                perimeter: Mapping | None) -> str:
    """Operations analysed, pre-identified and candidate, per programme, for the current wave."""
    from . import readertext
    parts = []
    for p, label in programme_labels.items():
        f = funnel.get(p)
        if not f:
            continue
        parts.append(f"pour le {label}, {_n(f['analysed'], 'opération analysée', 'opérations analysées')}, "
                     f"dont {_n(f['preidentified'], 'pré-identifiée', 'pré-identifiées')} par les textes ou le nom "
                     f"du porteur, soit {_n(f['candidates'], 'opération candidate', 'opérations candidates')} à examiner"
                     + readertext.additions_phrase(perimeter))
    return (f"<p>Pour la {esc(wave_label.lower())} : {esc(' ; '.join(parts))}. "
            "L'examen de ces candidates et son résultat sont présentés dans la section suivante.</p>")


def survey_refs_html(funnel: Mapping) -> str:
    """What became of the operation numbers cited by the survey of managing bodies."""
    sr = funnel.get("survey_refs", {})
    return (f"<p>Les réponses à l'enquête citent {esc(_n(sr.get('named', 0), 'numéro', 'numéros'))} d'opération "
            f"distincts. {esc(fmt_int(sr.get('in_wave', 0)))} {_verb(sr.get('in_wave', 0), 'correspond', 'correspondent')} "
            "à des opérations de la vague ; "
            f"{esc(fmt_int(sr.get('out_of_window', 0)))} {_verb(sr.get('out_of_window', 0), 'désigne', 'désignent')} "
            "des opérations programmées hors de sa fenêtre et "
            f"{esc(fmt_int(sr.get('not_found', 0)))} {_verb(sr.get('not_found', 0), 'ne figure', 'ne figurent')} "
            "pas dans les données.</p>")


def odd_refs_view(refs: pd.DataFrame, in_wave: str) -> pd.DataFrame:
    """Numbers cited by the survey that are not operations of the wave, French headers."""
    odd = refs[refs["status"] != in_wave].drop_duplicates("op_id")
    return pd.DataFrame({"Numéro lu": odd["op_id"], "Tel qu'écrit": odd["raw"], "Répondant": odd["respondent_id"],
                         "Constat": odd["status"].str.capitalize()})


def continuations_html(n: int, previous_label: str | None) -> str:
    if not n:
        return ("<p>Aucune opération candidate de la vague n'a de porteur déjà retenu lors de la "
                f"{esc((previous_label or 'vague précédente').lower())}.</p>")
    return (f"<p>{esc(_n(n, 'opération candidate', 'opérations candidates'))} de la vague "
            f"{'a' if n < 2 else 'ont'} un porteur déjà retenu lors de la "
            f"{esc((previous_label or 'vague précédente').lower())}.</p>")


def continuations_candidates_view(candidates: pd.DataFrame, operations: pd.DataFrame,
                                  programme_labels: Mapping[str, str]) -> pd.DataFrame:
    """Candidates whose beneficiary was retained at the previous wave, French headers."""
    cont = candidates[candidates["continuation"]]
    info = operations[["op_id", "programme", "title", "beneficiary"]].astype({"op_id": str})
    cont = cont.merge(info, on=["op_id", "programme"], how="left")
    return pd.DataFrame({"Opération": cont["op_id"], "Programme": cont["programme"].map(programme_labels),
                         "Intitulé": cont["title"], "Porteur": cont["beneficiary"],
                         "Opération(s) retenue(s) précédemment": cont["continuation_of"].str.replace(";", ", ")})


def ranking_weights_view(ranking_kf: Mapping | None) -> tuple[pd.DataFrame | None, dict]:
    """The learnt weights of the ranking (None unless the model ranked the operations)."""
    rk = ranking_kf or {}
    weights = [w for w in rk.get("weights", []) if w["weight"] != 0]
    if rk.get("method") != "modele" or not weights:
        return None, {}
    shown = pd.DataFrame({"Indice": [w["signal"] for w in weights], "Poids": [w["weight"] for w in weights]})
    return shown, {"Poids": lambda x: fmt_num(x, 2)}


def definitions_view(definitions: pd.DataFrame) -> pd.DataFrame:
    return definitions.rename(columns={"numero": "N°", "libelle": "Catégorie", "definition": "Définition"})[
        ["N°", "Catégorie", "Définition"]]


def continuations_view(cont: pd.DataFrame) -> pd.DataFrame:
    view = cont.rename(columns={"op_id": "N° opération", "title": "Intitulé", "beneficiary": "Porteur", "os": "OS",
                                "categorie_label": "Catégorie", "continuation_of": "Opération(s) antérieure(s)",
                                "ct_meur": "CT (M€)"})
    return view[["N° opération", "Intitulé", "Porteur", "OS", "Catégorie", "Opération(s) antérieure(s)", "CT (M€)"]]


NO_CONTINUATION_HTML = ("<p>Aucune opération retenue de la vague ne prolonge une opération retenue lors de la "
                        "vague précédente.</p>")
ALL_IN_SCOPE_HTML = "<p>Toutes les opérations retenues au registre de revue figurent dans les données analysées.</p>"
NO_IEJ_RETAINED_HTML = "<p>Aucune opération du PON IEJ n'a été retenue pour la vague étudiée.</p>"


def retained_wave_view(retained: pd.DataFrame, wave: str) -> pd.DataFrame:
    cur = retained.loc[retained["wave"].eq(wave)].sort_values(["programme", "categorie_label", "op_id"])
    view = cur.rename(columns={"programme": "Programme", "op_id": "N° opération", "title": "Intitulé",
                               "beneficiary": "Porteur", "os": "OS", "categorie_label": "Catégorie"})
    return view[["Programme", "N° opération", "Intitulé", "Porteur", "OS", "Catégorie"]]


def out_of_scope_view(out_of_scope: pd.DataFrame) -> pd.DataFrame:
    return out_of_scope.rename(columns={"vague_registre": "vague"})[["op_id", "programme", "vague", "categorie", "motif"]]


def participants_html(ps: pd.DataFrame, wave: str) -> str:
    row = ps.loc[ps["periode"].eq(wave) & ps["level"].eq("total")].iloc[0]
    return (f"<p>Sur les {esc(fmt_int(row['n_ops']))} opérations retenues de la vague, "
            f"{esc(fmt_int(row['with_participants']))} ({esc(fmt_pct(row['share_with_participants']))}) comptent "
            f"au moins un participant enregistré dans le suivi ; les autres financent surtout des structures, des "
            f"outils ou de l'animation plutôt que des parcours individuels.</p>")


def regions_html(best: list[str]) -> str:
    return ("<p>Les régions les mieux représentées parmi les opérations retenues sont : "
            + esc(", ".join(best)) + ".</p>") if best else ""


def lot5_html(l5: pd.DataFrame, wave: str) -> str:
    n_in = int(l5["in_data"].sum())
    n_ret = int((l5["retained"] & l5["wave"].eq(wave)).sum())
    n_wave = int(l5["wave"].eq(wave).sum())
    return (f"<p>Le lot 5 cite {esc(fmt_int(len(l5)))} opérations ; {esc(fmt_int(n_in))} figurent dans les données "
            f"analysées, dont {esc(fmt_int(n_wave))} programmées pendant la vague étudiée ; {esc(fmt_int(n_ret))} de "
            "ces dernières ont été retenues.</p>")

"""Checks across the steps of one run: the typology and the two results notebooks count the same
retained operations (they read the same snapshot of the review register; this check catches any
other way they could disagree, so that a note mixing two states of the register never ships)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .errors import ConsistencyError

PROGRAMME_LABELS = {"fse": "PON FSE", "iej": "PON IEJ"}
STEP_LABELS = {"fse": "résultats FSE", "iej": "résultats IEJ"}


def _fragment(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def retained_counts_mismatches(retained: pd.DataFrame, by_type: dict, results: dict[str, dict],
                               current_wave: str) -> list[str]:
    """Differences between the typology (its retained list and its `by_type` block) and the
    `retained` blocks of the results steps ({programme: {wave: {"total": {"n_ops": n}}}})."""
    out = []
    prog = retained["programme"].astype("string")
    wave = retained["wave"].astype("string")
    for programme, block in sorted(results.items()):
        label = PROGRAMME_LABELS.get(programme, programme.upper())
        for w, node in sorted(block.items()):
            if w == "cumulative" or not isinstance(node, dict) or "total" not in node:
                continue
            theirs = int(node["total"].get("n_ops", 0))
            ours = int((prog.eq(programme) & wave.eq(str(w))).fillna(False).sum())
            if theirs != ours:
                out.append(f"{label}, vague {w} : {ours} opération(s) retenue(s) pour l'étape typologie, "
                           f"{theirs} pour l'étape {STEP_LABELS.get(programme, programme)}")
    fse_cur = ((results.get("fse") or {}).get(str(current_wave)) or {}).get("total")
    cats = ((by_type or {}).get("fse") or {}).get(str(current_wave))
    if fse_cur is not None and isinstance(cats, dict):
        n_cat = sum(int(v.get("n_ops", 0)) for v in cats.values() if isinstance(v, dict))
        if n_cat != int(fse_cur.get("n_ops", 0)):
            out.append(f"PON FSE, vague {current_wave} : {n_cat} opération(s) réparties par catégorie "
                       f"(typologie), {int(fse_cur.get('n_ops', 0))} au bilan chiffré (résultats FSE)")
    return out


def check_run(layout, current_wave: str) -> None:
    """Raise ConsistencyError when the steps of the run disagree on the retained operations."""
    parquet = layout.clean / "retained.parquet"
    kf_dir = layout.state / "key_figures"
    results = {}
    for path in sorted(kf_dir.glob("retained.*.json")):
        results.update(_fragment(path).get("retained") or {})
    if not parquet.is_file() or not results:
        return
    retained = pd.read_parquet(parquet, columns=["programme", "wave"])
    by_type = _fragment(kf_dir / "by_type.json").get("by_type") or {}
    problems = retained_counts_mismatches(retained, by_type, results, current_wave)
    if problems:
        raise ConsistencyError(
            "les étapes du calcul ne comptent pas les mêmes opérations retenues ("
            + " ; ".join(problems) + ") : le registre de revue a probablement changé pendant le calcul ; "
            "la note n'est pas publiée, relancer le calcul")

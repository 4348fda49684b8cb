"""Data gathering of the note: what the assembly reads from a run's outputs (executed notebooks,
key figures, retained operations, ingest metadata, funnel, checks) and the selections made on it
(emblematic operations in category order). No HTML here (isnote.note.render), no post-processing
(isnote.note.post).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from ..config import Layout, Params
from ..errors import InputError, IsnoteError

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"


class NoteError(IsnoteError):
    """The note cannot be assembled (no executed notebook, unreadable notebook...)."""


# --------------------------------------------------------------------------------------------
# inputs of the assembly


def notebook_paths(layout: Layout) -> list[Path]:
    """Executed notebooks of the run, in order (NN_name.ipynb)."""
    return sorted(layout.notebooks.glob(NOTEBOOK_GLOB))


def read_key_figures(layout: Layout) -> dict:
    """Merged key figures: `<out>/key_figures.json`, written by the pipeline before the assembly."""
    path = layout.key_figures
    if not path.is_file():
        raise NoteError(f"chiffres clés introuvables : fichier {path} absent ; lancer d'abord la chaîne "
                        "complète (python -m isnote.pipeline run)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(path, f"JSON illisible ({exc})") from None


def _read_json(path: Path, default: Any = None) -> Any:
    if not path.is_file():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(path, f"JSON illisible ({exc})") from None


def read_retained(layout: Layout) -> pd.DataFrame:
    """Retained operations: `<out>/clean/retained.parquet`, written by the typology step."""
    path = layout.clean / "retained.parquet"
    if not path.is_file():
        raise NoteError(f"liste des opérations retenues introuvable : fichier {path} absent ; lancer "
                        "d'abord l'étape de typologie (python -m isnote.pipeline run)")
    return pd.read_parquet(path)


def _category_labels(params: Params) -> dict:
    try:
        typology = params.yaml("typology") if params.get("typology") else {}
    except InputError:
        typology = {}
    return {k: v.get("label", k) for k, v in ((typology or {}).get("categories") or {}).items()}


def _category_order(params: Params) -> list:
    try:
        typology = params.yaml("typology") if params.get("typology") else {}
    except InputError:
        typology = {}
    return list((typology or {}).get("order") or [])


def emblematic(retained: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Retained operations of the current wave flagged `emblematique == "oui"`, in category order."""
    if retained is None or "emblematique" not in retained.columns:
        return pd.DataFrame()
    # the register says "oui"; retained.parquet (typology) carries it as a boolean
    flag = retained["emblematique"].astype("string").str.strip().str.lower().isin(["oui", "true"]).fillna(False)
    rows = retained[flag]
    if "wave" in rows.columns:
        rows = rows[rows["wave"].astype("string") == str(params["current_wave"])]
    order = {c: i for i, c in enumerate(_category_order(params))}
    key = rows.get("categorie", pd.Series(index=rows.index, dtype="string")).map(order).fillna(len(order))
    rows = rows.assign(_order=key.astype("int64"))
    by = ["_order"] + [c for c in ("programme", "op_id") if c in rows.columns]
    return rows.sort_values(by, kind="stable").drop(columns="_order")



def _meta_entries(meta: Any) -> list[dict]:
    """Files described by ingest_meta.json, whatever its exact layout (list or dict of dicts)."""
    out: list[dict] = []

    def walk(node, name):
        if isinstance(node, Mapping):
            if "path" in node:
                out.append({"name": name, **node})
                return
            for k, v in node.items():
                walk(v, f"{name}.{k}" if name else str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, name)

    walk(meta, "")
    return out


def _flatten_funnel(node: Mapping, prefix: str = "") -> dict:
    """funnel.json per programme may nest the current wave: flatten to step -> number."""
    out: dict = {}
    for k, v in node.items():
        if isinstance(v, Mapping):
            out.update(_flatten_funnel(v, ""))
        else:
            out[f"{prefix}{k}"] = v
    return out



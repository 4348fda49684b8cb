"""Structured signals of the screening: codes of the monitoring data that point to social innovation.

Besides keyword groups, `params/keywords.yaml` may hold a `structured_signals` section: each
signal names a column of the clean operations (`category_code`, the intervention category of
2021-2027 lists; `os`, the specific objective) and a list of codes. A code matches whatever its
writing: `ESO4.01`, `ESO4.1` and `4.1` are the same objective, `138 - Soutien à l'économie
sociale` is category 138. Like a keyword group, a signal is strong (it pre-identifies the
operation) or weak (it only raises its ranking score), `role` defaulting to strong.

    structured_signals:
      categorie_economie_sociale:
        label: "Catégorie d'intervention 138 : économie sociale et entreprises sociales"
        column: category_code
        codes: ["138"]
        role: strong

Operations without the column (the demo, the 2014-2020 list for `category_code`) simply never
raise the signal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import InputError
from .textsearch import group_is_strong

ALLOWED_COLUMNS = ("category_code", "os", "pi", "axe", "category_label")
FIELD_LABELS = {"category_code": "catégorie d'intervention", "os": "objectif spécifique", "pi": "priorité",
                "axe": "axe", "category_label": "catégorie d'intervention"}


@dataclass(frozen=True)
class StructuredSignal:
    name: str
    label: str
    column: str
    codes: tuple[str, ...]
    preidentify: bool = True
    weight: float | None = None

    @property
    def rank_weight(self) -> float:
        return float(self.weight) if self.weight is not None else (2.0 if self.preidentify else 1.0)


def canonical_code(values: pd.Series) -> pd.Series:
    """Codes in one writing: leading letters dropped (ESO, SO, OS), the first run of digits and
    dots kept, leading zeros of each dotted part dropped ("ESO4.01" -> "4.1", "138 - X" -> "138")."""
    s = values.astype("string").fillna("").str.strip().str.upper()
    s = s.str.replace(r"^[A-Z ]*", "", regex=True).str.extract(r"^([0-9][0-9.]*)", expand=False).fillna("")
    s = s.str.rstrip(".").str.replace(r"(^|\.)0+(?=\d)", r"\1", regex=True)
    return s.astype(object)


def _canonical_one(code) -> str:
    return str(canonical_code(pd.Series([str(code)])).iloc[0])


def compile_structured(keywords_yaml: Mapping, source="keywords.yaml") -> list[StructuredSignal]:
    """The structured signals of the parsed keywords file (none when the section is absent)."""
    spec = (keywords_yaml or {}).get("structured_signals") if isinstance(keywords_yaml, Mapping) else None
    if not spec:
        return []
    if not isinstance(spec, Mapping):
        raise InputError(source, "section mal formée", column="structured_signals",
                         expected="un dictionnaire de signaux nommés")
    out = []
    for name, s in spec.items():
        name = str(name)
        where = f"structured_signals.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or not isinstance(s, Mapping):
            raise InputError(source, "signal mal formé", column=where,
                             expected="un nom en minuscules et label, column, codes, role")
        column = str(s.get("column") or "")
        if column not in ALLOWED_COLUMNS:
            raise InputError(source, "colonne inconnue", column=f"{where}.column", value=column,
                             expected=", ".join(ALLOWED_COLUMNS))
        codes = s.get("codes") or []
        codes = [codes] if isinstance(codes, (str, int, float)) else list(codes)
        canon = tuple(c for c in dict.fromkeys(_canonical_one(c) for c in codes) if c)
        if not canon:
            raise InputError(source, "signal sans code", column=f"{where}.codes",
                             expected="au moins un code (ex. \"138\", \"ESO4.1\")")
        weight = s.get("weight")
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0):
            raise InputError(source, "poids invalide", column=f"{where}.weight", value=weight,
                             expected="un nombre positif ou nul")
        out.append(StructuredSignal(name=name, label=str(s.get("label") or name), column=column, codes=canon,
                                    preidentify=group_is_strong(s, source, where), weight=weight))
    return out


def structured_hits(operations: pd.DataFrame, signals: Sequence[StructuredSignal]) -> pd.DataFrame:
    """One int column `sig_<name>` (0/1) per signal, on a RangeIndex aligned with `operations`."""
    ops = operations.reset_index(drop=True)
    out = pd.DataFrame(index=pd.RangeIndex(len(ops)))
    cache: dict[str, np.ndarray] = {}
    for s in signals:
        if s.column not in ops.columns:
            out[f"sig_{s.name}"] = np.zeros(len(ops), dtype="int64")
            continue
        if s.column not in cache:        # canonical form of the distinct values only (few of them)
            codes, uniques = pd.factorize(ops[s.column], use_na_sentinel=True)
            canon = canonical_code(pd.Series(uniques, dtype=object)).to_numpy()
            cache[s.column] = (codes, canon)
        codes, canon = cache[s.column]
        ok = np.isin(canon, list(s.codes))
        out[f"sig_{s.name}"] = np.where(codes >= 0, ok[np.maximum(codes, 0)] if len(ok) else False, False).astype("int64")
    return out


def structured_evidence(operations: pd.DataFrame, signals: Sequence[StructuredSignal],
                        flags: pd.DataFrame) -> pd.Series:
    """Evidence lines per row (`field · signal · «value»`), '' where no signal fired."""
    ops = operations.reset_index(drop=True)
    out = pd.Series("", index=pd.RangeIndex(len(ops)), dtype=object)
    for s in signals:
        col = f"sig_{s.name}"
        if col not in flags.columns or s.column not in ops.columns:
            continue
        on = flags[col].to_numpy() > 0
        if not on.any():
            continue
        value = ops[s.column].astype("string").fillna("").astype(object)
        if s.column == "category_code" and "category_label" in ops.columns:
            lab = ops["category_label"].astype("string").fillna("").astype(object)
            value = value.where(lab == "", value + " " + lab)
        line = FIELD_LABELS.get(s.column, s.column) + " · " + s.label + " · «" + value + "»"
        line = line.where(on, "")
        out = pd.Series(np.where((out != "") & (line != ""), out + "\n" + line, out + line), index=out.index,
                        dtype=object)
    return out


def applicable(signals: Sequence[StructuredSignal], operations: pd.DataFrame | None = None,
               nomenclature: Mapping | None = None) -> list[StructuredSignal]:
    """The signals that can be raised on this run's data, for the reader: the column is filled in
    the operations, and a specific-objective signal names at least one code of the nomenclature
    (a 2014-2020 objective is not shown in a 2021-2027 note)."""
    known = {str(c) for v in (nomenclature or {}).values() if isinstance(v, Mapping)
             for c in (v.get("os") or {})}
    known = set(canonical_code(pd.Series(sorted(known), dtype=object))) if known else set()
    keep = []
    for sig in signals:                  # a handful of parameter entries, not rows
        if operations is not None and (sig.column not in operations or not operations[sig.column].notna().any()):
            continue
        if sig.column == "os" and known and not set(canonical_code(pd.Series(list(sig.codes), dtype=object))) & known:
            continue
        keep.append(sig)
    return keep


def signals_table(signals: Sequence[StructuredSignal]) -> pd.DataFrame:
    """The structured signals searched: label, field, codes, role (for the note)."""
    return pd.DataFrame([{
        "Signal": s.label,
        "Donnée lue": FIELD_LABELS.get(s.column, s.column),
        "Codes": ", ".join(s.codes),
        "Rôle": "pré-identification" if s.preidentify else "classement seulement",
    } for s in signals], columns=["Signal", "Donnée lue", "Codes", "Rôle"])

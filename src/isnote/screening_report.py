"""Screening report: what each signal flags, and how precise each one is on a labelled set.

`signal_report(operations, groups, signals, actors)` screens the operations and returns, per
signal (each keyword group, each structured signal, the actor match, and the pre-identification
as a whole), the operations it flags. With labels (a CSV `op_id` → expected `oui`/`non`), it adds
per signal the true and false positives, the labelled operations it misses, its precision
(share of the flagged labelled operations expected `oui`) and its recall (share of the
operations expected `oui` it flags).

`python -m isnote.cli screening-report` (`make screening-report`) writes
`<out>/screening_report/signaux.csv` (one row per signal) and `operations_signalees.csv` (one row per
signal and flagged operation) and prints the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import InputError

YES = ("oui", "yes", "1", "vrai", "true", "o")
NO = ("non", "no", "0", "faux", "false", "n")
SUMMARY_COLUMNS = ["signal", "label", "role", "flagged", "labelled_flagged", "true_pos", "false_pos",
                   "false_neg", "precision", "recall"]


def read_labels(path: str | Path) -> pd.DataFrame:
    """Labelled set: columns op_id and expected (bool). `;` or `,` separated, UTF-8; the expected
    column may be named `attendu`, `expected` or `label`, with values oui/non (yes/no, 1/0)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "fichier introuvable", expected="un CSV op_id ; attendu (oui/non)")
    df = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    cols = {c.strip().lower(): c for c in df.columns}
    if "op_id" not in cols:
        raise InputError(path, "colonne op_id absente", column="op_id",
                         expected=f"les colonnes op_id et attendu (lu : {', '.join(df.columns)})")
    exp_col = next((cols[c] for c in ("attendu", "expected", "label") if c in cols), None)
    if exp_col is None:
        raise InputError(path, "colonne attendu absente", column="attendu",
                         expected=f"les colonnes op_id et attendu (lu : {', '.join(df.columns)})")
    value = df[exp_col].str.strip().str.lower()
    bad = ~value.isin(YES + NO)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(path, "valeur attendue inconnue", row=i + 2, column=exp_col, value=df[exp_col].iloc[i],
                         expected="oui ou non", more=int(bad.sum()) - 1)
    ids = df[cols["op_id"]].str.strip()
    dup = ids.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(path, "opération en double", row=i + 2, column=cols["op_id"], value=ids.iloc[i],
                         expected="une ligne par opération", more=int(dup.sum()) - 1)
    return pd.DataFrame({"op_id": ids, "expected": value.isin(YES)}).reset_index(drop=True)


def signal_flags(operations: pd.DataFrame, groups: Sequence, signals: Sequence, actors: Mapping
                 ) -> tuple[pd.DataFrame, dict[str, tuple[str, str]], pd.DataFrame]:
    """Bool column per signal (RangeIndex of `operations`), signal -> (label, role), and the
    screening details (actor, actor_key, evidence lines of the keyword hits)."""
    from .screening import FIELD_LABELS, text_screen
    from .signals import structured_hits

    ops = operations.reset_index(drop=True)
    ts = text_screen(ops, groups, actors)
    sflags = structured_hits(ops, signals)
    flags, meta = {}, {}
    for g in groups:
        flags[f"kw_{g.name}"] = ts.counts[f"hits_{g.name}"].to_numpy() > 0
        meta[f"kw_{g.name}"] = (g.label, "fort" if g.preidentify else "faible")
    for s in signals:
        flags[f"sig_{s.name}"] = sflags[f"sig_{s.name}"].to_numpy() > 0
        meta[f"sig_{s.name}"] = (s.label, "fort" if s.preidentify else "faible")
    flags["actor"] = ts.actor.notna().to_numpy()
    meta["actor"] = ("Porteur : acteur de l'écosystème", "fort")
    strong = [k for k, (_, role) in meta.items() if role == "fort"]
    flags["preidentification"] = np.logical_or.reduce([flags[k] for k in strong]) if strong \
        else np.zeros(len(ops), bool)
    meta["preidentification"] = ("Pré-identification (tout signal fort)", "ensemble")
    h = ts.hits
    ev = pd.Series("", index=pd.RangeIndex(len(ops)), dtype=object)
    if len(h):
        lines = (h["field"].map(FIELD_LABELS).fillna(h["field"]).astype(str) + " · " + h["group"].astype(str)
                 + " · «" + h["match"].astype(str) + "»")
        ev = lines.groupby(h["row"].to_numpy()).agg(" | ".join).reindex(range(len(ops)), fill_value="")
    details = pd.DataFrame({"actor": ts.actor.to_numpy(), "actor_key": ts.actor_key.to_numpy(),
                            "hits": ev.to_numpy()})
    return pd.DataFrame(flags), meta, details


def signal_report(operations: pd.DataFrame, groups: Sequence, signals: Sequence, actors: Mapping,
                  labels: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(summary per signal, flagged operations per signal, counts about the labels)."""
    ops = operations.reset_index(drop=True)
    flags, meta, details = signal_flags(ops, groups, signals, actors)
    ids = ops["op_id"].astype(str).str.strip()
    info: dict = {"operations": int(len(ops))}
    expected = None
    if labels is not None:
        lab = labels.drop_duplicates("op_id").set_index("op_id")["expected"]
        expected = ids.map(lab)                              # NaN where not labelled
        info.update({"labelled": int(len(lab)), "labelled_found": int(expected.notna().sum()),
                     "labelled_missing_from_data": int((~lab.index.isin(set(ids))).sum()),
                     "expected_yes": int(expected.fillna(False).astype(bool).sum())})
    rows, long = [], []
    for key, (label, role) in meta.items():
        on = flags[key].to_numpy()
        row = {"signal": key, "label": label, "role": role, "flagged": int(on.sum())}
        if expected is not None:
            known = expected.notna().to_numpy()
            yes = expected.fillna(False).astype(bool).to_numpy() & known
            tp, fp, fn = int((on & yes).sum()), int((on & known & ~yes).sum()), int((~on & yes).sum())
            row.update({"labelled_flagged": tp + fp, "true_pos": tp, "false_pos": fp, "false_neg": fn,
                        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
                        "recall": round(tp / (tp + fn), 4) if tp + fn else None})
        rows.append(row)
        sel = np.flatnonzero(on)
        if sel.size:
            part = pd.DataFrame({"signal": key, "op_id": ids.to_numpy()[sel]})
            for c in ("programme", "wave", "title", "beneficiary"):
                if c in ops.columns:
                    part[c] = ops[c].to_numpy()[sel]
            part["actor_key"] = details["actor_key"].to_numpy()[sel]
            part["hits"] = details["hits"].to_numpy()[sel]
            if expected is not None:
                part["expected"] = expected.map({True: "oui", False: "non"}).to_numpy()[sel]
            long.append(part)
    summary = pd.DataFrame(rows)
    summary = summary.reindex(columns=[c for c in SUMMARY_COLUMNS if c in summary.columns])
    flagged = pd.concat(long, ignore_index=True) if long else pd.DataFrame(columns=["signal", "op_id"])
    return summary, flagged, info


def format_summary(summary: pd.DataFrame, info: Mapping) -> str:
    """The summary as a fixed-width text table (French headers), for the terminal and the README."""
    heads = {"signal": "signal", "role": "rôle", "flagged": "signalées", "true_pos": "vrais +",
             "false_pos": "faux +", "false_neg": "manquées", "precision": "précision", "recall": "rappel"}
    cols = [c for c in heads if c in summary.columns]
    shown = summary[cols].copy()
    for c in ("precision", "recall"):
        if c in shown.columns:
            shown[c] = shown[c].map(lambda v: "–" if v is None or pd.isna(v) else f"{v:.2f}")
    shown = shown.rename(columns=heads).astype(str)
    widths = {c: max(len(c), *(len(v) for v in shown[c])) for c in shown.columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in shown.columns)]
    lines += ["  ".join(v.ljust(widths[c]) for c, v in zip(shown.columns, r)) for r in shown.itertuples(index=False)]
    head = f"{info.get('operations', 0)} opération(s) analysée(s)"
    if "labelled" in info:
        head += (f" ; jeu étiqueté : {info['labelled']} opération(s), dont {info['expected_yes']} attendue(s) « oui »"
                 f", {info['labelled_missing_from_data']} absente(s) des données")
    return head + "\n" + "\n".join(lines)


def run(params, labels_path: str | Path | None = None, out_dir: str | Path | None = None,
        operations: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict, Path]:
    """Screen the clean operations of the run (every wave), write the two CSV files, return them."""
    from .atomic import write_text
    from .signals import compile_structured
    from .textsearch import compile_groups

    if operations is None:
        from .cli import load_clean
        operations = load_clean(params)["operations"]
    groups = compile_groups(params.path("keywords"))
    signals = compile_structured(params.yaml("keywords"), params.path("keywords"))
    actors = params.yaml("actors")
    labels = read_labels(labels_path) if labels_path else None
    summary, flagged, info = signal_report(operations, groups, signals, actors, labels)
    out = Path(out_dir) if out_dir else params.layout.root / "screening_report"
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "signaux.csv", summary.to_csv(index=False))
    write_text(out / "operations_signalees.csv", flagged.to_csv(index=False))
    return summary, flagged, info, out

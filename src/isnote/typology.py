"""Typology: the retained operations (review register `retenue` rows in scope) and Tableau 5.

The review register is the human decision; the monitoring data is the source of every amount.
`split_register` joins the two on (op_id, programme): rows of the register decided `retenue`
whose operation is in scope (present in operations.parquet, any wave) form the retained list;
`retenue` rows whose operation is not in scope are returned apart, never silently dropped.

Wave keys, category keys, labels and order all come from the parameters
(params/<run>.yaml and params/typology.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import labels
from .config import Params
from .errors import InputError
from .register_schema import DECISIONS as REVIEW_DECISIONS, REGISTER_COLUMNS

DECISIONS = (*REVIEW_DECISIONS, "")
CUMULATIVE = "cumulative"
KEY = ["op_id", "programme"]


# --------------------------------------------------------------------------------------------
# waves


def table_waves(params: Params) -> list[str]:
    """Waves shown side by side in the result tables: current, then previous (if any). From
    `pivot_min_waves` waves on (isnote.waves), the tables show waves as rows: every wave up to the
    current one, oldest first."""
    from .waves import pivot

    if pivot(params):
        return cumulative_waves(params)
    waves = [params["current_wave"]]
    prev = params.get("previous_wave")
    if prev is not None and str(prev) in params["waves"] and str(prev) != waves[0]:
        waves.append(str(prev))
    return waves


def cumulative_waves(params: Params) -> list[str]:
    """Waves that make up the cumulative column: every wave of the params up to the current one."""
    keys = params.wave_keys
    return keys[: keys.index(params["current_wave"]) + 1]


def wave_label(params: Params, wave: str) -> str:
    if wave == CUMULATIVE:
        return "Cumul des vagues"
    return labels.wave_label(params["waves"], wave)


# --------------------------------------------------------------------------------------------
# typology parameters

_YAML_CACHE: dict[tuple[str, int, int], object] = {}


def cached_yaml(params: Params, key: str):
    """params.yaml(key), cached on the file's path, size and modification time."""
    path = params.path(key)
    try:
        st = path.stat()
    except OSError:
        return params.yaml(key)   # raises the usual InputError
    ck = (str(path), st.st_size, st.st_mtime_ns)
    if ck not in _YAML_CACHE:
        _YAML_CACHE[ck] = params.yaml(key)
    return _YAML_CACHE[ck]



@dataclass(frozen=True)
class Category:
    key: str
    number: int
    label: str
    definition: str


def categories(params: Params) -> list[Category]:
    """The categories of params/typology.yaml, in its `order`."""
    spec = cached_yaml(params, "typology")
    cats = spec.get("categories") or {}
    order = spec.get("order") or list(cats)
    unknown = [k for k in order if k not in cats]
    if unknown:
        raise InputError(params.path("typology"), f"catégorie(s) de `order` non définie(s) : {', '.join(unknown)}",
                         column="order", expected="des clés de `categories`")
    order = list(order) + [k for k in cats if k not in order]
    return [Category(k, int(cats[k].get("number", i + 1)), str(cats[k].get("label", k)),
                     " ".join(str(cats[k].get("definition", "")).split()))
            for i, k in enumerate(order)]


def category_labels(params: Params) -> dict[str, str]:
    return {c.key: c.label for c in categories(params)}


# --------------------------------------------------------------------------------------------
# review register


def _read_register_fallback(path: Path) -> pd.DataFrame:
    try:
        reg = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "registre de revue introuvable") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(path, f"registre de revue illisible ({exc})", expected="CSV UTF-8 séparé par « ; »") from None
    return reg


def load_register(params: Params) -> pd.DataFrame:
    """Read the review register (params `review_register`).

    Uses isnote.review.read_register when the review module provides it, else a plain reader.
    """
    path = params.path("review_register")
    try:  # the review module owns the register format; prefer its reader when available
        from .review import read_register  # type: ignore[attr-defined]
    except ImportError:
        reg = _read_register_fallback(path)
    else:
        key = _register_key(path, params)
        if key is None:
            reg = read_register(path, params)
        else:   # the typology step and the IEJ results read the same register in the same kernel
            from . import readcache
            reg = readcache.read(path, lambda: read_register(path, params), extra=key)
    reg = reg.copy()
    reg.attrs["source"] = str(path)
    return reg


def _register_key(path: Path, params: Params) -> tuple | None:
    """What a reading of the register depends on besides the file's stat: its bytes and the
    categories it is validated against; None when it is not a regular file (the reader says why)."""
    import hashlib
    import stat
    from .review import _categories

    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        digest = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return None
    return (digest, tuple(_categories(params).items()))


def _check_register(register: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Validate the columns this module uses; return a string-typed, stripped copy."""
    source = register.attrs.get("source", "registre de revue")
    needed = ["op_id", "programme", "decision", "categorie"]
    missing = [c for c in needed if c not in register.columns]
    if missing:
        raise InputError(source, f"colonne(s) absente(s) : {', '.join(missing)}",
                         expected="les colonnes " + ";".join(REGISTER_COLUMNS))
    reg = register.copy()
    for col in REGISTER_COLUMNS:
        if col not in reg.columns:
            reg[col] = ""
        reg[col] = reg[col].astype("string").fillna("").str.strip().astype(str)
    line = pd.Series(np.arange(len(reg)) + 2, index=reg.index)   # header is line 1
    bad = ~reg["decision"].isin(DECISIONS)
    if bad.any():
        i = bad.idxmax()
        raise InputError(source, "décision inconnue", row=int(line[i]), column="decision",
                         value=reg.at[i, "decision"], expected="retenue, ecartee ou vide",
                         more=int(bad.sum()) - 1)
    keys = set(category_labels(params))
    ret = reg["decision"].eq("retenue")
    badcat = ret & ~reg["categorie"].isin(keys)
    if badcat.any():
        i = badcat.idxmax()
        raise InputError(source, "catégorie absente ou inconnue pour une opération retenue", row=int(line[i]),
                         column="categorie", value=reg.at[i, "categorie"],
                         expected=", ".join(sorted(keys)), more=int(badcat.sum()) - 1)
    dup = reg.duplicated(KEY, keep="first")
    if dup.any():
        i = dup.idxmax()
        raise InputError(source, "opération présente plusieurs fois dans le registre", row=int(line[i]),
                         column="op_id", value=reg.at[i, "op_id"], expected="une ligne par opération",
                         more=int(dup.sum()) - 1)
    return reg


# --------------------------------------------------------------------------------------------
# retained operations


def split_register(operations: pd.DataFrame, register: pd.DataFrame, params: Params,
                   candidates: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (retained, out_of_scope).

    retained: one row per `retenue` register row whose operation is in `operations` (all
    waves); operations columns + categorie, categorie_label, emblematique (bool),
    caractere_innovant, vague_registre, continuation (bool), continuation_of.
    out_of_scope: the register's `retenue` rows whose operation is not in scope (with a
    `motif`), so that the caller can report them.
    """
    reg = _check_register(register, params)
    labels = category_labels(params)
    keep = reg.loc[reg["decision"].eq("retenue"),
                   ["op_id", "programme", "vague", "categorie", "emblematique", "caractere_innovant", "statut"]]
    keep = keep.rename(columns={"vague": "vague_registre"})
    op_id = operations["op_id"].astype(str).str.strip()
    named = op_id.isin(keep["op_id"])      # only the operations the retained rows name: not a copy of
    ops = operations.loc[named].copy()     # every operation with its texts
    ops["op_id"] = op_id[named]
    ops["programme"] = ops["programme"].astype(str)
    merged = keep.merge(ops, on=KEY, how="left", indicator=True, validate="one_to_one")
    in_scope = merged["_merge"].eq("both")
    out = merged.loc[~in_scope, ["op_id", "programme", "vague_registre", "categorie", "statut"]].copy()
    out["motif"] = np.where(out["statut"].ne(""), out["statut"], "absente des opérations analysées")
    out = out.sort_values(KEY, kind="stable").reset_index(drop=True)

    ret = merged.loc[in_scope].drop(columns=["_merge", "statut"])
    ret["categorie_label"] = ret["categorie"].map(labels)
    ret["emblematique"] = ret["emblematique"].str.lower().isin(["oui", "o", "x", "1", "true"])
    ret["continuation"] = False
    ret["continuation_of"] = ""
    if candidates is not None and "continuation" in candidates.columns:
        cand = candidates[[c for c in ["op_id", "programme", "continuation", "continuation_of"]
                           if c in candidates.columns]].drop_duplicates(KEY).copy()
        cand["op_id"] = cand["op_id"].astype(str)
        if "continuation_of" not in cand.columns:
            cand["continuation_of"] = ""
        listed = cand["continuation_of"].map(lambda v: isinstance(v, (list, tuple, np.ndarray)), na_action="ignore")
        if listed.fillna(False).astype(bool).any():   # a list column: join the op ids
            cand["continuation_of"] = cand["continuation_of"].map(
                lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v, na_action="ignore")
        ret = ret.drop(columns=["continuation", "continuation_of"]).merge(cand, on=KEY, how="left")
        ret["continuation"] = ret["continuation"].astype("boolean").fillna(False).astype(bool)
        ret["continuation_of"] = ret["continuation_of"].astype("string").fillna("").astype(str)
    ret = ret.sort_values(["programme", "wave", "op_id"], kind="stable").reset_index(drop=True)
    return ret, out


def retained(operations: pd.DataFrame, register: pd.DataFrame, params: Params,
             candidates: pd.DataFrame | None = None) -> pd.DataFrame:
    """The retained operations (see split_register; out-of-scope rows: `out_of_scope`)."""
    return split_register(operations, register, params, candidates)[0]


def out_of_scope(operations: pd.DataFrame, register: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Register `retenue` rows whose operation is not in the analysed operations."""
    return split_register(operations, register, params)[1]


# --------------------------------------------------------------------------------------------
# Tableau 5


def _cat_sums(frame: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    g = frame.groupby("categorie", observed=True)
    # size and sum directly: the same numbers as a named aggregation, at a fraction of its overhead
    g = pd.DataFrame({"n_ops": g.size(), "ct": g["ct"].sum()})
    return g.reindex(order).fillna(0.0).astype({"n_ops": "int64"})


def _programme_rows(retained: pd.DataFrame, programme: str) -> pd.DataFrame:
    """The rows of `programme`, with only the columns `_cat_sums` reads (not the texts)."""
    frame = retained[["programme", "wave", "categorie", "op_id", "ct"]]
    return frame.loc[frame["programme"].eq(programme)]


def by_category(retained: pd.DataFrame, params: Params, programme: str = "fse") -> pd.DataFrame:
    """Tableau 5: retained operations and total cost per category, current wave and cumulative.

    Columns: categorie, numero, libelle, n_ops_<wave>, share_n_<wave>, ct_meur_<wave>,
    share_ct_<wave>, then the same with suffix `cumulative`; last row `categorie` == "total".
    Shares are fractions of the column total.
    """
    cats = categories(params)
    order = [c.key for c in cats]
    cur = params["current_wave"]
    frame = _programme_rows(retained, programme)
    out = pd.DataFrame({"categorie": order, "numero": [c.number for c in cats],
                        "libelle": [c.label for c in cats]})
    for name, waves in ((cur, [cur]), (CUMULATIVE, cumulative_waves(params))):
        s = _cat_sums(frame.loc[frame["wave"].isin(waves)], order)
        out[f"n_ops_{name}"] = s["n_ops"].to_numpy()
        out[f"ct_meur_{name}"] = s["ct"].to_numpy() / 1e6
    total = {"categorie": "total", "numero": pd.NA, "libelle": "Total"}
    for col in [c for c in out.columns if c.startswith(("n_ops_", "ct_meur_"))]:
        total[col] = out[col].sum()
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    for name in (cur, CUMULATIVE):
        tn, tc = out[f"n_ops_{name}"].iloc[-1], out[f"ct_meur_{name}"].iloc[-1]
        out[f"share_n_{name}"] = out[f"n_ops_{name}"] / tn if tn else 0.0
        out[f"share_ct_{name}"] = out[f"ct_meur_{name}"] / tc if tc else 0.0
    cols = ["categorie", "numero", "libelle"]
    for name in (cur, CUMULATIVE):
        cols += [f"n_ops_{name}", f"share_n_{name}", f"ct_meur_{name}", f"share_ct_{name}"]
    out = out[cols]
    out["numero"] = out["numero"].astype("Int64")
    return out


def continuations(retained: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Retained operations of the current wave that continue an operation retained earlier."""
    cur = params["current_wave"]
    sel = retained.loc[retained["wave"].eq(cur) & retained["continuation"].astype(bool)]
    cols = ["op_id", "programme", "title", "beneficiary", "os", "categorie", "categorie_label", "continuation_of", "ct"]
    out = sel[[c for c in cols if c in sel.columns]].copy()
    out["ct_meur"] = out.pop("ct") / 1e6
    return out.sort_values(["programme", "op_id"], kind="stable").reset_index(drop=True)


def definitions_table(params: Params) -> pd.DataFrame:
    """The categories with their number, label and definition (for the note)."""
    return pd.DataFrame([{"numero": c.number, "categorie": c.key, "libelle": c.label, "definition": c.definition}
                         for c in categories(params)])


def key_figures_by_type(retained: pd.DataFrame, params: Params, programme: str = "fse") -> dict:
    """Block `by_type`: {programme: {<wave>: {cat: {n_ops, ct}}, cumulative: {...}}} (M€), for every
    wave up to the current one (the synthesis compares the current wave with the previous one)."""
    order = [c.key for c in categories(params)]
    frame = _programme_rows(retained, programme)
    block: dict = {}
    periods = [(w, [w]) for w in cumulative_waves(params)] + [(CUMULATIVE, cumulative_waves(params))]
    for name, waves in periods:
        s = _cat_sums(frame.loc[frame["wave"].isin(waves)], order)
        block[name] = {k: {"n_ops": int(s.at[k, "n_ops"]), "ct": float(s.at[k, "ct"]) / 1e6} for k in order}
    return {programme: block}

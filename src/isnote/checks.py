"""Consistency checks of the result tables: they fail loudly.

Each `check_*` function returns the list of its violations (French sentences, empty when the
check passes). A `Checks` collector runs them, then `raise_if_failed()` raises
isnote.errors.ConsistencyError listing EVERY violation of every check, or returns the list of
checks passed as (name, description) for the methodological annex.

The suites (`typology_suite`, `fse_suite`, `iej_suite`) are what the notebooks call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from .config import Params
from .errors import ConsistencyError
from .typology import CUMULATIVE, KEY, cumulative_waves, table_waves

TOL_MEUR = 1e-6      # 1 euro, for amounts in M€
TOL_SHARE = 1e-9


@dataclass
class CheckResult:
    name: str
    description: str
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


class Checks:
    """Collector: `run(name, description, violations)`, then `raise_if_failed()`."""

    def __init__(self) -> None:
        self.results: list[CheckResult] = []

    def run(self, name: str, description: str, violations: Iterable[str]) -> CheckResult:
        res = CheckResult(name, description, list(violations))
        self.results.append(res)
        return res

    @property
    def violations(self) -> list[str]:
        return [f"[{r.name}] {v}" for r in self.results for v in r.violations]

    def passed(self) -> list[tuple[str, str]]:
        return [(r.name, r.description) for r in self.results if r.ok]

    def raise_if_failed(self) -> list[tuple[str, str]]:
        bad = self.violations
        if bad:
            raise ConsistencyError(f"{len(bad)} incohérence(s) détectée(s) :\n" + "\n".join(f"- {v}" for v in bad))
        return self.passed()

    def save(self, path: str | Path) -> None:
        """Write the checks run and their outcome as JSON (for the methodological annex)."""
        from .atomic import write_text
        data = [{"name": r.name, "description": r.description, "ok": r.ok, "violations": r.violations}
                for r in self.results]
        write_text(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"controle": [r.name for r in self.results],
                             "description": [r.description for r in self.results],
                             "resultat": ["conforme" if r.ok else f"{len(r.violations)} écart(s)" for r in self.results]})


# --------------------------------------------------------------------------------------------
# helpers


def _close(a, b, tol: float) -> bool:
    return bool(abs(float(a) - float(b)) <= tol)


def _show(v) -> str:
    v = v.item() if isinstance(v, np.generic) else v
    return repr(v) if isinstance(v, float) else str(v)


def _cmp(label: str, a, b, tol: float = 0.0) -> list[str]:
    """One violation if a and b differ (counts: exactly; amounts: within tol)."""
    if a is None or b is None:
        return [] if a is None and b is None else [f"{label} : {_show(a)} ≠ {_show(b)}"]
    return [] if _close(a, b, tol) else [f"{label} : {_show(a)} ≠ {_show(b)}"]


def _cmp_waves(rows: pd.DataFrame, reference: Callable[[str], Mapping | None],
               fields: Iterable[tuple[str, str, str, float]], *, label: Callable[[object, str], str],
               missing: Callable[[object], str], reference_first: bool = False) -> list[str]:
    """Each row of a table (column `periode`) against the reference block of its wave
    (`reference(str(periode))`, None when absent: `missing(periode)`), on each (field, column of the
    row, key of the reference, tolerance) of `fields`; `reference_first` puts the reference value
    first in the message."""
    out: list[str] = []
    for _, r in rows.iterrows():          # a few waves: one row each
        ref = reference(str(r["periode"]))
        if ref is None:
            out.append(missing(r["periode"]))
            continue
        for field_name, column, key, tol in fields:
            a, b = (ref[key], r[column]) if reference_first else (r[column], ref[key])
            out += _cmp(label(r["periode"], field_name), a, b, tol)
    return out


def _share_bounds(df: pd.DataFrame, where: str) -> list[str]:
    out = []
    for col in [c for c in df.columns if str(c).startswith("share")]:
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype="float64")
        bad = np.isnan(v) | (v < -TOL_SHARE) | (v > 1 + TOL_SHARE)
        out += [f"{where} : part hors de [0, 1] dans « {col} » (ligne {i + 1} : {v[i]!r})" for i in np.flatnonzero(bad)]
    return out


def _tol(col: str) -> float:
    return TOL_MEUR if "meur" in col else 0.0


def _sum_rows(parts: pd.DataFrame, total: pd.Series, cols: list[str], where: str) -> list[str]:
    out = []
    for c in cols:
        out += _cmp(f"{where}, « {c} » (somme des lignes vs total)", parts[c].sum(), total[c], _tol(c))
    return out


def load_block(layout, name: str) -> dict | None:
    """The key-figure block `name` written by an earlier notebook (None if absent)."""
    d = Path(layout.state) / "key_figures"
    paths = sorted(d.glob(f"{name}.json")) + sorted(d.glob(f"{name}.*.json"))
    if not paths:
        return None
    from .keyfigures import deep_merge
    merged: dict = {}
    for p in paths:
        merged = deep_merge(merged, json.loads(p.read_text(encoding="utf-8")))
    return merged.get(name)


# --------------------------------------------------------------------------------------------
# within-table checks


def check_table3(t3: pd.DataFrame, params: Params) -> list[str]:
    """OS rows add up to their axis row, axis rows to the total, per period; cumulative = waves."""
    out: list[str] = []
    periods = table_waves(params) + [CUMULATIVE]
    total = t3.loc[t3["level"].eq("total")]
    if len(total) != 1:
        return ["Tableau 3 : une et une seule ligne Total attendue"]
    total = total.iloc[0]
    # the row selections do not depend on the period: made once (a few rows each)
    axes = t3.loc[t3["level"].eq("axe")]
    axe_rows = list(axes.set_index("axe").iterrows())
    is_os = t3["level"].eq("os")
    os_rows_of = [t3.loc[is_os & t3["axe"].eq(axe)] for axe, _ in axe_rows]
    for p in periods:
        cols = [f"n_ops_{p}", f"ct_meur_{p}"]
        out += _sum_rows(axes, total, cols, f"Tableau 3, {p}, axes")
        for (axe, row), os_rows in zip(axe_rows, os_rows_of):
            out += _sum_rows(os_rows, row, cols, f"Tableau 3, {p}, axe {axe}")
        for share, base in ((f"share_n_{p}", f"n_ops_{p}"), (f"share_ct_{p}", f"ct_meur_{p}")):
            if total[base] > 0:
                out += _cmp(f"Tableau 3, {p}, somme des parts des axes « {share} »",
                            axes[share].sum(), 1.0, 1e-9)
    if set(cumulative_waves(params)) == set(table_waves(params)):
        for kind in ("n_ops", "ct_meur"):
            waves_sum = sum(t3[f"{kind}_{w}"] for w in table_waves(params))
            diff = (t3[f"{kind}_{CUMULATIVE}"] - waves_sum).abs() > _tol(kind)
            out += [f"Tableau 3, ligne {t3['label'].iloc[i]} : cumul « {kind} » ≠ somme des vagues"
                    for i in np.flatnonzero(diff.to_numpy())]
    return out + _share_bounds(t3, "Tableau 3")


def check_table4(t4: pd.DataFrame, params: Params) -> list[str]:
    """Axes add up to the total and detailed OS to their axis, retained ≤ programme, per period."""
    out: list[str] = []
    cols = ["participants", "n_ops", "ue_meur", "ct_meur", "with_participants",
            "pon_participants", "pon_n_ops", "pon_ue_meur", "pon_ct_meur"]
    for p, part in t4.groupby("periode", sort=False):
        total = part.loc[part["level"].eq("total")]
        if len(total) != 1:
            out.append(f"Tableau 4, {p} : une et une seule ligne Total attendue")
            continue
        total = total.iloc[0]
        is_axe, is_os = part["level"].eq("axe"), part["level"].eq("os")
        out += _sum_rows(part.loc[is_axe], total, cols, f"Tableau 4, {p}, axes")
        axe_rows = part.loc[is_axe]
        first_row = {}                                 # each axis's first row, found once
        for i, axe in enumerate(axe_rows["axe"].tolist()):
            first_row.setdefault(axe, i)
        for axe, os_rows in part.loc[is_os].groupby("axe", sort=False):
            row = axe_rows.iloc[first_row[axe]] if axe in first_row else axe_rows.loc[axe_rows["axe"].eq(axe)].iloc[0]
            out += _sum_rows(os_rows, row, cols, f"Tableau 4, {p}, OS de l'axe {axe}")
        for c in ("participants", "n_ops", "ue_meur", "ct_meur"):
            over = part[c] > part[f"pon_{c}"] + _tol(c)
            out += [f"Tableau 4, {p}, {part['label'].iloc[i]} : « {c} » retenu supérieur au total du programme"
                    for i in np.flatnonzero(over.to_numpy())]
    if set(cumulative_waves(params)) == set(table_waves(params)):
        cum = t4.loc[t4["periode"].eq(CUMULATIVE)].set_index("label")
        by_wave = [t4.loc[t4["periode"].eq(w)].set_index("label") for w in table_waves(params)]
        for c in cols:
            s = sum(rows[c].reindex(cum.index).fillna(0) for rows in by_wave)
            diff = (cum[c] - s).abs() > _tol(c)
            out += [f"Tableau 4, cumul, {lab} : « {c} » ≠ somme des vagues" for lab in cum.index[diff.to_numpy()]]
    return out + _share_bounds(t4, "Tableau 4")


def check_table5(t5: pd.DataFrame, params: Params) -> list[str]:
    """Categories add up to the total (wave and cumulative)."""
    total = t5.loc[t5["categorie"].eq("total")]
    if len(total) != 1:
        return ["Tableau 5 : une et une seule ligne Total attendue"]
    cols = [c for c in t5.columns if c.startswith(("n_ops_", "ct_meur_"))]
    out = _sum_rows(t5.loc[t5["categorie"].ne("total")], total.iloc[0], cols, "Tableau 5, catégories")
    return out + _share_bounds(t5, "Tableau 5")


def check_table_programme(tp: pd.DataFrame, params: Params, name: str = "Tableau 6.1") -> list[str]:
    """Cumulative row = sum of the waves; retained ≤ programme."""
    out: list[str] = []
    cols = ["n_ops", "ue_meur", "ct_meur", "pon_n_ops", "pon_ue_meur", "pon_ct_meur"]
    t = tp.set_index("periode")
    if set(cumulative_waves(params)) == set(table_waves(params)) and CUMULATIVE in t.index:
        waves = t.loc[table_waves(params)]
        out += _sum_rows(waves, t.loc[CUMULATIVE], cols, f"{name}, vagues vs cumul")
    for c in ("n_ops", "ue_meur", "ct_meur"):
        over = tp[c] > tp[f"pon_{c}"] + _tol(c)
        out += [f"{name}, {tp['label'].iloc[i]} : « {c} » retenu supérieur au total du programme"
                for i in np.flatnonzero(over.to_numpy())]
    return out + _share_bounds(tp, name)


def check_participants_share(ps: pd.DataFrame) -> list[str]:
    out = []
    for p, part in ps.groupby("periode", sort=False):
        total = part.loc[part["level"].eq("total")].iloc[0]
        out += _sum_rows(part.loc[part["level"].eq("axe")], total, ["n_ops", "with_participants", "participants"],
                         f"Opérations avec participants, {p}")
    over = ps["with_participants"] > ps["n_ops"]
    out += [f"Opérations avec participants : plus d'opérations avec participants que d'opérations (ligne {i + 1})"
            for i in np.flatnonzero(over.to_numpy())]
    return out + _share_bounds(ps, "Opérations avec participants")


def check_regions(reg: pd.DataFrame, t3: pd.DataFrame | None = None, params: Params | None = None) -> list[str]:
    out = []
    if len(reg) and reg["n_retained"].sum() > 0:
        out += _cmp("Régions : somme des parts des retenues", reg["share_retained"].sum(), 1.0, 1e-9)
    if t3 is not None and params is not None:
        wave = str(reg["wave"].iloc[0]) if len(reg) else params["current_wave"]
        total = t3.loc[t3["level"].eq("total")].iloc[0]
        if f"n_ops_{wave}" in t3.columns:
            out += _cmp(f"Régions vs Tableau 3 ({wave}) : opérations retenues", reg["n_retained"].sum(),
                        total[f"n_ops_{wave}"])
            out += _cmp(f"Régions vs Tableau 3 ({wave}) : CT retenu (M€)", reg["ct_meur_retained"].sum(),
                        total[f"ct_meur_{wave}"], TOL_MEUR)
    return out + _share_bounds(reg, "Régions")


def check_survey(sb: pd.DataFrame, params: Params) -> list[str]:
    """Types add up to the total; each group equals the sum of its members; shares add up to 1."""
    from .tables import ANSWERS, survey_groups
    cols = ["n"] + [f"n_{a}" for a in ANSWERS]
    total = sb.loc[sb["kind"].eq("total")]
    if len(total) != 1:
        return ["Enquête : une et une seule ligne Ensemble attendue"]
    types = sb.loc[sb["kind"].eq("type")].set_index("body_type")
    out = _sum_rows(types, total.iloc[0], cols, "Enquête, types de gestionnaires")
    groups = sb.loc[sb["kind"].eq("group")].set_index("body_type")
    for name, members in survey_groups(params).items():
        if name in groups.index:
            sub = types.reindex([m for m in members if m in types.index])
            out += _sum_rows(sub, groups.loc[name], cols, f"Enquête, groupe {name}")
    shares = sb[[f"share_{a}" for a in ANSWERS]].sum(axis=1)
    bad = (sb["n"] > 0) & ((shares - 1.0).abs() > 1e-9)
    out += [f"Enquête, {sb['body_type'].iloc[i]} : les parts ne font pas 100 %" for i in np.flatnonzero(bad.to_numpy())]
    return out + _share_bounds(sb, "Enquête")


def check_survey_themes(st: pd.DataFrame, with_observations: int) -> list[str]:
    over = st["n_respondents"] > with_observations
    return [f"Enquête, thème {st['theme'].iloc[i]} : plus de structures que d'observations"
            for i in np.flatnonzero(over.to_numpy())] + _share_bounds(st, "Thèmes de l'enquête")


# --------------------------------------------------------------------------------------------
# cross-table checks


def check_t3_t4(t3: pd.DataFrame, t4: pd.DataFrame, params: Params) -> list[str]:
    """Tableau 3 and Tableau 4 agree on operations and total cost per wave, axis and OS."""
    out: list[str] = []
    # Tableau 3's rows by level and label, made once: plain lookups instead of a selection per row
    t3_rows = {level: t3.loc[t3["level"].eq(level)].set_index("label") for level in ("total", "axe", "os")}
    for w in table_waves(params):
        part = t4.loc[t4["periode"].eq(w)]
        for level in ("total", "axe", "os"):
            a = t3_rows[level]
            b = part.loc[part["level"].eq(level)].set_index("label")
            if a.index.is_unique and b.index.is_unique:
                a_n, a_c = a[f"n_ops_{w}"].to_dict(), a[f"ct_meur_{w}"].to_dict()
                for lab, n4, c4 in zip(b.index, b["n_ops"].tolist(), b["ct_meur"].tolist()):
                    out += _cmp(f"Tableau 3 vs 4, {w}, {lab}, opérations", a_n.get(lab, 0), n4)
                    out += _cmp(f"Tableau 3 vs 4, {w}, {lab}, CT (M€)", a_c.get(lab, 0.0), c4, TOL_MEUR)
                continue
            for lab in b.index:
                ra = a.loc[lab] if lab in a.index else None
                n3 = ra[f"n_ops_{w}"] if ra is not None else 0
                c3 = ra[f"ct_meur_{w}"] if ra is not None else 0.0
                out += _cmp(f"Tableau 3 vs 4, {w}, {lab}, opérations", n3, b.at[lab, "n_ops"])
                out += _cmp(f"Tableau 3 vs 4, {w}, {lab}, CT (M€)", c3, b.at[lab, "ct_meur"], TOL_MEUR)
    cum3 = t3.loc[t3["level"].eq("total")].iloc[0]
    cum4 = t4.loc[t4["periode"].eq(CUMULATIVE) & t4["level"].eq("total")]
    if len(cum4):
        out += _cmp("Tableau 3 vs 4, cumul, opérations", cum3[f"n_ops_{CUMULATIVE}"], cum4["n_ops"].iloc[0])
        out += _cmp("Tableau 3 vs 4, cumul, CT (M€)", cum3[f"ct_meur_{CUMULATIVE}"], cum4["ct_meur"].iloc[0], TOL_MEUR)
    return out


def check_t3_t5(t3: pd.DataFrame, t5: pd.DataFrame, params: Params) -> list[str]:
    """Tableau 3 and Tableau 5 agree on the totals of the current wave and of the cumulative."""
    out: list[str] = []
    a = t3.loc[t3["level"].eq("total")].iloc[0]
    b = t5.loc[t5["categorie"].eq("total")].iloc[0]
    for p in (params["current_wave"], CUMULATIVE):
        out += _cmp(f"Tableau 3 vs 5, {p}, opérations", a[f"n_ops_{p}"], b[f"n_ops_{p}"])
        out += _cmp(f"Tableau 3 vs 5, {p}, CT (M€)", a[f"ct_meur_{p}"], b[f"ct_meur_{p}"], TOL_MEUR)
    return out


def check_volumes(pon: pd.DataFrame, volumes: dict | None, programme: str, params: Params,
                  name: str) -> list[str]:
    """Programme totals of a table (rows `periode` = wave, level total) = Tableau 2 volumes."""
    if not volumes or programme not in volumes:
        return [f"{name} : volumes du Tableau 2 introuvables pour {programme} (bloc `volumes`)"]
    out: list[str] = []
    rows = pon.loc[pon["periode"].isin(table_waves(params))]
    if "level" in rows.columns:
        rows = rows.loc[rows["level"].eq("total")]
    out += _cmp_waves(rows, volumes[programme].get,
                      [("opérations", "pon_n_ops", "n_ops", 0.0), ("UE (M€)", "pon_ue_meur", "ue", TOL_MEUR),
                       ("CT (M€)", "pon_ct_meur", "ct", TOL_MEUR)],
                      label=lambda p, f: f"{name} vs Tableau 2, {programme} {p}, {f}",
                      missing=lambda p: f"{name}, {p} : vague absente du bloc `volumes`")
    return out


def check_screening(n_retained: int, screening: dict | None, programme: str, params: Params) -> list[str]:
    """The retained count of the current wave equals the screening funnel's `retained`."""
    cur = params["current_wave"]
    node = ((screening or {}).get(programme) or {}).get(cur)
    if not node or "retained" not in node:
        return []   # the funnel may not quote it; nothing to compare
    return _cmp(f"Entonnoir vs tableaux, {programme} {cur}, opérations retenues", n_retained, node["retained"])


def check_retained_register(retained: pd.DataFrame, register: pd.DataFrame, operations: pd.DataFrame) -> list[str]:
    """The retained list equals the register's `retenue` rows whose operation is in scope."""
    reg = register.assign(op_id=register["op_id"].astype(str).str.strip(),
                          decision=register["decision"].astype("string").fillna("").str.strip())
    # object dtype: pandas' Arrow-string merge fails on empty frames (no chunk to infer a type from)
    reg_keys = reg.loc[reg["decision"].eq("retenue"), KEY].astype(str).astype(object)
    scope = operations[KEY].astype(str)
    scope = scope.loc[scope["op_id"].isin(reg_keys["op_id"])]     # the operations the register names
    scope = scope.astype(object).drop_duplicates()
    expected = reg_keys.merge(scope, on=KEY, how="inner")
    got = retained[KEY].astype(str).astype(object)
    out = []
    if got.duplicated().any():
        out.append(f"liste des retenues : {int(got.duplicated().sum())} opération(s) en double")
    cmp = expected.drop_duplicates().merge(got.drop_duplicates(), on=KEY, how="outer", indicator=True)
    missing = cmp.loc[cmp["_merge"].eq("left_only")]
    extra = cmp.loc[cmp["_merge"].eq("right_only")]
    out += [f"retenue au registre mais absente de la liste : {r.programme} {r.op_id}" for r in missing.itertuples()]
    out += [f"dans la liste mais non retenue au registre : {r.programme} {r.op_id}" for r in extra.itertuples()]
    if "vague_registre" in retained.columns:
        bad = retained["vague_registre"].astype(str).ne("") & retained["vague_registre"].astype(str).ne(
            retained["wave"].astype(str))
        out += [f"vague du registre ({r.vague_registre}) ≠ vague des données ({r.wave}) : {r.programme} {r.op_id}"
                for r in retained.loc[bad].itertuples()]
    return out


# --------------------------------------------------------------------------------------------
# key figures vs tables


def check_kf_retained(kf: dict, t3: pd.DataFrame, t4: pd.DataFrame, params: Params, programme: str = "fse") -> list[str]:
    """Block `retained` (detailed part) agrees with Tableaux 3 and 4."""
    out: list[str] = []
    node = kf.get(programme, {})
    for w in table_waves(params):
        k = node.get(w, {})
        rows = t3.set_index("label")
        for lab, r in rows.iterrows():
            key = "total" if lab == "Total" else (f"axe{r['axe']}" if r["level"] == "axe" else str(r["os"]))
            if key not in k:
                out.append(f"chiffres clés {programme} {w} : « {key} » absent")
                continue
            out += _cmp(f"chiffres clés vs Tableau 3, {w}, {key}, n_ops", k[key]["n_ops"], r[f"n_ops_{w}"])
            out += _cmp(f"chiffres clés vs Tableau 3, {w}, {key}, ct", k[key]["ct"], r[f"ct_meur_{w}"], TOL_MEUR)
        t = t4.loc[t4["periode"].eq(w)]
        for _, r in t.iterrows():
            key = "total" if r["level"] == "total" else (f"axe{r['axe']}" if r["level"] == "axe" else str(r["os"]))
            if key in k and "ue" in k[key]:
                out += _cmp(f"chiffres clés vs Tableau 4, {w}, {key}, ue", k[key]["ue"], r["ue_meur"], TOL_MEUR)
                out += _cmp(f"chiffres clés vs Tableau 4, {w}, {key}, participants", k[key]["participants"],
                            r["participants"])
    cum = node.get(CUMULATIVE, {}).get("total")
    tot = t3.loc[t3["level"].eq("total")].iloc[0]
    if cum is None:
        out.append(f"chiffres clés {programme} : cumul absent")
    else:
        out += _cmp("chiffres clés vs Tableau 3, cumul, n_ops", cum["n_ops"], tot[f"n_ops_{CUMULATIVE}"])
        out += _cmp("chiffres clés vs Tableau 3, cumul, ct", cum["ct"], tot[f"ct_meur_{CUMULATIVE}"], TOL_MEUR)
    return out


def check_kf_programme(kf: dict, tp: pd.DataFrame, programme: str = "iej") -> list[str]:
    out: list[str] = []
    node = kf.get(programme, {})
    out += _cmp_waves(tp, lambda p: node.get(p, {}).get("total"),
                      [("n_ops", "n_ops", "n_ops", 0.0), ("ue", "ue_meur", "ue", TOL_MEUR),
                       ("ct", "ct_meur", "ct", TOL_MEUR)],
                      label=lambda p, f: f"chiffres clés vs tableau {programme}, {p}, {f}",
                      missing=lambda p: f"chiffres clés {programme} {p} : total absent", reference_first=True)
    return out


def check_kf_by_type(kf: dict, t5: pd.DataFrame, params: Params, programme: str = "fse") -> list[str]:
    out: list[str] = []
    node = kf.get(programme, {})
    rows = t5.loc[t5["categorie"].ne("total")].set_index("categorie")
    for p in (params["current_wave"], CUMULATIVE):
        for cat, r in rows.iterrows():
            k = node.get(p, {}).get(cat)
            if k is None:
                out.append(f"chiffres clés by_type {p} : « {cat} » absent")
                continue
            out += _cmp(f"chiffres clés vs Tableau 5, {p}, {cat}, n_ops", k["n_ops"], r[f"n_ops_{p}"])
            out += _cmp(f"chiffres clés vs Tableau 5, {p}, {cat}, ct", k["ct"], r[f"ct_meur_{p}"], TOL_MEUR)
    return out


def check_kf_survey(kf: dict, sb: pd.DataFrame, st: pd.DataFrame) -> list[str]:
    from .tables import ANSWERS
    out: list[str] = []
    total = sb.loc[sb["kind"].eq("total")].iloc[0]
    out += _cmp("chiffres clés vs enquête, répondants", kf.get("respondents"), total["n"])
    for a in ANSWERS:
        out += _cmp(f"chiffres clés vs enquête, part {a}", kf.get("shares", {}).get(a, np.nan), total[f"share_{a}"], 1e-12)
    for _, r in sb.loc[sb["kind"].ne("total")].iterrows():
        k = kf.get("by_type", {}).get(str(r["body_type"]))
        if k is None:
            out.append(f"chiffres clés enquête : type « {r['body_type']} » absent")
            continue
        for a in ANSWERS:
            out += _cmp(f"chiffres clés vs enquête, {r['body_type']}, {a}", k[a], r[f"share_{a}"], 1e-12)
    for _, r in st.iterrows():
        out += _cmp(f"chiffres clés vs enquête, thème {r['theme']}", kf.get("themes", {}).get(str(r["theme"])),
                    r["n_respondents"])
    return out


# --------------------------------------------------------------------------------------------
# suites


def typology_suite(*, t5: pd.DataFrame, kf_by_type: dict, retained: pd.DataFrame, register: pd.DataFrame,
                   operations: pd.DataFrame, params: Params, programme: str = "fse") -> Checks:
    c = Checks()
    c.run("registre", "La liste des opérations retenues est exactement celle des lignes « retenue » du registre "
          "de revue dont l'opération figure dans les données analysées.",
          check_retained_register(retained, register, operations))
    c.run("tableau5_sommes", "Tableau 5 : les catégories totalisent la ligne Total ; parts dans [0, 1].",
          check_table5(t5, params))
    c.run("chiffres_cles_types", "Les chiffres clés par catégorie sont ceux du Tableau 5.",
          check_kf_by_type(kf_by_type, t5, params, programme))
    return c


def fse_suite(*, t3, t4, t5, ps, reg, sb, st, kf_retained, kf_survey, retained, register, operations,
              params: Params, volumes: dict | None, screening: dict | None = None,
              with_observations: int | None = None, programme: str = "fse") -> Checks:
    c = Checks()
    c.run("registre", "La liste des opérations retenues est exactement celle des lignes « retenue » du registre "
          "de revue dont l'opération figure dans les données analysées.",
          check_retained_register(retained, register, operations))
    c.run("tableau3_sommes", "Tableau 3 : les OS totalisent leur axe, les axes le total, chaque vague et le cumul ; "
          "le cumul est la somme des vagues ; parts dans [0, 1].", check_table3(t3, params))
    c.run("tableau4_sommes", "Tableau 4 : les axes totalisent l'ensemble, les OS détaillés leur axe ; les retenues "
          "ne dépassent pas le total du programme ; parts dans [0, 1].", check_table4(t4, params))
    c.run("tableau5_sommes", "Tableau 5 : les catégories totalisent la ligne Total ; parts dans [0, 1].",
          check_table5(t5, params))
    c.run("tableaux_3_4", "Les Tableaux 3 et 4 donnent les mêmes opérations et coûts totaux par vague, axe et OS.",
          check_t3_t4(t3, t4, params))
    c.run("tableaux_3_5", "Les Tableaux 3 et 5 donnent les mêmes totaux (vague et cumul).", check_t3_t5(t3, t5, params))
    c.run("volumes_fse", "Les totaux du programme du Tableau 4 sont les volumes du Tableau 2.",
          check_volumes(t4, volumes, programme, params, "Tableau 4"))
    c.run("participants", "Opérations avec participants : les axes totalisent l'ensemble ; parts dans [0, 1].",
          check_participants_share(ps))
    c.run("regions", "Régions : les régions totalisent les opérations et montants retenus du Tableau 3.",
          check_regions(reg, t3, params))
    c.run("enquete", "Enquête : les types de gestionnaires totalisent l'ensemble, chaque regroupement la somme de "
          "ses membres ; les parts font 100 %.", check_survey(sb, params))
    if with_observations is not None:
        c.run("enquete_themes", "Thèmes : aucun thème ne compte plus de structures que d'observations.",
              check_survey_themes(st, with_observations))
    c.run("chiffres_cles_fse", "Les chiffres clés des opérations retenues sont ceux des Tableaux 3 et 4.",
          check_kf_retained(kf_retained, t3, t4, params, programme))
    c.run("chiffres_cles_enquete", "Les chiffres clés de l'enquête sont ceux des tableaux de l'enquête.",
          check_kf_survey(kf_survey, sb, st))
    total = t3.loc[t3["level"].eq("total")].iloc[0]
    c.run("entonnoir_fse", "Le nombre d'opérations retenues de la vague est celui de l'entonnoir de repérage.",
          check_screening(int(total[f"n_ops_{params['current_wave']}"]), screening, programme, params))
    return c


def iej_suite(*, tp, kf_retained, retained, register, operations, params: Params, volumes: dict | None,
              screening: dict | None = None, programme: str = "iej") -> Checks:
    c = Checks()
    sub_ret = retained.loc[retained["programme"].eq(programme)]
    sub_reg = register.loc[register["programme"].astype(str).eq(programme)]
    sub_ops = operations.loc[operations["programme"].eq(programme)]
    c.run("registre_iej", "La liste des opérations IEJ retenues est celle des lignes « retenue » du registre en "
          "périmètre.", check_retained_register(sub_ret, sub_reg, sub_ops))
    c.run("tableau_iej_sommes", "Tableau IEJ : le cumul est la somme des vagues ; parts dans [0, 1].",
          check_table_programme(tp, params))
    c.run("volumes_iej", "Les totaux du programme du tableau IEJ sont les volumes du Tableau 2.",
          check_volumes(tp, volumes, programme, params, "Tableau IEJ"))
    c.run("chiffres_cles_iej", "Les chiffres clés IEJ sont ceux du tableau IEJ.",
          check_kf_programme(kf_retained, tp, programme))
    cur = tp.loc[tp["periode"].eq(params["current_wave"]), "n_ops"]
    c.run("entonnoir_iej", "Le nombre d'opérations IEJ retenues de la vague est celui de l'entonnoir de repérage.",
          check_screening(int(cur.iloc[0]) if len(cur) else 0, screening, programme, params))
    return c


# --------------------------------------------------------------------------------------------
# summary for the methodological annex


def collect(layout) -> list[dict]:
    """The checks saved by the notebooks (`<out>/.state/checks/<step>.json`), in step order,
    each {name, description, ok, step}; a check run by several steps is listed once."""
    out: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for path in sorted((Path(layout.state) / "checks").glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            key = (item["name"], item["description"])
            if key in seen:
                continue
            seen.add(key)
            out.append({"name": item["name"], "description": item["description"], "ok": bool(item["ok"]),
                        "step": path.stem})
    return out


def write_summary(layout) -> Path:
    """Write `<out>/clean/checks.json` ({"checks": [...]}) from the saved checks, for the note's annex."""
    from .atomic import write_text
    target = Path(layout.clean) / "checks.json"
    write_text(target, json.dumps({"checks": collect(layout)}, ensure_ascii=False, indent=1) + "\n")
    return target

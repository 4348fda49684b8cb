"""Result tables of sections 5 and 6 of the note, computed from the retained list.

Every table is a DataFrame with machine-friendly columns: counts as integers, amounts in M€
as unrounded floats (`*_meur`), shares as fractions (`share_*`). `display_*` functions give
the French display variant (numeric values, French headers, a dict of formatters for
isnote.display.table_html). Wave keys come from the parameters (see isnote.typology).

Inputs: `retained` from isnote.typology.split_register (operations columns + categorie ...),
`operations` (clean operations.parquet), `survey` (clean survey.parquet), `lot5`.
"""

from __future__ import annotations

import json

import re
import unicodedata
from typing import Callable

import numpy as np
import pandas as pd

from .config import Params
from .errors import InputError
from .frnum import fmt_int, fmt_num, fmt_pct
from .frwords import fmt_meur_cell
from .typology import CUMULATIVE, cached_yaml, categories, cumulative_waves, table_waves, wave_label

# Body types aggregated in the survey tables (override: params key `survey_groups`).
DEFAULT_SURVEY_GROUPS: dict[str, list[str]] = {"PLIE": ["OI PLIE pivot", "OI PLIE"]}
# Display order of the body types (override: params key `survey_type_order`); others follow, sorted.
DEFAULT_SURVEY_TYPE_ORDER = ["AGD", "OI CD", "OI PLIE pivot", "OI PLIE", "Autre OI"]
# The theme whose count is quoted as "definition judged vague" (override: `survey_definition_theme`).
DEFAULT_DEFINITION_THEME = "definition_floue"
# Axes whose OS are detailed in Tableau 4 (override: params key `table4_detail_axes`).
DEFAULT_DETAIL_AXES = ("3",)
# Regions: minimum retained operations for a region to be ranked (override: `regions_min_retained`).
DEFAULT_REGIONS_MIN_RETAINED = 3
# Extracts: rows per (category, axis) table and length of the short description.
DEFAULT_EXTRACT_ROWS = 6
DEFAULT_EXTRACT_CHARS = 300
ANSWERS = ("oui", "non", "nsp")
ANSWER_LABELS = {"oui": "Oui", "non": "Non", "nsp": "Ne se prononce pas"}

Formats = dict[str, Callable[[object], str]]


# --------------------------------------------------------------------------------------------
# nomenclature helpers


def _nomenclature(params: Params, programme: str) -> dict:
    nom = cached_yaml(params, "nomenclature") or {}
    if programme not in nom:
        raise InputError(params.path("nomenclature"), f"programme {programme!r} absent de la nomenclature",
                         expected="une section par programme (fse, iej)")
    return nom[programme]


def programme_axes(params: Params, programme: str) -> list[str]:
    """Axes of the programme in nomenclature order, without the excluded ones (technical assistance)."""
    excluded = {str(a) for a in params.get("exclude_axes", [])}
    if str(params.get("react_eu") or "apart") != "include":      # REACT-EU axes counted apart
        excluded |= {str(a) for a in (_nomenclature(params, programme).get("react_eu_axes") or [])}
    axes = (_nomenclature(params, programme).get("axes") or {})
    return [str(a) for a, label in axes.items()
            if str(a) not in excluded and not str(label).strip().lower().startswith("assistance technique")]


def _os_axis(params: Params, programme: str) -> dict[str, str]:
    nom = _nomenclature(params, programme)
    return {str(k): str(v.get("axe")) for k, v in (nom.get("os") or {}).items()}


def _os_order(params: Params, programme: str, codes) -> list[str]:
    """`codes` ordered as nomenclature `os_order`, unknown codes after, in lexical order."""
    order = [str(c) for c in _nomenclature(params, programme).get("os_order", [])]
    codes = {str(c) for c in codes}
    return [c for c in order if c in codes] + sorted(codes - set(order))


def _os_short(params: Params, programme: str) -> dict[str, str]:
    nom = _nomenclature(params, programme)
    out = {str(k): str((v or {}).get("short", "") or "") for k, v in (nom.get("os") or {}).items()}
    labels = params.layout.clean / "os_labels.json"       # labels read from the data (ingest)
    if labels.is_file():
        from_data = (json.loads(labels.read_text(encoding="utf-8")) or {}).get(programme) or {}
        out.update({k: str(v) for k, v in from_data.items() if not out.get(k)})
    return out


def _param(params: Params, key: str, default):
    value = params.get(key)
    return default if value is None else value


def _groups(params: Params) -> dict[str, list[str]]:
    """Period name -> waves: each table wave, then the cumulative."""
    out = {w: [w] for w in table_waves(params)}
    out[CUMULATIVE] = cumulative_waves(params)
    return out


# --------------------------------------------------------------------------------------------
# sums


SUM_COLS = ["n_ops", "ue", "ct", "participants", "with_participants"]


def _sum_frame(frame: pd.DataFrame, keys=()) -> pd.DataFrame:
    """The summed columns of `frame` (n_ops, ue, ct, participants, with_participants), and its
    columns `keys` to group by."""
    part = frame["participants"].fillna(0)
    return pd.DataFrame({"n_ops": np.ones(len(frame), dtype="int64"), "ue": frame["ue"], "ct": frame["ct"],
                         "participants": part.astype("int64"), "with_participants": (part > 0).astype("int64"),
                         **{k: frame[k] for k in keys}},
                        index=frame.index)


def _total(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{"n_ops": int(len(f)), "ue": float(f["ue"].sum()), "ct": float(f["ct"].sum()),
                          "participants": int(f["participants"].sum()),
                          "with_participants": int(f["with_participants"].sum())}])


def _grouped(f: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    # grouped by column names, not by Series: pandas formats a grouping Series (repr) to check it
    return f.groupby(list(by), observed=True, sort=True)[SUM_COLS].sum()


def _sums(frame: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """n_ops, ue, ct (euros), participants, with_participants (ops with > 0 participant record)."""
    # only the summed columns (not a copy of the whole frame), one groupby sum: several times faster
    # than a named aggregation over a full copy, for the same result
    f = _sum_frame(frame, by or [])
    return _grouped(f, by) if by else _total(f)


def _select(frame: pd.DataFrame, programme: str, waves: list[str]) -> pd.DataFrame:
    return frame.loc[frame["programme"].eq(programme) & frame["wave"].isin(waves)]


# the columns the sums and their row keys read
SUM_INPUTS = ["programme", "wave", "axe", "os", "region", "ue", "ct", "participants"]


def _sum_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with only the columns the sums read: selecting rows of the whole frame copies every
    text column (titles, descriptions), most of the cost of a table on the operations."""
    return frame[[c for c in SUM_INPUTS if c in frame.columns]]


def _keyed_sums(frame: pd.DataFrame, detail_os: bool = True) -> pd.DataFrame:
    """Sums indexed by row key: "total", "axe:<a>", "os:<code>"."""
    f = _sum_frame(frame, ["axe", "os"] if detail_os else ["axe"])      # built once for the three
    parts = [_total(f).set_axis(["total"])]
    # row keys made in Python from the few group labels: prefixing an Arrow-string index costs more
    by_axe = _grouped(f, ["axe"])
    parts.append(by_axe.set_axis(["axe:" + str(k) for k in by_axe.index.tolist()]))
    if detail_os:
        by_os = _grouped(f, ["os"])
        parts.append(by_os.set_axis(["os:" + str(k) for k in by_os.index.tolist()]))
    out = pd.concat(parts)
    return out


def _frac(num: pd.Series, den) -> pd.Series:
    den = pd.Series(den, index=num.index) if np.isscalar(den) else den
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(np.asarray(den, dtype="float64") > 0, num.to_numpy(dtype="float64") / np.asarray(den, dtype="float64"), 0.0)
    return pd.Series(out, index=num.index)


# --------------------------------------------------------------------------------------------
# Tableau 3


def table3(retained: pd.DataFrame, params: Params, programme: str = "fse") -> pd.DataFrame:
    """Tableau 3: retained operations and total cost per axis and OS, per wave and cumulative.

    Rows: for each axis, the axis row then its OS rows (every OS with a retained operation in
    a shown wave or the cumulative, in nomenclature `os_order`); last row the total.
    Columns: level (axe/os/total), axe, os, label, then per period P (table waves, then
    `cumulative`): n_ops_P, share_n_P, ct_meur_P, share_ct_P (shares of the column total).
    """
    groups = _groups(params)
    all_waves = sorted({w for ws in groups.values() for w in ws})
    frame = _select(_sum_inputs(retained), programme, all_waves)
    os_axis = _os_axis(params, programme)
    present = frame[["os", "axe"]].drop_duplicates()
    op_axis = dict(zip(present["os"].astype(str), present["axe"].astype(str)))
    codes = _os_order(params, programme, present["os"].astype(str))
    rows = []
    for axe in programme_axes(params, programme):
        rows.append({"key": f"axe:{axe}", "level": "axe", "axe": axe, "os": "", "label": f"Axe {axe}"})
        rows += [{"key": f"os:{c}", "level": "os", "axe": axe, "os": c, "label": c}
                 for c in codes if os_axis.get(c, op_axis.get(c)) == axe]
    rows.append({"key": "total", "level": "total", "axe": "", "os": "", "label": "Total"})
    out = pd.DataFrame(rows)
    for name, waves in groups.items():
        s = _keyed_sums(frame.loc[frame["wave"].isin(waves)]).reindex(out["key"]).fillna(0)
        n = s["n_ops"].astype("int64").to_numpy()
        ct = s["ct"].to_numpy(dtype="float64") / 1e6
        out[f"n_ops_{name}"] = n
        out[f"share_n_{name}"] = _frac(out[f"n_ops_{name}"], n[-1]).to_numpy()
        out[f"ct_meur_{name}"] = ct
        out[f"share_ct_{name}"] = _frac(out[f"ct_meur_{name}"], ct[-1]).to_numpy()
    return out.drop(columns="key")


def display_table3(t3: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, Formats]:
    from . import waves

    if waves.pivot(params):          # three waves or more: waves as rows (isnote.waves)
        return waves.table3_long(t3, params)
    cols = {"label": "Axe / OS"}
    formats: Formats = {}
    periods = table_waves(params) + [CUMULATIVE]
    for kind, src, fmt in (("nb", "n_ops", fmt_int), ("M€ CT", "ct_meur", fmt_meur_cell)):
        for p in periods:
            lab = wave_label(params, p)
            cols[f"{src}_{p}"] = f"{lab} – {kind}"
            formats[f"{lab} – {kind}"] = fmt
            share = "share_n" if src == "n_ops" else "share_ct"
            cols[f"{share}_{p}"] = f"{lab} – % ({kind})"
            formats[f"{lab} – % ({kind})"] = fmt_pct
    return t3[list(cols)].rename(columns=cols), formats


def display_table5(t5: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, Formats]:
    """Tableau 5 for display: per category, wave and cumulative counts and amounts with shares."""
    cols = {"libelle": "Type d'opérations"}
    formats: Formats = {}
    for p in (params["current_wave"], CUMULATIVE):
        lab = wave_label(params, p)
        for src, name, fmt in ((f"n_ops_{p}", f"{lab} – nb", fmt_int), (f"share_n_{p}", f"{lab} – % (nb)", fmt_pct),
                               (f"ct_meur_{p}", f"{lab} – M€", fmt_meur_cell), (f"share_ct_{p}", f"{lab} – % (M€)", fmt_pct)):
            cols[src] = name
            formats[name] = fmt
    return t5[list(cols)].rename(columns=cols), formats


# --------------------------------------------------------------------------------------------
# Tableau 4


def _detail_axes(params: Params) -> list[str]:
    return [str(a) for a in _param(params, "table4_detail_axes", DEFAULT_DETAIL_AXES)]


def table4(retained: pd.DataFrame, operations: pd.DataFrame, params: Params, programme: str = "fse") -> pd.DataFrame:
    """Tableau 4: retained operations against the whole programme, per period, axis and OS.

    Rows per period (table waves, then `cumulative`): total, each axis, each OS of the detail
    axes (params `table4_detail_axes`, default axis 3). Columns: periode, level, axe, os,
    label, participants, share_participants, n_ops, share_n, ue_meur, share_ue, ct_meur,
    share_ct, with_participants, pon_participants, pon_n_ops, pon_ue_meur, pon_ct_meur.
    Shares are retained / programme.
    """
    detail = _detail_axes(params)
    os_axis = _os_axis(params, programme)
    operations, retained = _sum_inputs(operations), _sum_inputs(retained)
    frames = []
    for name, waves in _groups(params).items():
        pon = _select(operations, programme, waves)
        ret = _select(retained, programme, waves)
        pon_os = pon["os"].astype(str)
        # codes outside the nomenclature belong to a detail axis when one of their operations does
        in_detail = set(pon_os[pon["axe"].astype(str).isin(detail)].unique())
        det_codes = [c for c in _os_order(params, programme, set(pon_os.unique()) | set(ret["os"].astype(str).unique()))
                     if os_axis.get(c) in detail or (c not in os_axis and c in in_detail)]
        rows = [{"key": "total", "level": "total", "axe": "", "os": "", "label": "Total"}]
        for axe in programme_axes(params, programme):
            rows.append({"key": f"axe:{axe}", "level": "axe", "axe": axe, "os": "", "label": f"Axe {axe}"})
        for axe in [a for a in programme_axes(params, programme) if a in detail]:
            rows += [{"key": f"os:{c}", "level": "os", "axe": axe, "os": c, "label": c}
                     for c in det_codes if os_axis.get(c, axe) == axe]
        part = pd.DataFrame(rows)
        s = _keyed_sums(ret).reindex(part["key"]).fillna(0)
        p = _keyed_sums(pon).reindex(part["key"]).fillna(0)
        part.insert(0, "periode", name)
        part["participants"] = s["participants"].astype("int64").to_numpy()
        part["pon_participants"] = p["participants"].astype("int64").to_numpy()
        part["n_ops"] = s["n_ops"].astype("int64").to_numpy()
        part["pon_n_ops"] = p["n_ops"].astype("int64").to_numpy()
        part["ue_meur"] = s["ue"].to_numpy(dtype="float64") / 1e6
        part["pon_ue_meur"] = p["ue"].to_numpy(dtype="float64") / 1e6
        part["ct_meur"] = s["ct"].to_numpy(dtype="float64") / 1e6
        part["pon_ct_meur"] = p["ct"].to_numpy(dtype="float64") / 1e6
        part["with_participants"] = s["with_participants"].astype("int64").to_numpy()
        frames.append(part)
    out = pd.concat(frames, ignore_index=True).drop(columns="key")
    for a, b in (("participants", "share_participants"), ("n_ops", "share_n"), ("ue_meur", "share_ue"),
                 ("ct_meur", "share_ct")):
        out[b] = _frac(out[a], out[f"pon_{a}"]).to_numpy()
    return out[["periode", "level", "axe", "os", "label", "participants", "share_participants", "n_ops", "share_n",
                "ue_meur", "share_ue", "ct_meur", "share_ct", "with_participants", "pon_participants",
                "pon_n_ops", "pon_ue_meur", "pon_ct_meur"]]


def display_table4(t4: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, Formats]:
    df = t4.copy()
    df["Période"] = df["periode"].map(lambda p: wave_label(params, p))
    df["Ligne"] = np.where(df["level"].eq("total"), "Ensemble", df["label"])
    cols = {"Période": "Période", "Ligne": "Axe / OS",
            "participants": "Participants", "share_participants": "% participants",
            "n_ops": "Opérations", "share_n": "% opérations", "ue_meur": "UE (M€)", "share_ue": "% UE",
            "ct_meur": "CT (M€)", "share_ct": "% CT", "pon_participants": "PO : participants",
            "pon_n_ops": "PO : opérations", "pon_ue_meur": "PO : UE (M€)", "pon_ct_meur": "PO : CT (M€)"}
    if not df["pon_participants"].astype("int64").gt(0).any():
        # no participant data (published lists): no participant columns rather than columns of zeros
        for src in ("participants", "share_participants", "pon_participants"):
            cols.pop(src)
    formats: Formats = {}
    for src, dst in cols.items():
        if src.startswith("share"):
            formats[dst] = fmt_pct
        elif src.endswith("meur"):
            formats[dst] = fmt_meur_cell
        elif src in ("participants", "n_ops", "pon_participants", "pon_n_ops"):
            formats[dst] = fmt_int
    return df[list(cols)].rename(columns=cols), formats


# --------------------------------------------------------------------------------------------
# operations with participants


def participants_share(retained: pd.DataFrame, params: Params, programme: str = "fse") -> pd.DataFrame:
    """Per period and axis (and total): retained ops, those with > 0 participant record, share."""
    retained = _sum_inputs(retained)
    frames = []
    for name, waves in _groups(params).items():
        ret = _select(retained, programme, waves)
        keys = ["total"] + [f"axe:{a}" for a in programme_axes(params, programme)]
        s = _keyed_sums(ret, detail_os=False).reindex(keys).fillna(0)
        frames.append(pd.DataFrame({
            "periode": name, "level": ["total"] + ["axe"] * (len(keys) - 1),
            "axe": [""] + programme_axes(params, programme),
            "n_ops": s["n_ops"].astype("int64").to_numpy(),
            "with_participants": s["with_participants"].astype("int64").to_numpy(),
            "participants": s["participants"].astype("int64").to_numpy()}))
    out = pd.concat(frames, ignore_index=True)
    out["share_with_participants"] = _frac(out["with_participants"], out["n_ops"]).to_numpy()
    return out


def display_participants_share(ps: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, Formats]:
    df = ps.copy()
    df["Période"] = df["periode"].map(lambda p: wave_label(params, p))
    df["Axe"] = np.where(df["level"].eq("total"), "Ensemble", "Axe " + df["axe"].astype(str))
    cols = {"Période": "Période", "Axe": "Axe", "n_ops": "Opérations retenues",
            "with_participants": "dont avec participants", "share_with_participants": "Part",
            "participants": "Participants"}
    formats = {"Opérations retenues": fmt_int, "dont avec participants": fmt_int, "Part": fmt_pct,
               "Participants": fmt_int}
    return df[list(cols)].rename(columns=cols), formats


# --------------------------------------------------------------------------------------------
# regions


def regions(retained: pd.DataFrame, operations: pd.DataFrame, params: Params, programme: str = "fse",
            wave: str | None = None) -> pd.DataFrame:
    """Per region (current wave by default): retained ops and amounts, shares and representation.

    share_retained = region's retained ops / all retained ops; share_all = region's operations /
    all operations; ratio = share_retained / share_all. `ranked` marks regions with at least
    params `regions_min_retained` (default 3) retained operations. Sorted by ranked, ratio
    (descending), then region name (accents and case aside); « non renseignée » and « plusieurs
    régions » are never ranked and come last.
    """
    wave = wave or params["current_wave"]
    ret = _select(_sum_inputs(retained), programme, [wave])
    pon = _select(_sum_inputs(operations), programme, [wave])
    r = _sums(ret, ["region"])
    p = _sums(pon, ["region"])
    out = pd.DataFrame(index=p.index.union(r.index))
    out.index.name = "region"
    out["n_retained"] = r["n_ops"].reindex(out.index).fillna(0).astype("int64")
    out["ue_meur_retained"] = r["ue"].reindex(out.index).fillna(0.0) / 1e6
    out["ct_meur_retained"] = r["ct"].reindex(out.index).fillna(0.0) / 1e6
    out["n_all"] = p["n_ops"].reindex(out.index).fillna(0).astype("int64")
    out["ct_meur_all"] = p["ct"].reindex(out.index).fillna(0.0) / 1e6
    out = out.reset_index()
    out["share_retained"] = _frac(out["n_retained"], out["n_retained"].sum()).to_numpy()
    out["share_all"] = _frac(out["n_all"], out["n_all"].sum()).to_numpy()
    out["ratio"] = _frac(out["share_retained"], out["share_all"]).to_numpy()
    # « non renseignée » and « plusieurs régions » (published lists) are no region: never ranked
    # (never called well represented), listed after the regions
    from .reallists import REGION_UNKNOWN, SEVERAL_REGIONS
    pseudo = out["region"].isin([REGION_UNKNOWN, SEVERAL_REGIONS]).to_numpy()
    out["ranked"] = (out["n_retained"] >= int(_param(params, "regions_min_retained", DEFAULT_REGIONS_MIN_RETAINED))) & ~pseudo
    out["_r"] = out["ratio"].round(9)          # equal ratios computed in different orders tie
    out["_p"] = pseudo
    # names in alphabetical order whatever their accents and case (« Île-de-France » with the I)
    out["_n"] = (out["region"].astype(str).str.normalize("NFKD").str.encode("ascii", "ignore")
                 .str.decode("ascii").str.casefold())
    out = out.sort_values(["_p", "ranked", "_r", "n_retained", "_n", "region"],
                          ascending=[True, False, False, False, True, True],
                          kind="stable").drop(columns=["_r", "_p", "_n"]).reset_index(drop=True)
    out.insert(0, "wave", wave)
    return out


def well_represented(reg: pd.DataFrame, n: int = 3) -> list[str]:
    """The `n` ranked regions with the highest representation ratio (ratio > 1)."""
    sel = reg.loc[reg["ranked"] & (reg["ratio"] > 1.0)]
    return sel["region"].head(n).astype(str).tolist()


def display_regions(reg: pd.DataFrame) -> tuple[pd.DataFrame, Formats]:
    cols = {"region": "Région", "n_retained": "Opérations retenues", "ct_meur_retained": "CT retenu (M€)",
            "share_retained": "Part des retenues", "n_all": "Opérations programmées",
            "share_all": "Part des programmées", "ratio": "Indice de représentation"}
    formats = {"Opérations retenues": fmt_int, "CT retenu (M€)": fmt_meur_cell, "Part des retenues": fmt_pct,
               "Opérations programmées": fmt_int, "Part des programmées": fmt_pct,
               "Indice de représentation": lambda v: fmt_num(v, 2)}
    return reg[list(cols)].rename(columns=cols), formats


# --------------------------------------------------------------------------------------------
# extracts of the retained list


def short_text(values: pd.Series, max_chars: int = DEFAULT_EXTRACT_CHARS) -> pd.Series:
    """First `max_chars` characters, cut at a word boundary, with an ellipsis when cut."""
    s = values.astype("string").fillna("").str.replace(r"\s+", " ", regex=True).str.strip()
    long = s.str.len() > max_chars
    head = s.str.slice(0, max_chars + 1)
    cut = head.str.replace(r"\s+\S*$", "", regex=True).str.rstrip(" ,;:.-–")
    return pd.Series(np.where(long, cut + " …", s), index=values.index).astype(str)


def extracts(retained: pd.DataFrame, params: Params, programme: str = "fse", wave: str | None = None,
             max_rows: int | None = None, max_chars: int | None = None) -> pd.DataFrame:
    """Extracts of the retained list of a wave, per category and axis (like Tableaux 6-10).

    Per (category, axis): the emblematic operations first (flagged by the review, or named by the
    parameter `illustrations`: isnote.illustrations), then by total cost (descending), at most
    `max_rows` (params `extract_max_rows`, default 6; 0 = all) besides the operations that the
    `illustrations` list names, which are always shown.
    Columns: categorie, categorie_label, axe, op_id, title, beneficiary, os, region, service,
    description_short, ct_meur, emblematique.
    """
    wave = wave or params["current_wave"]
    max_rows = int(_param(params, "extract_max_rows", DEFAULT_EXTRACT_ROWS) if max_rows is None else max_rows)
    max_chars = int(_param(params, "extract_max_chars", DEFAULT_EXTRACT_CHARS) if max_chars is None else max_chars)
    f = _select(retained, programme, [wave]).copy()
    order = {c.key: i for i, c in enumerate(categories(params))}
    f["_cat"] = f["categorie"].map(order)
    f["ct_meur"] = f["ct"] / 1e6
    desc = f["description"] if "description" in f.columns else pd.Series("", index=f.index)
    f["description_short"] = short_text(desc, max_chars)
    from .illustrations import flag

    f["_shown"] = flag(f, params)
    review = f["emblematique"].astype("string").str.strip().str.lower().isin(["oui", "true"]).fillna(False)
    f["emblematique"] = (review | f["_shown"]).astype(bool)
    f = f.sort_values(["_cat", "axe", "emblematique", "ct", "op_id"], ascending=[True, True, False, False, True],
                      kind="stable")
    if max_rows > 0:
        rank = f.groupby(["_cat", "axe"], sort=False).cumcount()
        f = f[(rank < max_rows) | f["_shown"]]
    cols = ["categorie", "categorie_label", "axe", "op_id", "title", "beneficiary", "os", "region", "service",
            "description_short", "ct_meur", "emblematique"]
    return f[cols].reset_index(drop=True)


def display_extract(ex: pd.DataFrame) -> tuple[pd.DataFrame, Formats]:
    cols = {"title": "Opération", "beneficiary": "Porteur", "os": "OS", "region": "Région",
            "service": "Service gestionnaire", "description_short": "Description (extrait)"}
    return ex[list(cols)].rename(columns=cols), {}


# --------------------------------------------------------------------------------------------
# programme-level table (IEJ, section 6.1)


def table_programme(retained: pd.DataFrame, operations: pd.DataFrame, params: Params,
                    programme: str = "iej") -> pd.DataFrame:
    """Retained operations against the whole programme per period (table waves, cumulative).

    Columns: periode, label, n_ops, share_n, ue_meur, share_ue, ct_meur, share_ct, pon_n_ops,
    pon_ue_meur, pon_ct_meur.
    """
    rows = []
    retained, operations = _sum_inputs(retained), _sum_inputs(operations)
    for name, waves in _groups(params).items():
        r = _sums(_select(retained, programme, waves)).iloc[0]
        p = _sums(_select(operations, programme, waves)).iloc[0]
        rows.append({"periode": name, "label": wave_label(params, name), "n_ops": int(r["n_ops"]),
                     "ue_meur": r["ue"] / 1e6, "ct_meur": r["ct"] / 1e6, "pon_n_ops": int(p["n_ops"]),
                     "pon_ue_meur": p["ue"] / 1e6, "pon_ct_meur": p["ct"] / 1e6})
    out = pd.DataFrame(rows)
    for a, b in (("n_ops", "share_n"), ("ue_meur", "share_ue"), ("ct_meur", "share_ct")):
        out[b] = _frac(out[a], out[f"pon_{a}"]).to_numpy()
    return out[["periode", "label", "n_ops", "share_n", "ue_meur", "share_ue", "ct_meur", "share_ct",
                "pon_n_ops", "pon_ue_meur", "pon_ct_meur"]]


def display_table_programme(tp: pd.DataFrame) -> tuple[pd.DataFrame, Formats]:
    cols = {"label": "Période", "n_ops": "Opérations retenues", "share_n": "% opérations",
            "ue_meur": "UE (M€)", "share_ue": "% UE", "ct_meur": "CT (M€)", "share_ct": "% CT",
            "pon_n_ops": "PO : opérations", "pon_ue_meur": "PO : UE (M€)", "pon_ct_meur": "PO : CT (M€)"}
    formats = {"Opérations retenues": fmt_int, "% opérations": fmt_pct, "UE (M€)": fmt_meur_cell, "% UE": fmt_pct,
               "CT (M€)": fmt_meur_cell, "% CT": fmt_pct, "PO : opérations": fmt_int, "PO : UE (M€)": fmt_meur_cell,
               "PO : CT (M€)": fmt_meur_cell}
    return tp[list(cols)].rename(columns=cols), formats


# --------------------------------------------------------------------------------------------
# lot 5 (IEJ impact evaluation)


def lot5_outcome(lot5: pd.DataFrame, operations: pd.DataFrame, register: pd.DataFrame, params: Params,
                 programme: str = "iej") -> pd.DataFrame:
    """What became of the operations listed by lot 5: in the data or not, wave, decision.

    Columns: op_id, title, in_data, wave, decision, retained, categorie, devenir (French).
    """
    ops = _select(operations, programme, list(params["waves"]))[["op_id", "wave", "title"]]
    ops = ops.rename(columns={"title": "title_data"})
    l5 = lot5[["op_id"] + (["title"] if "title" in lot5.columns else [])].copy()
    l5["op_id"] = l5["op_id"].astype(str).str.strip()
    l5 = l5.drop_duplicates("op_id")
    out = l5.merge(ops, on="op_id", how="left", indicator=True)
    out["in_data"] = out.pop("_merge").eq("both")
    reg = register.loc[register["programme"].astype(str).eq(programme), ["op_id", "decision", "categorie"]].copy()
    reg["op_id"] = reg["op_id"].astype(str).str.strip()
    out = out.merge(reg.drop_duplicates("op_id"), on="op_id", how="left")
    if "title" not in out.columns:
        out["title"] = ""
    out["title"] = out["title"].astype("string").fillna("").astype(str)
    out["title"] = np.where(out["title"].eq(""), out["title_data"].astype("string").fillna("").astype(str),
                            out["title"])
    for c in ("wave", "decision", "categorie"):
        out[c] = out[c].astype("string").fillna("").astype(str)
    out["retained"] = out["in_data"] & out["decision"].eq("retenue")
    wl = out["wave"].map(lambda w: wave_label(params, w) if w else "")
    out["devenir"] = np.select(
        [~out["in_data"], out["decision"].eq("retenue"), out["decision"].eq("ecartee")],
        ["absente des opérations analysées", "retenue (" + wl + ")", "écartée (" + wl + ")"],
        default="non examinée (" + wl + ")")
    out = out.sort_values(["in_data", "wave", "op_id"], ascending=[False, False, True],
                          kind="stable").reset_index(drop=True)
    return out[["op_id", "title", "in_data", "wave", "decision", "retained", "categorie", "devenir"]]


def display_lot5(l5: pd.DataFrame) -> tuple[pd.DataFrame, Formats]:
    cols = {"op_id": "N° opération", "title": "Intitulé", "devenir": "Devenir dans la présente note"}
    return l5[list(cols)].rename(columns=cols), {}


# --------------------------------------------------------------------------------------------
# survey of managing bodies


def normalise(values: pd.Series) -> pd.Series:
    """Normalised text as the keyword rules expect (isnote.textsearch.normalise when available)."""
    try:
        from .textsearch import normalise as ts_normalise  # type: ignore[attr-defined]
    except ImportError:
        return _normalise_fallback(values)
    return pd.Series(ts_normalise(values), index=values.index).astype("string").fillna("").astype(str)


def _normalise_fallback(values: pd.Series) -> pd.Series:
    s = values.astype("string").fillna("").str.lower()
    s = s.str.replace("œ", "oe", regex=False).str.replace("æ", "ae", regex=False)
    s = s.map(lambda t: "".join(ch for ch in unicodedata.normalize("NFKD", t) if not unicodedata.combining(ch)),
              na_action="ignore")
    s = s.str.replace(r"[’'`´‘\-‐‑–—]", " ", regex=True)
    s = s.str.replace(r"[^\w\s]", " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    return s.astype(str)


def _survey_source(survey: pd.DataFrame) -> str:
    return survey.attrs.get("source", "survey.parquet")


def _survey_clean(survey: pd.DataFrame) -> pd.DataFrame:
    needed = ["respondent_id", "body_type", "answer"]
    missing = [c for c in needed if c not in survey.columns]
    if missing:
        raise InputError(_survey_source(survey), f"colonne(s) absente(s) : {', '.join(missing)}",
                         expected="respondent_id, respondent, body_type, answer, observations")
    s = survey.copy()
    s["answer"] = s["answer"].astype("string").fillna("").str.strip().str.lower().astype(str)
    s["body_type"] = s["body_type"].astype("string").fillna("").str.strip().astype(str)
    bad = ~s["answer"].isin(ANSWERS)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(_survey_source(survey), "réponse inattendue", row=i + 2, column="answer",
                         value=s["answer"].iloc[i], expected="oui, non ou nsp", more=int(bad.sum()) - 1)
    return s


def survey_groups(params: Params) -> dict[str, list[str]]:
    groups = params.get("survey_groups")
    return {str(k): [str(x) for x in v] for k, v in (groups if groups is not None else DEFAULT_SURVEY_GROUPS).items()}


def survey_by_type(survey: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Answers per body type: counts and shares, then group rows (e.g. PLIE), then the total.

    Columns: body_type, kind (type/group/total), n, n_oui, n_non, n_nsp, share_oui, share_non,
    share_nsp. Types follow params `survey_type_order` (default DEFAULT_SURVEY_TYPE_ORDER), then
    any other type in alphabetical order.
    """
    s = _survey_clean(survey)
    counts = pd.crosstab(s["body_type"], s["answer"]).reindex(columns=list(ANSWERS), fill_value=0)
    order = [str(t) for t in _param(params, "survey_type_order", DEFAULT_SURVEY_TYPE_ORDER)]
    types = [t for t in order if t in counts.index] + sorted(set(counts.index) - set(order))
    counts = counts.reindex(types)
    frames = [counts.assign(kind="type")]
    for name, members in survey_groups(params).items():
        sub = counts.reindex([m for m in members if m in counts.index])
        frames.append(pd.DataFrame([sub.sum()], index=[name]).assign(kind="group"))
    frames.append(pd.DataFrame([counts.sum()], index=["Ensemble"]).assign(kind="total"))
    out = pd.concat(frames)
    out.index.name = "body_type"
    out = out.reset_index().rename(columns={a: f"n_{a}" for a in ANSWERS})
    for a in ANSWERS:
        out[f"n_{a}"] = out[f"n_{a}"].astype("int64")
    out["n"] = out[[f"n_{a}" for a in ANSWERS]].sum(axis=1)
    for a in ANSWERS:
        out[f"share_{a}"] = _frac(out[f"n_{a}"], out["n"]).to_numpy()
    return out[["body_type", "kind", "n"] + [f"n_{a}" for a in ANSWERS] + [f"share_{a}" for a in ANSWERS]]


def display_survey_by_type(sb: pd.DataFrame) -> tuple[pd.DataFrame, Formats]:
    df = sb.copy()
    df["Type de gestionnaire"] = np.where(df["kind"].eq("group"), df["body_type"] + " (ensemble)", df["body_type"])
    cols = {"Type de gestionnaire": "Type de gestionnaire", "n": "Répondants"}
    formats: Formats = {"Répondants": fmt_int}
    for a in ANSWERS:
        cols[f"n_{a}"] = f"{ANSWER_LABELS[a]} (nb)"
        cols[f"share_{a}"] = f"{ANSWER_LABELS[a]} (%)"
        formats[f"{ANSWER_LABELS[a]} (nb)"] = fmt_int
        formats[f"{ANSWER_LABELS[a]} (%)"] = lambda v: fmt_pct(v, 0)
    return df[list(cols)].rename(columns=cols), formats


def _theme_spec(params: Params) -> list[tuple[str, str, str]]:
    spec = cached_yaml(params, "survey_themes") or {}
    themes = spec.get("themes") or {}
    order = [t for t in (spec.get("order") or list(themes)) if t in themes]
    order += [t for t in themes if t not in order]
    return [(k, str(themes[k].get("label", k)), str(themes[k].get("pattern", ""))) for k in order]


def _theme_regex(params: Params, key: str, pattern: str) -> str:
    """Whole-word pattern (normalised text is [a-z0-9] words and single spaces, so \\b is a word edge)."""
    regex = rf"\b(?:{pattern})\b"
    try:
        re.compile(regex)
    except re.error as exc:
        raise InputError(params.path("survey_themes"), f"expression du thème {key!r} invalide ({exc})",
                         column=key, value=pattern) from None
    return regex


def survey_observations(survey: pd.DataFrame, params: Params) -> pd.DataFrame:
    """One row per respondent with a non-empty observation, with a bool column per theme."""
    s = _survey_clean(survey)
    obs = s["observations"] if "observations" in s.columns else pd.Series("", index=s.index)
    obs = obs.astype("string").fillna("").str.strip().astype(str)
    sel = s.loc[obs.ne(""), [c for c in ("respondent_id", "respondent", "body_type") if c in s.columns]].copy()
    sel["observations"] = obs[obs.ne("")]
    norm = normalise(sel["observations"])
    for key, _label, pattern in _theme_spec(params):
        sel[f"theme_{key}"] = (norm.str.contains(_theme_regex(params, key, pattern), regex=True).fillna(False)
                               .astype(bool) if pattern else False)
    return sel.reset_index(drop=True)


def survey_themes(survey: pd.DataFrame, params: Params, obs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per theme of params/survey_themes.yaml: respondents whose observation matches (themes overlap).

    Columns: theme, label, n_respondents, share_of_observations. `obs`: survey_observations(survey,
    params) when the caller has it already.
    """
    obs = survey_observations(survey, params) if obs is None else obs
    rows = [{"theme": k, "label": lab, "n_respondents": int(obs[f"theme_{k}"].sum())} for k, lab, _ in _theme_spec(params)]
    out = pd.DataFrame(rows, columns=["theme", "label", "n_respondents"])
    out["share_of_observations"] = _frac(out["n_respondents"], len(obs)).to_numpy() if len(out) else []
    return out


def display_survey_themes(st: pd.DataFrame) -> tuple[pd.DataFrame, Formats]:
    cols = {"label": "Thème des observations", "n_respondents": "Structures", "share_of_observations": "Part"}
    return st[list(cols)].rename(columns=cols), {"Structures": fmt_int, "Part": lambda v: fmt_pct(v, 0)}


# --------------------------------------------------------------------------------------------
# key figures


def key_figures_retained(retained: pd.DataFrame, params: Params, programme: str, detail: bool = True) -> dict:
    """Block `retained` part for one programme (amounts in M€, unrounded).

    detail=True (FSE): per wave, per OS code {n_ops, ct} (+ ue, participants for the OS of the
    detail axes), per axis `axe<N>` and `total` {n_ops, ct, ue, participants,
    ops_with_participants}; cumulative.total. detail=False (IEJ): per wave and cumulative,
    `total` {n_ops, ue, ct}.
    """
    frame = _sum_inputs(retained)
    frame = frame.loc[frame["programme"].eq(programme)]
    periods = {w: [w] for w in cumulative_waves(params)}
    periods[CUMULATIVE] = cumulative_waves(params)
    os_axis = _os_axis(params, programme)
    detail_axes = _detail_axes(params)
    shown = _select(frame, programme, sorted({w for ws in _groups(params).values() for w in ws}))
    codes = _os_order(params, programme, shown["os"].astype(str))

    def leaf(row, fields):
        vals = {"n_ops": int(row["n_ops"]), "ct": float(row["ct"]) / 1e6, "ue": float(row["ue"]) / 1e6,
                "participants": int(row["participants"]), "ops_with_participants": int(row["with_participants"])}
        return {f: vals[f] for f in fields}

    full = ["n_ops", "ct", "ue", "participants", "ops_with_participants"]
    block: dict = {}
    for name, waves in periods.items():
        sub = frame.loc[frame["wave"].isin(waves)]
        only_total = not detail or name == CUMULATIVE      # the axis and OS sums are not read then
        s = _keyed_sums(sub, detail_os=not only_total).reindex(
            ["total"] + [f"axe:{a}" for a in programme_axes(params, programme)] + [f"os:{c}" for c in codes]
        ).fillna(0)
        # plain rows (a dict per key) rather than a Series per `.loc`; `.loc` if keys repeat
        rows = s.to_dict("index") if s.index.is_unique else s.loc
        if not detail:
            block[name] = {"total": leaf(rows["total"], ["n_ops", "ue", "ct"])}
            continue
        if name == CUMULATIVE:
            block[name] = {"total": leaf(rows["total"], ["n_ops", "ct", "ue", "participants"])}
            continue
        node = {"total": leaf(rows["total"], full)}
        for a in programme_axes(params, programme):
            node[f"axe{a}"] = leaf(rows[f"axe:{a}"], full)
        for c in codes:
            fields = ["n_ops", "ct", "ue", "participants"] if os_axis.get(c) in detail_axes else ["n_ops", "ct"]
            node[c] = leaf(rows[f"os:{c}"], fields)
        block[name] = node
    return {programme: block}


def key_figures_survey(survey: pd.DataFrame, params: Params, *, sb: pd.DataFrame | None = None,
                       st: pd.DataFrame | None = None, obs: pd.DataFrame | None = None) -> dict:
    """Block `survey`: respondents, shares, by_type (+ groups), with_observations, vague_definition, themes.
    `sb`, `st`, `obs`: survey_by_type, survey_themes, survey_observations of the same survey, when
    the caller has them already."""
    sb = survey_by_type(survey, params) if sb is None else sb
    obs = survey_observations(survey, params) if obs is None else obs
    st = survey_themes(survey, params, obs=obs) if st is None else st
    total = sb.loc[sb["kind"].eq("total")].iloc[0]
    shares = {a: float(total[f"share_{a}"]) for a in ANSWERS}
    rows = sb.loc[sb["kind"].isin(["type", "group"])].set_index("body_type")
    by_type = rows[[f"share_{a}" for a in ANSWERS]].set_axis(list(ANSWERS), axis=1).to_dict("index")
    counts = rows[["n"] + [f"n_{a}" for a in ANSWERS]].set_axis(["n", *ANSWERS], axis=1).to_dict("index")
    themes = dict(zip(st["theme"].astype(str), st["n_respondents"].astype(int)))
    definition = str(_param(params, "survey_definition_theme", DEFAULT_DEFINITION_THEME))
    return {"respondents": int(total["n"]), "shares": shares, "by_type": by_type, "counts": counts,
            "with_observations": int(len(obs)), "vague_definition": int(themes.get(definition, 0)),
            "themes": themes}


def key_figures_regions(reg: pd.DataFrame, params: Params, programme: str = "fse") -> dict:
    """Extra block `regions`: the best-represented regions of the wave."""
    wave = str(reg["wave"].iloc[0]) if len(reg) else params["current_wave"]
    return {programme: {wave: {"well_represented": well_represented(reg),
                               "min_retained": int(_param(params, "regions_min_retained", DEFAULT_REGIONS_MIN_RETAINED))}}}


# --------------------------------------------------------------------------------------------
# notebook helpers

def read_clean(layout, name: str, step: str = "01_ingest") -> pd.DataFrame:
    """Read `<out>/clean/<name>.parquet`; a missing file is an InputError naming the step to run."""
    path = layout.clean / f"{name}.parquet"
    if not path.exists():
        raise InputError(path, "table propre introuvable", expected=f"exécuter d'abord l'étape {step}")
    from . import readcache      # the typology step and the IEJ results read the same tables
    df = readcache.read(path, lambda: pd.read_parquet(path))
    df.attrs["source"] = str(path)
    return df


def programme_short(params: Params, programme: str) -> str:
    """Short name of a programme in titles (see isnote.readertext.programme_short)."""
    from .readertext import programme_short as _short
    return _short(params, programme)


def source_line(params: Params, kind: str = "operations", programme: str | None = None) -> str:
    """The source line under a table, naming the data (see isnote.readertext.source_line)."""
    from .readertext import source_line as _source_line
    return _source_line(params, kind, programme)

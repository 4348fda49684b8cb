"""Helpers for the published lists of operations (national list 2014-2020, list 2021-2027).

- value transforms a mapping rule may name with `transform:` (vectorised, on string Series):
  `html` (HTML entities decoded once: `&#8211;` -> `–`), `region_list` (`24/Centre-Val de Loire`,
  ` | 28/Normandie`, `REG/93/Provence-Alpes-Côte d'Azur | PAYS/France` -> region name(s)),
  `eso_code` (`ESO4.01`, `4.1`, `eso 4.1` -> `ESO4.1`), `category_code` / `category_label`
  (`138 - Soutien à l'économie sociale` -> `138` / `Soutien à l'économie sociale`), `code_label`
  (`ESO4.7 Promouvoir ...` -> `Promouvoir ...`);
- the `perimeter` key-figure block: what defines the waves, which text fields were screened,
  why operations were set aside (by reason, with their names), the date range the data covers.
"""

from __future__ import annotations

import html
import re

import pandas as pd

# Several regions in one cell: kept as one value (the detail stays in the source file).
SEVERAL_REGIONS = "plusieurs régions"
# Region neither in the region column nor in the zone column (never defaulted to a fixed region).
REGION_UNKNOWN = "non renseignée"


def html_unescape(s: pd.Series) -> pd.Series:
    """Decode HTML entities (`&#8211;`, `&amp;`) once; values without `&` are left untouched."""
    s = s.astype("str")
    hit = s.str.contains("&", regex=False).fillna(False).astype(bool)
    if not hit.any():
        return s
    return s.mask(hit, s[hit].map(html.unescape))


_REGION_ITEM = r"(?:^|\|)\s*(?:REG/)?(?:\d{1,3}/)?([^|/]+?)\s*(?=\||$)"


def region_list(s: pd.Series) -> pd.Series:
    """Region name(s) of `NN/Name | NN/Name` or `REG/NN/Name | COMM/... | PAYS/...` values.

    Items of another kind (COMM/, DEPT/, ARRDT/, PAYS/...) are ignored; a value naming one region
    gives its name, several distinct regions give « plusieurs régions », none gives NA.
    """
    s = s.astype("str")
    items = s.str.split("|", regex=False).explode()
    items = items.str.strip()
    items = items[items.notna() & (items != "")]
    other_kind = items.str.match(r"^(?!REG/)[A-Z]+/").fillna(False).astype(bool)
    items = items[~other_kind]
    names = items.str.replace(r"^(?:REG/)?(?:\d{1,3}/)?", "", regex=True).str.strip()
    names = names[names.notna() & (names != "")]
    if names.empty:
        return pd.Series(pd.NA, index=s.index, dtype="str")
    distinct = names.groupby(level=0).nunique()
    first = names.groupby(level=0).first()
    out = pd.Series(pd.NA, index=s.index, dtype="str")
    out.loc[first.index] = first.where(distinct.loc[first.index] == 1, SEVERAL_REGIONS).astype("str")
    return out


def eso_code(s: pd.Series) -> pd.Series:
    """FSE+ specific objective codes in one spelling: `ESO4.01`, `4.1`, `ESO 4.1` -> `ESO4.1`.
    Values that are not an ESO code (e.g. ERDF `RSO1.3`) are kept as written."""
    s = s.astype("str")
    m = s.str.extract(r"^\s*(?:ESO)?\s*4\s*[.,]\s*0*(\d{1,2})\s*$", flags=re.IGNORECASE, expand=False)
    return ("ESO4." + m).where(m.notna(), s).astype("str")


def category_code(s: pd.Series) -> pd.Series:
    """`138 - Soutien à ...` -> `138` (the first code when several are listed)."""
    return s.astype("str").str.extract(r"^\s*(\d{1,3})\b", expand=False).astype("str")


def category_label(s: pd.Series) -> pd.Series:
    """`138 - Soutien à l'économie sociale` -> `Soutien à l'économie sociale` (non-breaking spaces
    made ordinary)."""
    t = s.astype("str").str.replace("\u00a0", " ", regex=False)
    label = t.str.replace(r"^\s*\d{1,3}\s*[-–:]\s*", "", regex=True).str.strip()
    return label.where(label != "").astype("str")


def code_label(s: pd.Series) -> pd.Series:
    """`ESO4.7 Promouvoir ...` -> `Promouvoir ...` (label of a `code + label` cell)."""
    t = s.astype("str").str.replace("\u00a0", " ", regex=False)
    label = t.str.replace(r"^\s*[A-Z]{0,4}\s*\d+(?:[.,]\d+)*(?:[-.][A-Z]+)?\s*[-–:]?\s*", "", regex=True).str.strip()
    return label.where(label != "").astype("str")


def spaces(s: pd.Series) -> pd.Series:
    """Non-breaking and repeated spaces made one ordinary space."""
    return s.astype("str").str.replace(r"[\s\u00a0]+", " ", regex=True).str.strip()


TRANSFORMS = {
    "html": html_unescape,
    "spaces": spaces,
    "region_list": region_list,
    "eso_code": eso_code,
    "category_code": category_code,
    "category_label": category_label,
    "code_label": code_label,
}


# ----------------------------------------------------------------------------------- waves date

WAVE_DATES = {
    "programming_date": "date de programmation",
    "start_date": "date de début de l'opération",
    "agreement_date": "date de première convention",
}
DEFAULT_WAVE_DATE = "programming_date"


def wave_date(params) -> str:
    """The isnote column whose dates define the waves (parameter `wave_date`)."""
    from .errors import InputError
    key = str(params.get("wave_date") or DEFAULT_WAVE_DATE)
    if key not in WAVE_DATES:
        raise InputError(getattr(params, "source", "paramètres"), "wave_date inconnue", column="wave_date",
                         value=key, expected=" ou ".join(WAVE_DATES))
    return key


# ----------------------------------------------------------------------------------- react-eu

REACT_MODES = ("apart", "include")


def react_eu(params, nomenclature: dict) -> tuple[str, dict[str, set[str]]]:
    """(`react_eu` mode, REACT-EU axes per programme from the nomenclature's `react_eu_axes`)."""
    from .errors import InputError
    mode = str(params.get("react_eu") or "apart")
    if mode not in REACT_MODES:
        raise InputError(getattr(params, "source", "paramètres"), "valeur de react_eu inconnue", column="react_eu",
                         value=mode, expected=" ou ".join(REACT_MODES))
    axes = {str(p): {str(a) for a in (v.get("react_eu_axes") or [])}
            for p, v in (nomenclature or {}).items() if isinstance(v, dict)}
    return mode, axes


# ----------------------------------------------------------------------------------- perimeter

def _range(dates: pd.Series) -> dict:
    d = pd.to_datetime(dates).dropna()
    if d.empty:
        return {"min": None, "max": None, "n_dated": 0}
    return {"min": d.min().date().isoformat(), "max": d.max().date().isoformat(), "n_dated": int(len(d))}


def _block(g: pd.DataFrame) -> dict:
    return {"n_ops": int(len(g)), "ue": float(g["ue"].sum()) / 1e6, "ct": float(g["ct"].sum()) / 1e6}


def perimeter(ops: pd.DataFrame, params, nomenclature: dict | None = None) -> dict:
    """Key-figure block `perimeter` from every operation read (`_reason` set by the exclusions):
    the date that defines the waves, the text fields screened (those filled in the data), the
    exclusions by reason, the programmes present and their names in the data, the REACT-EU mode,
    and the range of wave dates of the operations that could be analysed (all but those excluded
    for another reason than the windows)."""
    from .screening import FIELD_LABELS, TEXT_FIELDS
    from .validate import REASON_WINDOW
    col = wave_date(params)
    reason = ops["_reason"]
    scope = reason.isna()
    exclusions = {str(r): _block(g) for r, g in ops.loc[reason.notna()].groupby("_reason", sort=True)}
    fields = [f for f in TEXT_FIELDS if f in ops and ops.loc[scope, f].notna().any()]
    names: dict = {}
    if "programme_name" in ops:
        sel = ops.loc[scope & ops["programme_name"].notna()]
        for prog, g in sel.groupby("programme", sort=True):
            vc = g["programme_name"].value_counts()
            names[str(prog)] = {str(k): int(v) for k, v in sorted(vc.items(), key=lambda kv: (-kv[1], kv[0]))}
    mode, react_axes = react_eu(params, nomenclature or {})
    analysable = scope | (reason == REASON_WINDOW)
    return {
        "wave_date": col,
        "wave_date_label": WAVE_DATES[col],
        "text_fields": fields,
        "text_field_labels": [FIELD_LABELS.get(f, f) for f in fields],
        "exclusions": exclusions,
        "programmes_present": sorted(str(p) for p in ops.loc[scope, "programme"].dropna().unique()),
        "programme_names": names,
        "react_eu": mode,
        "react_eu_axes": {p: sorted(a) for p, a in react_axes.items() if a},
        "data_range": _range(ops.loc[analysable, col]),
    }

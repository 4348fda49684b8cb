"""Formula neutralisation: the one owner of how text that a spreadsheet would run is made inert.

A text cell beginning with =, +, - or @ is written with a leading apostrophe (`'=...`), so
that a spreadsheet opening the file shows it as text; reading a file we wrote takes the
apostrophe off again (`unneutralise`). Numbers, booleans and dates are never touched.
"""

from __future__ import annotations

import re

import pandas as pd

DANGEROUS = ("=", "+", "-", "@")
QUOTE = "'"
_DANGEROUS_START = re.compile(r"\n[=+\-@]")      # in a column's cells joined by line feeds


def neutralise_text(value: str) -> str:
    """'=1+1' -> "'=1+1"; any other text unchanged."""
    return QUOTE + value if value.startswith(DANGEROUS) else value


def unneutralise_text(value: str) -> str:
    """"'=1+1" -> '=1+1' (the apostrophe we added); any other text unchanged."""
    return value[1:] if len(value) > 1 and value[0] == QUOTE and value[1] in DANGEROUS else value


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix with `'` the text cells that begin with =, +, - or @ (formula injection)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if pd.api.types.is_datetime64_any_dtype(s):
            continue
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind == "string":                      # all text: vectorised
            if not _DANGEROUS_START.search("\n" + "\n".join(s.dropna().tolist())):
                continue                          # no cell begins with one (one search over the column)
            text = s.astype("string")
        elif kind in ("mixed", "mixed-integer", "mixed-integer-float"):   # rare: text among numbers
            is_text = s.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
            text = s.where(is_text).astype("string")
        else:
            continue
        bad = text.str.startswith(DANGEROUS).fillna(False).astype(bool)
        if bad.any():
            out[col] = s.astype(object).where(~bad, QUOTE + text.astype(object).where(bad, ""))
    return out


def unneutralise(s: pd.Series) -> pd.Series:
    """A text column read back from a file we wrote: the apostrophe put before a formula-like
    value comes off (`'=...` -> `=...`)."""
    quoted = s.str.match(r"'[=+\-@]").fillna(False).astype(bool)
    return s.mask(quoted, s.str.slice(1)) if quoted.any() else s

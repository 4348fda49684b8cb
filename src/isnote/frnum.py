"""French numbers: reading them from extracts and writing them in the note.

Reading is vectorised over a pandas Series of strings. Writing follows French typography:
decimal comma, narrow no-break space (U+202F) between thousands, no-break space (U+00A0)
before units ("38,2 M€", "1,6 %", "6 646 opérations").
"""

from __future__ import annotations

import math

from typing import TYPE_CHECKING

if TYPE_CHECKING:          # numpy/pandas are imported where numbers are parsed, not by every importer
    import numpy as np
    import pandas as pd

NNBSP = "\u202f"   # narrow no-break space: thousands separator
NBSP = "\u00a0"    # no-break space: before units and signs

_SPACES = "[\u00a0\u202f\u2009\u2007 \t]"


def parse_fr_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse French-formatted numbers ("12 345,67", "1234.5", "12 345,67 €").

    Returns (numbers, invalid, corrected): `numbers` is float64 (NaN where empty or invalid),
    `invalid` flags non-empty cells that are not numbers, `corrected` flags cells that needed a
    recoverable fix (spaces or non-breaking spaces as thousands separators, a euro sign,
    surrounding spaces). Empty cells are neither invalid nor corrected.
    """
    s = values.astype("string")
    stripped = s.str.strip()
    empty = stripped.isna() | (stripped == "")
    clean = stripped.str.replace(_SPACES, "", regex=True).str.replace("€", "", regex=False)
    clean = clean.str.replace("EUR", "", regex=False)
    # decimal comma -> point (a point alone is accepted as decimal point)
    clean = clean.str.replace(",", ".", regex=False)
    ok = clean.str.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)").fillna(False)
    import pandas as pd

    numbers = pd.to_numeric(clean.where(ok), errors="coerce").astype("float64")
    invalid = (~empty) & (~ok)
    plain = stripped.str.fullmatch(r"[+-]?\d+(?:[.,]\d*)?").fillna(False)
    corrected = ok & ~plain
    return numbers, invalid.astype(bool), corrected.astype(bool)


def fmt_int(x: float | int) -> str:
    """6646 -> '6 646' (narrow no-break space)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{int(round(x)):,}".replace(",", NNBSP)


def fmt_num(x: float, decimals: int = 1) -> str:
    """1704.04 -> '1 704,0'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = f"{float(x):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", NNBSP)


def fmt_meur(x_meur: float, decimals: int = 1) -> str:
    """Amount already in M€ -> '38,2 M€'."""
    return f"{fmt_num(x_meur, decimals)}{NBSP}M€"


def fmt_eur(x: float, decimals: int = 2) -> str:
    """Amount in euros -> '238 778,48 €'."""
    return f"{fmt_num(x, decimals)}{NBSP}€"


def fmt_pct(fraction: float, decimals: int = 1) -> str:
    """0.0159 -> '1,6 %'."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "–"
    return f"{fmt_num(100.0 * fraction, decimals)}{NBSP}%"


def round_half_up(x: float, decimals: int = 1) -> float:
    """Round like a person does, halves away from zero (0.25 -> 0.3, -0.25 -> -0.3), not like
    binary floats or banker's rounding."""
    factor = 10 ** decimals
    r = math.floor(abs(x) * factor + 0.5 + 1e-9) / factor
    return math.copysign(r, x) if r else 0.0         # never "-0,0"


def to_meur(euros) -> float | np.ndarray:
    import numpy as np

    return np.asarray(euros, dtype="float64") / 1e6 if not np.isscalar(euros) else float(euros) / 1e6


# Kinds of recoverable fixes reported by parse_fr_numbers_detail (French labels: they end up
# in the data-quality table).
FIX_THOUSANDS_SPACE = "espace comme séparateur de milliers"
FIX_NBSP = "espace insécable dans un nombre"
FIX_EURO = "symbole € ou EUR retiré d'un montant"


def parse_fr_numbers_detail(values: pd.Series) -> tuple[pd.Series, pd.Series, dict[str, pd.Series]]:
    """Like parse_fr_numbers, but says which recoverable fix each cell needed.

    Returns (numbers, invalid, fixes) where `fixes` maps a French label (FIX_*) to a boolean
    Series flagging the valid cells that needed that fix. Surrounding spaces are not counted
    here (the readers count them for every cell, numbers or not).
    """
    numbers, invalid, _ = parse_fr_numbers(values)
    s = values.astype("string").str.strip()
    valid = numbers.notna()
    fixes = {
        FIX_THOUSANDS_SPACE: (valid & s.str.contains(r"\d[ \t]\d", regex=True).fillna(False)).astype(bool),
        FIX_NBSP: (valid & s.str.contains("[\u00a0\u202f\u2009\u2007]", regex=True).fillna(False)).astype(bool),
        FIX_EURO: (valid & s.str.contains("€|EUR", regex=True).fillna(False)).astype(bool),
    }
    return numbers, invalid, fixes

"""Capture–recapture estimate of the number of social-innovation operations of a wave.

Two sources find retained operations independently of each other: the text screening
(pre-identification by keywords, codes or the beneficiary's name) and the survey of managing
bodies (operation numbers named in the answers). With n1 retained operations found by the
screening, n2 found by the survey and m found by both, Chapman's estimator of the total is

    N = (n1 + 1)(n2 + 1) / (m + 1) - 1

with variance (Seber 1970, Wittes 1972)

    Var(N) = (n1 + 1)(n2 + 1)(n1 - m)(n2 - m) / ((m + 1)^2 (m + 2)).

The 95 % interval is the log-normal one of Chao (1987) on the number never found
f0 = N - r (r = n1 + n2 - m, the operations found by at least one source):

    C = exp(1.96 * sqrt(ln(1 + Var(N) / f0^2))),   [r + f0 / C, r + f0 * C]

which never falls below r (a normal interval N ± 1.96 sqrt(Var) may); when f0 = 0 the interval
is [r, r + 1.96 sqrt(Var)]. The operations the screening may have missed are N - n1.

Assumptions (stated in the note): the wave is a closed population; the two sources are
independent (being named in the survey does not depend on the operation's wording); every
operation has the same chance of being found by a source; the decision that an operation is
social innovation is the same whichever source brought it. Positive dependence between the
sources (the same salient projects found by both) makes N too small.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

Z95 = 1.959963984540054


def chapman(n1: int, n2: int, m: int) -> dict:
    """Chapman estimate, its variance and the 95 % log-normal interval (see module docstring)."""
    n1, n2, m = int(n1), int(n2), int(m)
    if min(n1, n2, m) < 0 or m > min(n1, n2):
        raise ValueError("need 0 <= m <= min(n1, n2)")
    n_hat = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    r = n1 + n2 - m
    f0 = n_hat - r
    if f0 > 0 and var > 0:
        c = math.exp(Z95 * math.sqrt(math.log(1 + var / f0 ** 2)))
        low, high = r + f0 / c, r + f0 * c
    else:
        low, high = float(r), r + Z95 * math.sqrt(var)
    return {"n1": n1, "n2": n2, "m": m, "found": r, "estimate": n_hat, "variance": var,
            "low": low, "high": high, "missed_by_screening": n_hat - n1, "missed_by_both": n_hat - r}


def estimate(candidates: pd.DataFrame, register_status: pd.Series, operations: pd.DataFrame,
             survey_available: bool, programmes=("fse",)) -> dict:
    """The `capture` key-figures block for the current wave.

    `register_status`: the decision of each row of `operations` (current wave) in the register;
    the sources are the candidates' `preidentified` (screening) and `src_survey` (survey) flags.
    Without a survey (or when it names no retained operation) the estimate is not made:
    `available` is false and `reason` says why.
    """
    ops = operations.reset_index(drop=True)
    key = ops["programme"].astype(str) + "|" + ops["op_id"].astype(str)
    cand = candidates.assign(_k=candidates["programme"].astype(str) + "|" + candidates["op_id"].astype(str))

    def flag(col: str) -> np.ndarray:
        if col not in cand.columns:
            return np.zeros(len(ops), dtype=bool)
        return key.isin(cand.loc[cand[col].fillna(False).astype(bool), "_k"]).to_numpy()

    retained = register_status.reset_index(drop=True).eq("retenue").to_numpy()
    in_scope = ops["programme"].astype(str).isin(list(programmes)).to_numpy()
    scr = flag("preidentified") & retained & in_scope
    sur = flag("src_survey") & retained & in_scope
    n1, n2, m = int(scr.sum()), int(sur.sum()), int((scr & sur).sum())
    block: dict = {"programmes": list(programmes), "retained": int((retained & in_scope).sum()), "confidence": 0.95}
    if not survey_available:
        block.update({"available": False, "reason": "sans enquête"})
        return block
    if n2 == 0 or n1 == 0:
        block.update({"available": False, "reason": "une source ne trouve aucune opération retenue",
                      "n1": n1, "n2": n2, "m": m})
        return block
    res = chapman(n1, n2, m)
    block.update({"available": True, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in res.items()}})
    block["share_found_by_screening"] = round(n1 / res["estimate"], 6) if res["estimate"] else None
    return block


def for_wave(candidates: pd.DataFrame, operations: pd.DataFrame, register: pd.DataFrame | None, params: Mapping,
             survey: pd.DataFrame | None) -> dict:
    """The `capture` block for the current wave of `params` (PON FSE: the survey concerns its
    managing bodies), from the candidates, the clean operations, the register and the survey."""
    from .screening import _register_status

    cw = str(params["current_wave"])
    cur = operations[["op_id", "programme", "wave"]]             # the keys only, not the texts
    cur = cur[cur["wave"].astype(str) == cw].reset_index(drop=True)
    cur = cur.assign(op_id=cur["op_id"].astype(str).str.strip(), programme=cur["programme"].astype(str))
    status = _register_status(cur, register)
    available = survey is not None and len(survey) > 0
    block = estimate(candidates, status, cur, available, programmes=("fse",))
    block["wave"] = cw
    return block

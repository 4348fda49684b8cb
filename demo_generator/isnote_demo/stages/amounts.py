"""Amounts: total cost and EU amount of every operation, to the cent of the calibration targets.
"""

from __future__ import annotations

import math

import numpy as np

from .. import alloc
from ..banks import geo
from ..constants import CATS
from ..state import GenerationError, Op, State, cents


def amounts(st: State) -> None:
    rng = st.rng
    cal = st.spec.cal
    for wave in ("2019", "2017"):
        _retained_ct_fse(st, wave)
        _retained_ue_fse(st, wave)
    for wave in ("2019", "2017"):
        ret = [o for o in st.ops if o.programme == "iej" and o.wave == wave and o.kind == "scope" and o.retained]
        tgt = cal["retained"]["iej"][wave]
        _split_ct(st, ret, cents(tgt["ct"]), sigma=0.5, minimum=15_000_00)
        _split_ue(st, ret, cents(tgt["ue"]), base=0.91, sd=0.025, hi=0.97)
    # non-retained operations, per group
    for wave in ("2019", "2017"):
        groups = st.spec.fse_groups(wave)
        for os_, g in groups.items():
            ops = [o for o in st.ops if o.programme == "fse" and o.kind == "scope" and o.wave == wave and o.os == os_]
            ret = [o for o in ops if o.retained]
            rest = [o for o in ops if not o.retained]
            ct_left = cents(g["ct"]) - sum(o.ct for o in ret)
            ue_left = cents(g["ue"]) - sum(o.ue for o in ret)
            sigma = 1.15 if g["axe"] == "2" else 0.95
            _split_ct(st, rest, ct_left, sigma=sigma, minimum=3_000_00)
            base = np.array([0.5 if o.region == geo.national else geo.regions[o.region]["rate"] for o in rest])
            _split_ue(st, rest, ue_left, base=base, sd=0.06, hi=0.85)
        tot = cal["programme_totals"]["iej"][wave]
        ops = [o for o in st.ops if o.programme == "iej" and o.kind == "scope" and o.wave == wave]
        rest = [o for o in ops if not o.retained]
        _split_ct(st, rest, cents(tot["ct"]) - sum(o.ct for o in ops if o.retained), sigma=0.9, minimum=8_000_00)
        _split_ue(st, rest, cents(tot["ue"]) - sum(o.ue for o in ops if o.retained), base=0.91, sd=0.025, hi=0.97)
    # excluded operations: plausible amounts, no target
    for o in st.ops:
        if o.kind in ("ta", "after"):
            o.ct = int(round(float(rng.lognormal(math.log(180_000), 0.8)) * 100))
            rate = 0.91 if o.programme == "iej" else float(np.clip(rng.normal(0.5, 0.05), 0.35, 0.6))
            o.ue = int(o.ct * rate)


def _free_and_left(ops: list[Op], amount: str, total: int, what: str) -> tuple[list[Op], int]:
    """The operations whose `amount` ("ct" or "ue") is still to draw, and what is left of `total`
    once the fixed ones are counted; fixed amounts alone must reach the total exactly."""
    free = [o for o in ops if not getattr(o, f"{amount}_fixed")]
    left = total - sum(getattr(o, amount) for o in ops if getattr(o, f"{amount}_fixed"))
    if not free and left:
        raise GenerationError(f"fixed {what} do not add up to the target")
    return free, left


def _split_ct(st: State, ops: list[Op], total: int, sigma: float, minimum: int) -> None:
    free, left = _free_and_left(ops, "ct", total, "amounts")
    if not free:
        return
    w = st.rng.lognormal(0.0, sigma, len(free))
    w *= np.array([3.0 if o.region == geo.national else 1.0 for o in free])
    cap = min(12_000_000_00 / max(left, 1), 10.0 / len(free))
    w = alloc.cap_weights(w, cap)
    capped = w >= cap * 0.999
    w[capped] *= st.rng.uniform(0.6, 1.0, int(capped.sum()))
    parts = alloc.largest_remainder(left, w, minimum)
    for o, c in zip(free, parts):
        o.ct = int(c)


def _split_ue(st: State, ops: list[Op], total: int, base, sd: float, hi: float) -> None:
    free, left = _free_and_left(ops, "ue", total, "EU amounts")
    if not free:
        return
    base = np.broadcast_to(np.asarray(base, dtype="float64"), (len(ops),))
    base = np.array([b for o, b in zip(ops, base) if not o.ue_fixed])
    ct = np.array([o.ct for o in free], dtype="float64")
    rate = np.clip(base + st.rng.normal(0, sd, len(free)), 0.2, hi)
    for _ in range(50):
        s = left / float((ct * rate).sum())
        rate = np.clip(rate * s, 0.05, hi)
        if abs(float((ct * rate).sum()) - left) < 1:
            break
    raw = ct * rate
    parts = np.floor(raw).astype("int64")
    rem = int(left - parts.sum())
    order = np.argsort(-(raw - parts), kind="stable")
    i = 0
    while rem > 0:
        j = order[i % len(order)]
        if parts[j] < ct[j]:
            parts[j] += 1
            rem -= 1
        i += 1
    while rem < 0:
        j = order[i % len(order)]
        if parts[j] > 0:
            parts[j] -= 1
            rem += 1
        i += 1
    if (parts > ct).any() or (parts <= 0).any():
        raise GenerationError("EU amount out of (0, total cost]")
    for o, c in zip(free, parts):
        o.ue = int(c)


def _retained_ct_fse(st: State, wave: str) -> None:
    ret = st.spec.cal["retained"]["fse"][wave]
    rows = list(ret["by_os"])
    cols = CATS
    ops = [o for o in st.ops if o.programme == "fse" and o.wave == wave and o.kind == "scope" and o.retained]
    fixed = np.zeros((len(rows), len(cols)), dtype="int64")
    nfree = np.zeros((len(rows), len(cols)))
    for o in ops:
        i, j = rows.index(o.os), cols.index(o.category)
        if o.ct_fixed:
            fixed[i, j] += o.ct
        else:
            nfree[i, j] += 1
    rt = np.array([cents(ret["by_os"][r]["ct"]) for r in rows]) - fixed.sum(axis=1)
    ctg = np.array([cents(ret["by_category"][c]["ct"]) for c in cols]) - fixed.sum(axis=0)
    size = {"socialement_innovantes": 1.0, "entrepreneuriat_social": 1.1, "innovation_sociale_territoriale": 0.8,
            "ingenierie_outillage_etudes": 1.2, "evaluation_impact_social": 1.0}
    avg = np.divide(rt, nfree.sum(axis=1), out=np.zeros(len(rows)), where=nfree.sum(axis=1) > 0)
    seed = nfree * avg[:, None] * np.array([size[c] for c in cols])[None, :]
    x = alloc.ipf(seed, rt.astype("float64"), ctg.astype("float64"))
    cell = alloc.integer_matrix(x, rt, ctg)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            free = [o for o in ops if o.os == r and o.category == c and not o.ct_fixed]
            if not free:
                if cell[i, j]:
                    raise GenerationError(f"retained {wave}: amount without operation in {r} x {c}")
                continue
            w = st.rng.lognormal(0, 0.45, len(free))
            parts = alloc.largest_remainder(int(cell[i, j]), w, 12_000_00 if int(cell[i, j]) >= 12_000_00 * len(free) else 0)
            for o, v in zip(free, parts):
                o.ct = int(v)
            if min(parts) < 12_000_00:
                raise GenerationError(f"retained {wave}: operation below 12 k€ in {r} x {c}")


def _retained_ue_fse(st: State, wave: str) -> None:
    ret = st.spec.cal["retained"]["fse"][wave]
    ops = [o for o in st.ops if o.programme == "fse" and o.wave == wave and o.kind == "scope" and o.retained]
    groups = []
    for axe, v in ret["by_axe"].items():
        groups.append(([o for o in ops if o.axe == axe], v["ue"]))
    if wave == "2019":
        for os_ in ("3911", "3912", "3913"):
            groups.append(([o for o in ops if o.os == os_], ret["by_os"][os_]["ue"]))
    if sum(len(g) for g, _ in groups) != len(ops):
        raise GenerationError(f"retained UE groups of {wave} do not cover every operation")
    for members, ue in groups:
        base = np.array([0.6 if o.region in geo.regions and geo.regions[o.region]["rate"] > 0.55 else 0.5
                         for o in members])
        _split_ue(st, members, cents(ue), base=base, sd=0.05, hi=0.75)

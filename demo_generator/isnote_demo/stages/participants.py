"""Participants: participants per operation (to the calibration targets), planned participants, number of actions.
"""

from __future__ import annotations

import numpy as np

from .. import alloc
from ..state import GenerationError, State


def participants(st: State) -> None:
    rng = st.rng
    ret_cal = st.spec.cal["retained"]["fse"]
    # retained 2019: per axis 1, 2 and per OS of axis 3
    plans = []
    r19 = [o for o in st.ops if o.programme == "fse" and o.wave == "2019" and o.retained]
    for axe in ("1", "2"):
        v = ret_cal["2019"]["by_axe"][axe]
        plans.append(([o for o in r19 if o.axe == axe], v["participants"], v["ops_with_participants"]))
    for os_ in ("3911", "3912", "3913"):
        v = ret_cal["2019"]["by_os"][os_]
        plans.append(([o for o in r19 if o.os == os_], v["participants"], v["ops_with_participants"]))
    r17 = [o for o in st.ops if o.programme == "fse" and o.wave == "2017" and o.retained]
    for axe, v in ret_cal["2017"]["by_axe"].items():
        k = st.spec.des["retained_with_participants_2017"].get(axe, 0)
        plans.append(([o for o in r17 if o.axe == axe], v["participants"], k))
    for members, total, k in plans:
        yes = [o for o in members if o.has_participants]
        maybe = [o for o in members if o.has_participants is None]
        maybe.sort(key=lambda o: (o.route == "actor", -o.ct))
        chosen = yes + maybe[: max(0, k - len(yes))]
        if len(chosen) != k:
            raise GenerationError("cannot choose the retained operations with participants")
        fixed = sum(o.fixed_participants or 0 for o in chosen)
        free = [o for o in chosen if o.fixed_participants is None]
        for o in chosen:
            if o.fixed_participants is not None:
                o.participants = o.fixed_participants
        if free:
            w = np.array([o.ct for o in free], dtype="float64") ** 0.6
            parts = alloc.largest_remainder(total - fixed, w, 4)
            for o, p in zip(free, parts):
                o.participants = int(p)
        elif total != fixed:
            raise GenerationError("fixed participants do not add up")
    # non-retained
    for wave in ("2019", "2017"):
        for os_, g in st.spec.fse_groups(wave).items():
            ops = [o for o in st.ops if o.programme == "fse" and o.kind == "scope" and o.wave == wave
                   and o.os == os_]
            rest = [o for o in ops if not o.retained]
            left = g["participants"] - sum(o.participants for o in ops if o.retained)
            share = st.spec.des["with_participants"][os_]
            k = max(1, int(round(share * len(rest))))
            score = np.array([o.ct for o in rest], dtype="float64") * rng.uniform(0.3, 1.0, len(rest))
            idx = np.argsort(-score, kind="stable")[:k]
            w = np.array([rest[i].ct for i in idx], dtype="float64") ** 0.8 * rng.lognormal(0, 0.35, k)
            parts = alloc.largest_remainder(left, w, 1)
            for i, p in zip(idx, parts):
                rest[int(i)].participants = int(p)
    # planned participants and number of actions
    for o in st.ops:
        n = o.named or {}
        if "planned" in n:
            o.planned = n["planned"]
        elif o.participants:
            o.planned = int(round(o.participants * st.R.uniform(0.85, 1.35)))
        elif o.programme == "iej" and o.kind == "scope":
            o.planned = st.pick([None, 20, 30, 40, 60, 80, 120, 150])
        else:
            o.planned = st.pick([None, None, 0, 0, 0])
        if "n_actions" in n:
            o.n_actions = n["n_actions"]
        else:
            o.n_actions = st.pick([1, 1, 1, 1, 1, 2, 2, 3, 4, None])

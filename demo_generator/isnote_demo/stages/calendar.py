"""Calendar: programming, start and end dates; operation numbers (deposit year + sequence).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from ..state import GenerationError, Op, State


def dates_and_ids(st: State) -> None:
    R = st.R

    def rand_day(a: date, b: date) -> date:
        while True:
            d = a + timedelta(days=R.randrange((b - a).days + 1))
            if d.weekday() < 5:
                return d

    for o in st.ops:
        n = o.named or {}
        if n.get("programming_date"):
            o.prog_date = date.fromisoformat(str(n["programming_date"]))
        elif o.kind == "after":
            o.prog_date = rand_day(*st.spec.after)
        elif o.kind == "ta":
            o.prog_date = rand_day(date(2015, 1, 5), date(2018, 12, 20))
            o.wave = next(k for k, (a, b) in st.spec.waves.items() if a <= o.prog_date <= b)
        else:
            a, b = st.spec.waves[o.wave]
            if o.wave == "2017":
                a = date(2014, 9, 1) if o.programme == "fse" else date(2014, 5, 1)
            o.prog_date = rand_day(a, b)
        if n.get("start_date"):
            o.start_date = date.fromisoformat(str(n["start_date"]))
            o.end_date = date.fromisoformat(str(n["end_date"]))
        else:
            p = o.prog_date
            u = R.random()
            if u < 0.45:
                start = date(p.year if p.month < 10 else p.year + 1, 1, 1)
            elif u < 0.8:
                start = p - timedelta(days=R.randrange(0, 200))
            else:
                start = p + timedelta(days=R.randrange(0, 75))
            start = max(start, date(2014, 1, 1))
            months = st.pick([12, 12, 12, 12, 18, 24, 24, 24, 36])
            y, m = divmod(start.month - 1 + months, 12)
            end = date(start.year + y, m + 1, 1) - timedelta(days=1)
            if start.day != 1:
                end = end + timedelta(days=min(start.day - 1, 27))
            o.start_date, o.end_date = start, end
    # operation numbers: YYYY (deposit year <= programming year) + 5-digit sequence
    by_year: dict[int, list[Op]] = {}
    for o in st.ops:
        p = o.prog_date
        back = R.random()
        year = p.year if (back < 0.5 or p.year == 2014 or (p.month >= 6 and back < 0.8)) else p.year - 1
        by_year.setdefault(year, []).append(o)
    used: set[str] = set()
    for year in sorted(by_year):
        ops = sorted(by_year[year], key=lambda x: (x.prog_date, x.programme))
        sample = st.rng.choice(np.arange(1, 99999), size=len(ops) + 3, replace=False).tolist()
        extra = sample[:3]
        seqs = sorted(sample[3:])
        for o, s in zip(ops, seqs):
            o.op_id = f"{year}{s:05d}"
            used.add(o.op_id)
        if year in (2017, 2018):
            for s in extra:
                st.absent_numbers.append(f"{year}{s:05d}")
    st.absent_numbers = [x for x in st.absent_numbers if x not in used]
    R.shuffle(st.absent_numbers)
    if len({o.op_id for o in st.ops}) != len(st.ops):
        raise GenerationError("duplicate operation numbers")

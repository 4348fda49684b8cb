"""Places: regions (quotas, the regions the note singles out, spelling variants), managing
services and places.
"""

from __future__ import annotations

from .. import alloc
from ..banks import geo, region_info
from ..state import GenerationError, Op, State


def regions(st: State) -> None:
    R = st.R
    # unnamed retained FSE 2019 still without region: boost regions first, then capped spread
    fse19 = [o for o in st.ops if o.programme == "fse" and o.wave == "2019"]
    # all non-retained FSE operations get quota-based regions
    groups: dict[tuple, list[Op]] = {}
    for o in st.ops:
        if o.programme == "fse" and not o.region and not (o.retained and o.wave == "2019"):
            groups.setdefault((o.kind, o.wave, o.os), []).append(o)
    weights = geo.region_weights
    regions = list(weights)
    nat = st.spec.des["national_share"]
    for key, ops in groups.items():
        os_ = key[2]
        share = nat.get(os_, 0.1 if os_.startswith("4") else 0.05)
        n_nat = int(round(share * len(ops)))
        counts = alloc.largest_remainder(len(ops) - n_nat, [weights[r] for r in regions])
        labels = [geo.national] * n_nat + [r for r, c in zip(regions, counts) for _ in range(int(c))]
        R.shuffle(labels)
        for o, lab in zip(ops, labels):
            o.region = lab
    # retained wave 2019 without region
    todo = [o for o in fse19 if o.retained and not o.region]
    boost = dict(st.spec.des["retained_region_boost"])
    for reg in boost:
        have = sum(1 for o in fse19 if o.retained and not o.named and o.region == reg)
        need = boost[reg] - have
        cands = [o for o in todo if o.axe == "3"] + [o for o in todo if o.axe != "3"]
        for o in cands[: max(0, need)]:
            o.region = reg
            todo.remove(o)
    all_counts: dict[str, int] = {}
    for o in fse19:
        if o.region:
            all_counts[o.region] = all_counts.get(o.region, 0) + 1
    total = len(fse19)
    n_ret = st.spec.cal["retained"]["fse"]["2019"]["by_os"]
    n_ret = sum(v["n_ops"] for v in n_ret.values())
    ret_counts: dict[str, int] = {}
    for o in fse19:
        if o.retained and o.region:
            ret_counts[o.region] = ret_counts.get(o.region, 0) + 1

    def ratio(reg, extra=0):
        return ((ret_counts.get(reg, 0) + extra) / n_ret) / (all_counts.get(reg, 1) / total)

    top = min(ratio(r) for r in st.spec.cal["regions_well_represented"])
    limit = 0.8 * top
    cands = [r for r in regions if r not in boost] + [geo.national]
    for o in todo:
        allowed = [r for r in cands if (o.axe != "3" or r != geo.national) and ratio(r, 1) < limit]
        if not allowed:
            raise GenerationError("cannot place retained operations without out-ranking the regions of the note")
        best = min(allowed, key=lambda r: (ratio(r, 1), r))
        o.region = best
        ret_counts[best] = ret_counts.get(best, 0) + 1
        all_counts[best] = all_counts.get(best, 0) + 1
    # IEJ regions
    iej = [o for o in st.ops if o.programme == "iej" and not o.region]
    iw = geo.iej_region_weights
    ir = list(iw)
    counts = alloc.largest_remainder(len(iej), [iw[r] for r in ir])
    labels = [r for r, c in zip(ir, counts) for _ in range(int(c))]
    R.shuffle(labels)
    for o, lab in zip(iej, labels):
        o.region = lab
    # region spelling variants (ingest normalises them): a few ordinary operations
    st.region_variants = 0
    ordinary = [o for o in st.ops if o.kind == "scope" and not o.named and not o.retained
                and not o.setaside and not o.survey_tag and o.region in geo.regions]
    R.shuffle(ordinary)
    for o in ordinary[: st.spec.des["texture"]["region_variants"]]:
        o.region_raw = st.pick([o.region.upper(), " " + o.region, o.region.lower(),
                                  o.region.replace("é", "e").replace("ô", "o")])
        if o.region_raw != o.region:
            st.region_variants += 1


def services(st: State) -> None:
    for o in st.ops:
        if not o.service:
            o.service = _service(st, o)
        if not o.place:
            o.place = _place(st, o)


def _service(st: State, o: Op) -> str:
    R = st.R
    if o.region == geo.national:
        if o.kind == "ta":
            return "DGEFP - Sous-direction du FSE"
        return st.pick(geo.national_services[:4])
    info = region_info(o.region)
    if o.programme == "iej":
        if o.region in geo.overseas:
            return info["agd"]
        return info["agd"] if R.random() < 0.9 else _cd(st, o.region)
    if o.kind == "ta":
        return info["agd"]
    u = R.random()
    if o.axe in ("1", "2"):
        if u < 0.88:
            return info["agd"]
        if u < 0.94 and st.plie_services.get(o.region):
            return st.pick(st.plie_services[o.region])
        if st.other_oi.get(o.region):
            return st.pick(st.other_oi[o.region])
        return info["agd"]
    if u < 0.55:
        return _cd(st, o.region)
    if u < 0.83 and st.plie_services.get(o.region):
        return st.pick(st.plie_services[o.region])
    if u < 0.95 or not st.other_oi.get(o.region):
        return info["agd"]
    return st.pick(st.other_oi[o.region])


def _cd(st: State, region: str) -> str:
    depts = region_info(region)["depts"]
    dept = st.pick(depts)[0]
    return st.cd_service.get((region, dept)) or f"Conseil départemental {st.pick(depts)[1]}"


def _place(st: State, o: Op) -> str:
    if o.region == geo.national:
        return st.pick(["National", "France entière", "National"])
    if o.programme == "iej" and o.region in geo.iej_dept_only:
        return st.pick(geo.iej_dept_only_towns[o.region])
    return st.pick(region_info(o.region)["towns"])

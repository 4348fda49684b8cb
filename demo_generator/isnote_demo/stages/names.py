"""Names: beneficiaries (families by OS and category, continuation spellings, names kept away from
the ecosystem actors).
"""

from __future__ import annotations

from ..banks import de_town, geo, region_info, texts
from ..state import GenerationError, Op, State


def names(st: State) -> None:
    R = st.R
    fam_by_os = texts.families_by_os
    cat_fam = texts.families_by_category
    for o in st.ops:
        if o.named:
            o.title = o.named["title"]
            o.beneficiary = o.named["beneficiary"]
            o.legal_form = o.named.get("legal_form", "")
            o.beneficiary_type = o.named.get("beneficiary_type", "")
            continue
        key = o.os if not (o.programme == "iej" and o.os == "2851") else "2851i"
        fams = fam_by_os[key]
        if o.retained and o.category in cat_fam:
            fams = cat_fam[o.category]
        if o.programme == "iej":
            fams = dict(fams)
            if o.region in geo.overseas:
                fams.pop("epide", None)
            else:
                fams.pop("rsma", None)
        fam = _weighted(st, fams)
        name, legal, btype = _beneficiary(st, fam, o)
        if o.special_name:
            name = o.special_name
            legal, btype = "Association", "Têtes de réseau"
        o.beneficiary, o.legal_form, o.beneficiary_type = name, legal, btype
    _continuation_names(st)
    _guard_names(st)


def _weighted(st: State, weights: dict) -> str:
    keys = list(weights)
    tot = sum(weights.values())
    u = st.R.random() * tot
    for k in keys:
        u -= weights[k]
        if u < 0:
            return k
    return keys[-1]


def slots(st: State, o: Op) -> dict:
    """Place and name fillers of an operation, drawn once so that its texts agree."""
    if id(o) not in st.slot_cache:
        st.slot_cache[id(o)] = _draw_slots(st, o)
    return st.slot_cache[id(o)]


def _draw_slots(st: State, o: Op) -> dict:
    if o.region == geo.national:
        town, region = st.pick(["Paris", "Lyon", "Lille", "Nantes"]), "France"
        dept, prep = "Paris", "de Paris"
    else:
        info = region_info(o.region)
        town = o.place if o.place and o.place in info["towns"] else st.pick(info["towns"])
        dept, prep = st.pick(info["depts"])
        region = o.region
    return {"town": town, "de_town": de_town(town), "dept": dept, "dept_de": prep, "region": region,
            "nm": st.pick(texts.names), "person": st.pick(texts.people), "surname": st.pick(texts.surnames),
            "trade": st.pick(texts.trades), "sector": st.pick(texts.sectors), "opca": st.pick(texts.opcas),
            "year": str(o.prog_date.year if o.prog_date else 2018), "activity": st.pick(texts.activities),
            "public": st.pick(texts.publics), "ptce": st.pick(texts.ptce_names)}


def _beneficiary(st: State, fam: str, o: Op) -> tuple[str, str, str]:
    s = slots(st, o)
    if o.kind == "ta" and o.region == geo.national:
        return "DGEFP - Sous-direction du FSE", "Services de l'Etat", "Services de l'Etat"
    if o.region == geo.national and fam not in ("etat",):
        return " ".join(st.pick(texts.national_beneficiaries).format(**s).split()), "Association", "Têtes de réseau"
    family = texts.families[fam]
    tpls, legal, btype = family["templates"], family["legal_form"], family["beneficiary_type"]
    name = st.pick(tpls).format(**s)
    if fam == "ei" and name.startswith("Association"):
        legal = "Association"
    return " ".join(name.split()), legal, btype


def _continuation_names(st: State) -> None:
    """Give each continuation pair a 2017 / 2019 spelling of the same beneficiary."""
    variants = [
        lambda n: ("Association " + n, n.upper()),
        lambda n: (n, n.upper().replace("É", "E").replace("È", "E").replace("Ê", "E").replace("À", "A")),
        lambda n: (n.replace(" ", "  ", 1), n),
        lambda n: ("SCIC " + n, n),
        lambda n: (n.replace(" ", "-", 1), n),
        lambda n: (n, "Association " + n.lower()),
    ]
    bases = texts.continuation_names
    i = 0
    for o in st.cont_ops:
        c = o.cont_2017
        if o.named:
            c.beneficiary = o.cont_name
            c.region, c.service, c.place = o.region, o.service, o.place
            c.legal_form, c.beneficiary_type = o.legal_form, o.beneficiary_type
            continue
        town = st.pick(region_info(o.region)["towns"]) if o.region != geo.national else "Paris"
        base = bases[i % len(bases)].format(town=town)
        v17, v19 = variants[i % len(variants)](base)
        i += 1
        o.beneficiary, c.beneficiary = v19, v17
        c.region, c.service, c.place = o.region, o.service, o.place
        c.legal_form, c.beneficiary_type = o.legal_form or "Association", o.beneficiary_type
        if st.spec.actors.key(v17) != st.spec.actors.key(v19):
            raise GenerationError(f"continuation variants differ: {v17!r} / {v19!r}")


def _guard_names(st: State) -> None:
    """Keep beneficiary names of non-candidates away from every actor, and make sure that no
    candidate accidentally shares its beneficiary with a wave-2017 retained operation."""
    pair_ids = {id(o) for o in st.cont_ops} | {id(o.cont_2017) for o in st.cont_ops}
    for o in st.ops:
        preid = (o.wave == "2019" and o.kind == "scope" and o.route in ("text", "actor")
                 and (o.retained or o.setaside))
        if preid:
            continue
        if o.named or id(o) in pair_ids:
            if st.spec.actors.loose(o.beneficiary):
                raise GenerationError(f"beneficiary {o.beneficiary!r} looks like an ecosystem actor")
            continue
        tries = 0
        while st.spec.actors.loose(o.beneficiary):
            st.slot_cache.pop(id(o), None)
            o.beneficiary, o.legal_form, o.beneficiary_type = _beneficiary(st, "asso", o)
            tries += 1
            if tries > 50:
                raise GenerationError(f"cannot find a non-actor name for {o.beneficiary}")
    keys17 = {st.spec.actors.key(o.beneficiary) for o in st.ops if o.wave == "2017" and o.retained}
    for o in st.ops:
        if o.wave != "2019" or id(o) in pair_ids or not (o.retained or o.setaside or o.lot5):
            continue
        n = 0
        while st.spec.actors.key(o.beneficiary) in keys17:
            if o.named:
                raise GenerationError(f"named beneficiary {o.beneficiary} equals a wave-2017 retained one")
            o.beneficiary = f"{o.beneficiary} {st.pick(texts.names)}"
            n += 1
            if n > 20:
                raise GenerationError("cannot make a candidate name distinct")

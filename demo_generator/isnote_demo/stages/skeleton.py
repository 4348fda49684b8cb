"""First stages: the skeleton. They create every operation (programme, wave, OS) and give each its role:
retained (category), set aside, named by the note, found by keywords, actors, the survey or the
lot-5 list, continuation of a wave-2017 operation, excluded (technical assistance, after the waves).
"""

from __future__ import annotations

from .. import alloc
from ..constants import CATS
from ..state import GenerationError, Op, State, eur_cents


def _take(pool: list[Op], n: int, cond) -> list[Op]:
    """The first n operations of pool meeting cond, removed from pool."""
    got = [o for o in pool if cond(o)][:n]
    if len(got) < n:
        raise GenerationError("not enough operations for a design role")
    for o in got:
        pool.remove(o)
    return got


def fse_operations(st: State) -> None:
    """Every in-scope FSE operation of both waves, per OS; retained ones per (OS, category) cell
    of the design matrix (the named ones among them), and the set-aside ones of wave 2019."""
    des = st.spec.des
    named_fse = {n["id"]: n for n in st.spec.named["fse"]}
    for wave in ("2019", "2017"):
        groups = st.spec.fse_groups(wave)
        matrix = des["retained_matrix"][wave]
        _check_matrix(st, wave, matrix)
        for os_ in st.spec.nomen["fse"]["os_order"]:
            g = groups[os_]
            ops = [st.new_op("fse", "scope", wave, os_) for _ in range(g["n_ops"])]
            free = list(ops)
            for cat in CATS:
                k = matrix.get(os_, {}).get(cat, 0)
                cell = [free.pop() for _ in range(k)]
                for op in cell:
                    op.retained, op.category = True, cat
                if wave == "2019":
                    wanted = [n for n in named_fse.values() if n["os"] == os_ and n["category"] == cat]
                    if len(wanted) > k:
                        raise GenerationError(f"named operations exceed retained cell {os_} x {cat}")
                    for n, op in zip(wanted, cell):
                        _apply_named(st, op, n)
            if wave == "2019":
                for _ in range(des["setaside_by_os"].get(os_, 0)):
                    op = free.pop()
                    op.setaside, op.route, op.hit = True, "text", "innovation"


def fse_roles_2019(st: State) -> None:
    """Wave 2019: how each unnamed retained or set-aside operation is found (keywords, an actor's
    name, the survey), the continuations of 2017, the survey-only set-aside operations."""
    des = st.spec.des
    plan = des["role_plan"]
    fse19 = [o for o in st.ops if o.programme == "fse" and o.wave == "2019"]
    un_ret = [o for o in fse19 if o.retained and not o.named]
    for o in un_ret:
        o.route = "text"
    st.R.shuffle(un_ret)
    pool = list(un_ret)
    # actor-only retained (beneficiary = an ecosystem actor, texts without keywords)
    actor_specs = plan["retained_actor_only"]
    for os_, cat, name, region in actor_specs[: des["retained_actor_only"]]:
        o = _take(pool, 1, lambda x, os_=os_, cat=cat: x.os == os_ and x.category == cat)[0]
        o.route, o.special_name, o.region = "actor", name, region
    # actors also found by their texts
    for os_, cat, name, region in plan["retained_actor_and_text"]:
        o = _take(pool, 1, lambda x, os_=os_, cat=cat: x.os == os_ and x.category == cat)[0]
        o.special_name, o.region = name, region
    # survey-only retained (axis 3, no keyword, no actor)
    survey_plan = plan["survey_only_retained"][: des["survey_only_unnamed_retained"]]
    st.survey_only_ret = []
    for os_, cat in survey_plan:
        o = _take(pool, 1, lambda x, os_=os_, cat=cat: x.os == os_ and x.category == cat)[0]
        o.route, o.survey_tag = "survey", "survey_only_retained"
        st.survey_only_ret.append(o)
    # retained also named in the survey
    st.survey_also_ret = []
    for os_ in plan["survey_also_text_retained_os"][: des["survey_also_text"]["retained"]]:
        o = _take(pool, 1, lambda x, os_=os_: x.os == os_)[0]
        o.survey_tag = "survey_also_text"
        st.survey_also_ret.append(o)
    # continuations among retained (TZCLD + unnamed)
    st.cont_ops = [o for o in fse19 if o.named and o.named.get("continuation")]
    for os_ in plan["continuations_retained_os"][: des["continuations"]["retained"] - len(st.cont_ops)]:
        st.cont_ops.append(_take(pool, 1, lambda x, os_=os_: x.os == os_)[0])
    # set-aside candidates: hit families, survey, continuations
    sa = [o for o in fse19 if o.setaside]
    st.R.shuffle(sa)
    sa_pool = list(sa)
    actor_sa = plan["setaside_actor"]
    for os_, name, region in actor_sa[: des["setaside_groups"]["actor"]]:
        o = _take(sa_pool, 1, lambda x, os_=os_: x.os == os_)[0]
        o.route, o.hit, o.special_name, o.region = "actor", "actor", name, region
    st.survey_also_sa = _take(sa_pool, des["survey_also_text"]["setaside"], lambda x: x.os == "3911")
    for o in st.survey_also_sa:
        o.survey_tag = "survey_also_text"
    for os_ in plan["continuations_setaside_os"][: des["continuations"]["setaside"]]:
        st.cont_ops.append(_take(sa_pool, 1, lambda x, os_=os_: x.os == os_)[0])
    for fam in ("impact", "besoins", "ptce"):
        for o in sa_pool[: des["setaside_groups"][fam]]:
            o.hit = fam
        sa_pool = sa_pool[des["setaside_groups"][fam]:]
    # survey-only set aside (axis 3, ordinary operations)
    ordinary = [o for o in fse19 if not o.retained and not o.setaside]
    st.R.shuffle(ordinary)
    st.survey_only_rej = []
    for os_ in plan["survey_only_rejected_os"][: des["survey_only_rejected"]]:
        o = _take(ordinary, 1, lambda x, os_=os_: x.os == os_)[0]
        o.setaside, o.route, o.survey_tag = True, "survey", "survey_only_rejected"
        st.survey_only_rej.append(o)


def fse_roles_2017(st: State) -> None:
    """Wave 2017: the counterparts of the continuations, the operations the survey cites although
    programmed before the wave, the set-aside rows of the register."""
    des = st.spec.des
    fse17 = [o for o in st.ops if o.programme == "fse" and o.wave == "2017"]
    ret17 = [o for o in fse17 if o.retained]
    st.R.shuffle(ret17)
    for o in st.cont_ops:
        cands = [x for x in ret17 if x.os == o.os and x.category == (o.category or x.category)] or \
                [x for x in ret17 if x.os == o.os]
        c = cands[0]
        ret17.remove(c)
        o.cont_2017 = c
    ord17 = [o for o in fse17 if not o.retained]
    st.R.shuffle(ord17)
    st.oow_ops = _take(ord17, des["survey_out_of_window"], lambda x: x.axe == "3")
    for o in st.oow_ops:
        o.survey_tag = "survey_out_of_window"
    for o in ord17[: des["fse_register_setaside_2017"]]:
        o.setaside_2017 = True


def excluded_operations(st: State) -> None:
    """Rows the ingestion must exclude: technical assistance, programmed after the waves."""
    exc = st.spec.cal["excluded"]
    for i in range(exc["fse"]["technical_assistance"]):
        st.new_op("fse", "ta", None, "4AT1" if i % 3 else "4AT2")
    weights = {os_: g["n_ops"] for os_, g in st.spec.fse_groups("2019").items()}
    os_list = list(weights)
    counts = alloc.largest_remainder(exc["fse"]["after_window"], [weights[k] for k in os_list])
    for os_, n in zip(os_list, counts):
        for _ in range(int(n)):
            st.new_op("fse", "after", None, os_)
    for i in range(exc["iej"]["technical_assistance"]):
        st.new_op("iej", "ta", None, "4AT1")
    for i in range(exc["iej"]["after_window"]):
        st.new_op("iej", "after", None, "182")


def _check_matrix(st: State, wave: str, matrix: dict) -> None:
    ret = st.spec.cal["retained"]["fse"][wave]
    for os_, v in ret["by_os"].items():
        if sum(matrix.get(os_, {}).values()) != v["n_ops"]:
            raise GenerationError(f"retained matrix {wave}: row {os_} != {v['n_ops']}")
    for cat, v in ret["by_category"].items():
        if sum(row.get(cat, 0) for row in matrix.values()) != v["n_ops"]:
            raise GenerationError(f"retained matrix {wave}: column {cat} != {v['n_ops']}")


def _apply_named(st: State, op: Op, n: dict) -> None:
    op.named = n
    op.route = n["route"]
    op.region = n["region"]
    op.service = n["service"]
    op.place = n.get("place", "")
    if n.get("ct") is not None:
        op.ct, op.ct_fixed = eur_cents(n["ct"]), True
    if n.get("ue") is not None:
        op.ue, op.ue_fixed = eur_cents(n["ue"]), True
    p = n.get("participants")
    if p is False:
        op.has_participants = False
    elif p is True:
        op.has_participants = True
    elif isinstance(p, int):
        op.has_participants, op.fixed_participants = True, p
    op.emblematique = bool(n.get("emblematique"))
    op.caractere_innovant = " ".join(str(n.get("caractere_innovant") or "").split())
    if n.get("continuation"):
        op.cont_name = n["continuation"]
    if n["route"] == "survey":
        op.survey_tag = "survey_only_retained"


def iej_operations(st: State) -> None:
    """Every in-scope IEJ operation: the named ones, retained, set aside, on the lot-5 list."""
    d = st.spec.des["iej"]
    named = st.spec.named["iej"]
    for wave in ("2019", "2017"):
        tot = st.spec.cal["programme_totals"]["iej"][wave]
        ops = []
        if wave == "2019":
            for n in named:
                op = st.new_op("iej", "scope", wave, n["os"])
                _apply_named(st, op, n)
                op.retained, op.category = True, n["category"]
                op.lot5 = n["route"] == "lot5"
                ops.append(op)
        while len(ops) < tot["n_ops"]:
            ops.append(st.new_op("iej", "scope", wave, "182"))
        free = [o for o in ops if not o.named]
        st.R.shuffle(free)
        if wave == "2019":
            for o in free[: d["retained_2019_unnamed_text"]]:
                o.retained, o.category, o.route = True, "innovation_sociale_territoriale", "text"
            free = free[d["retained_2019_unnamed_text"]:]
            for o in free[: d["setaside_2019"]]:
                o.setaside, o.route, o.hit = True, "text", "innovation"
        else:
            n_ret = st.spec.cal["retained"]["iej"]["2017"]["n_ops"]
            cats = (["socialement_innovantes"] * 6 + ["entrepreneuriat_social"] * 3
                    + ["innovation_sociale_territoriale"] * 2)
            for o, cat in zip(free[:n_ret], cats):
                o.retained, o.category = True, cat
            for o in free[: d["lot5_2017_retained"]]:
                o.lot5 = True
            rest = free[n_ret:]
            for o in rest[: d["lot5_2017_other"]]:
                o.lot5 = True
            rest = rest[d["lot5_2017_other"]:]
            for o in rest[: d["register_setaside_2017"]]:
                o.setaside_2017 = True

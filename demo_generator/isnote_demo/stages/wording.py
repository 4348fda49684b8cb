"""Wording: titles, descriptions, actions, results and call titles, then texture (case, spacing,
apostrophes, empty descriptions).
"""

from __future__ import annotations

from datetime import date

from ..banks import geo, texts
from ..state import Op, State
from .names import slots


def write_texts(st: State) -> None:
    tx = st.spec.des["texture"]
    for o in st.ops:
        if o.named:
            _named_texts(st, o)
        else:
            _texts(st, o)
        if not o.call_title and not o.named and st.R.random() > tx["call_title_empty"]:
            _call_title(st, o)
    # texture: case, spacing, apostrophes, empty descriptions
    R = st.R
    st.n_empty_desc = 0
    for o in st.ops:
        plain = not (o.named or o.retained or o.setaside or o.survey_tag or o.lot5)
        if not o.named:
            u = R.random()
            if u < tx["title_upper"]:
                o.title = o.title.upper()
            elif u < tx["title_upper"] + tx["title_double_space"]:
                o.title = o.title.replace(" ", "  ", 1)
            elif u < tx["title_upper"] + tx["title_double_space"] + 0.01:
                o.title = o.title + " "
            if not o.special_name and id(o) not in _pair_ids(st):
                u = R.random()
                if u < tx["beneficiary_upper"]:
                    o.beneficiary = o.beneficiary.upper()
                elif u < tx["beneficiary_upper"] + tx["beneficiary_double_space"]:
                    o.beneficiary = o.beneficiary.replace(" ", "  ", 1)
        if R.random() < tx["typographic_apostrophe"]:
            for f in ("description", "actions", "results", "call_title") + (() if o.named else ("title",)):
                setattr(o, f, getattr(o, f).replace("'", "\u2019"))
        if plain and o.description and R.random() < tx["empty_description"]:
            o.description = ""
            st.n_empty_desc += 1


def _pair_ids(st: State) -> set[int]:
    if st.pairs is None:
        st.pairs = {id(o) for o in st.cont_ops} | {id(o.cont_2017) for o in st.cont_ops}
    return st.pairs


def _named_texts(st: State, o: Op) -> None:
    n = o.named
    norm = lambda t: " ".join(str(t or "").split())  # noqa: E731
    o.description = norm(n.get("description"))
    o.actions = norm(n.get("actions")) or _actions(st, o)
    o.results = norm(n.get("results"))
    o.call_title = norm(n.get("call_title"))
    if not o.call_title:
        _call_title(st, o)


def _texts(st: State, o: Op) -> None:
    R = st.R
    s = slots(st, o)
    key = o.os if o.programme == "fse" or o.os == "182" else "182"
    if o.kind == "ta":
        key = o.os
    grp = {"1": "1", "2": "2", "3": "3"}.get(o.axe, "3") if o.programme == "fse" else "iej"
    if o.kind == "ta":
        grp = "at"
    # title and opening sentence
    intro_bank = texts.intros[key]
    idea, need = st.pick(texts.ideas), st.pick(texts.needs)
    cat = o.category if o.retained else None
    if o.programme == "fse" and cat in texts.cat_intros:
        o.title = st.pick(texts.retained_titles[cat]).format(**s)
        intro_bank = texts.cat_intros[cat]
    elif (o.programme == "fse" and cat == "socialement_innovantes" and o.axe != "2"
          and R.random() < 0.6):
        i = R.randrange(len(texts.ideas))
        o.title = texts.retained_titles[cat][i].format(**s)
        idea = texts.ideas[i]
    else:
        o.title = st.pick(texts.titles[key]).format(**s)
    if o.axe == "2" and o.programme == "fse":
        idea = st.pick(texts.ideas_axis2)
    parts = [st.pick(intro_bank).format(**s)]
    if R.random() < 0.7:
        parts.append(st.pick(texts.methods[grp]))
    if R.random() < 0.45:
        p = R.sample(texts.partners, 3)
        parts.append(st.pick(texts.partner_sentences).format(p1=p[0], p2=p[1], p3=p[2]))
    if o.retained:
        plain = o.route in ("survey", "actor", "lot5") or o.wave == "2017"
        bank = texts.retained_plain if plain else texts.retained_hits
        c = cat if cat in bank else "socialement_innovantes"
        de_idea = ("d'" if idea[0] in "aeiouéh" else "de ") + idea
        parts.insert(1, st.pick(bank[c]).format(idea=idea, de_idea=de_idea, need=need, ptce=s["ptce"]))
    elif o.setaside and o.route == "text":
        hit = o.hit or "innovation"
        pool = list(texts.setaside[hit])
        if hit == "innovation":
            for extra in texts.setaside_by_os.get(key, []):
                pool += texts.setaside[extra] * 2
        sent = st.pick(pool)
        if hit == "innovation" and o.axe in ("1", "3") and R.random() < 0.12:
            o.title = st.pick(texts.setaside_titles).format(**s)
        else:
            parts.insert(R.randrange(1, len(parts) + 1), sent)
    if R.random() < st.spec.des["texture"]["criterion_sentence"]:
        parts.append(st.pick(texts.criteria))
    if R.random() < st.spec.des["texture"]["decoy_sentence"]:
        parts.append(st.pick(texts.decoys))
    o.description = " ".join(parts)
    o.actions = _actions(st, o)
    o.results = _results(st, o)


def _actions(st: State, o: Op) -> str:
    R = st.R
    if o.kind == "ta":
        bank = texts.actions["at"]
    elif o.programme == "iej":
        bank = texts.actions["iej"]
    elif o.os in texts.actions:
        bank = texts.actions[o.os]
    else:
        bank = texts.actions[o.axe]
    k = min(len(bank), st.pick([2, 3, 3, 4]))
    items = R.sample(bank, k)
    if R.random() < st.spec.des["texture"]["multiline_actions"]:
        return "\n".join("- " + x for x in items)
    return " ; ".join(items)


def _results(st: State, o: Op) -> str:
    R = st.R
    if o.kind != "scope" or R.random() < st.spec.des["texture"]["empty_results"]:
        return ""
    if o.prog_date and o.prog_date > date(2018, 6, 30):
        return st.pick(texts.results["none"])
    n = max(o.participants, o.planned or 0)
    if n:
        m = max(1, int(n * R.uniform(0.2, 0.55)))
        return st.pick(texts.results["participants"]).format(n=n, m=m, f=int(n * R.uniform(0.35, 0.6)),
                                                               p=R.randrange(70, 121))
    if o.axe == "2":
        n = R.randrange(8, 60)
        return st.pick(texts.results["firms"]).format(n=n, m=max(1, n // 2))
    return st.pick(texts.results["none"])


def _call_title(st: State, o: Op) -> None:
    themes = texts.call_themes.get(o.os if o.programme == "fse" or o.kind == "ta" else "182", ["Appel à projets"])
    year = o.prog_date.year if o.prog_date else 2018
    t = st.pick(texts.call_forms).format(year=year, theme=st.pick(themes))
    if o.region == geo.national:
        t = t.replace("Appel à projets", "Appel à projets national", 1)
    o.call_title = t

"""Managing bodies and the survey of axis 3: the bodies and respondents, their answers (after the
skeleton), then the rows of the survey file, operation numbers written in various ways (after the texts).
"""

from __future__ import annotations

from ..banks import de_town, geo, texts
from ..state import GenerationError, State


def managing_bodies(st: State) -> None:
    """The managing bodies: who manages operations in each region (departmental councils, PLIE,
    other intermediate bodies) and who answers the survey (no random draw)."""
    specs = []   # (type, name, region)
    mb = geo.managing_bodies
    agd_regions = mb["agd_respondent_regions"]
    for r in agd_regions:
        specs.append(("AGD", geo.regions[r]["agd"], r))
    st.cd_service = {}   # (region, department) -> departmental council
    cd_named = mb["departmental_councils_named"]
    for region, dept, name in cd_named:
        st.cd_service[(region, dept)] = name
    k = 0
    for region, info in geo.regions.items():
        for dept, prep in info["depts"]:
            if (region, dept) not in st.cd_service:
                style = geo.cd_service_styles[k % len(geo.cd_service_styles)]
                st.cd_service[(region, dept)] = style.format(de=prep)
                k += 1
    cd_more = mb["departmental_councils_more"]
    for region, dept, name in cd_named:
        specs.append(("OI CD", name, region))
    for region, dept in cd_more:
        specs.append(("OI CD", st.cd_service[(region, dept)], region))
    pivots = [tuple(x) for x in mb["plie_pivots"]]
    for region, dept in mb["inter_plie"]:
        pivots.append((region, f"Association inter-PLIE {dept}"))
    st.plie_services = {r: [] for r in geo.regions}
    for region, name in pivots:
        specs.append(("OI PLIE pivot", name, region))
        st.plie_services[region].append(name)
    plie_towns = mb["plie_towns"]
    for region, town in plie_towns:
        name = f"PLIE {de_town(town)}"
        specs.append(("OI PLIE", name, region))
        st.plie_services[region].append(name)
    for region, info in geo.regions.items():
        for town in info["towns"][:3]:
            name = f"PLIE {de_town(town)}"
            if name not in st.plie_services[region]:
                st.plie_services[region].append(name)
    others = mb["other_bodies"]
    st.other_oi = {}
    for region, name in others:
        specs.append(("Autre OI", name, region))
        st.other_oi.setdefault(region, []).append(name)
    if len(specs) != st.spec.cal["survey"]["respondents"]:
        raise GenerationError(f"survey: {len(specs)} respondents, expected {st.spec.cal['survey']['respondents']}")
    st.respondents = [{"id": i + 1, "type": t, "name": n, "region": r, "answer": None, "numbers": [],
                       "named_text": "", "observation": ""} for i, (t, n, r) in enumerate(specs)]


def survey_answers(st: State) -> None:
    """Answers of the respondents: those who cite operations (the role plan), the others by type of
    body to the calibration; prose, observations and oddly written answers."""
    by_type = st.spec.cal["survey"]["by_type"]

    # which respondents name operations (they answer "oui")
    def resp(name):
        return next(x for x in st.respondents if x["name"] == name)
    naming = st.spec.des["role_plan"]["survey_naming"]
    queues = {"ret": list(st.survey_only_ret), "rej": list(st.survey_only_rej),
              "also_ret": list(st.survey_also_ret), "also_sa": list(st.survey_also_sa),
              "oow": list(st.oow_ops)}
    named_ops = {o.named["id"]: o for o in st.ops if o.named and o.programme == "fse"}
    for name, items in naming.items():
        r = resp(name)
        r["answer"] = "oui"
        for it in items:
            if it == "nf":
                r["numbers"].append("NOT_FOUND")
                continue
            op = named_ops[it] if it in named_ops else queues[it].pop(0)
            if not op.named:
                op.region = r["region"]
                op.service = r["name"]
            r["numbers"].append(op)
    if any(queues.values()):
        raise GenerationError("survey plan does not use every survey-linked operation")
    # answers per type
    for t, counts in by_type.items():
        members = [r for r in st.respondents if r["type"] == t]
        fixed_oui = sum(1 for r in members if r["answer"] == "oui")
        rest = [r for r in members if r["answer"] is None]
        answers = ["oui"] * (counts["oui"] - fixed_oui) + ["non"] * counts["non"] + ["nsp"] * counts["nsp"]
        if len(answers) != len(rest):
            raise GenerationError(f"survey: answers of {t} do not add up")
        st.R.shuffle(answers)
        for r, a in zip(rest, answers):
            r["answer"] = a
    # prose for some other "oui" respondents, observations
    prose_targets = [r for r in st.respondents if r["answer"] == "oui" and not r["numbers"]]
    st.R.shuffle(prose_targets)
    for r, text in zip(prose_targets[:8], texts.survey_prose + texts.survey_prose):
        r["named_text"] = text
    order = list(st.respondents)
    st.R.shuffle(order)
    # observations: a mix of types, at least a few from each
    obs_resp = sorted(order[: st.spec.cal["survey"]["with_observations"]], key=lambda r: r["id"])
    obs = list(range(len(texts.observations)))
    st.R.shuffle(obs)
    for r, i in zip(obs_resp, obs):
        r["observation"] = texts.observations[i]
        r["obs_index"] = i
    odd = {"oui": [" Oui", "OUI", "oui "], "non": ["NON", "Non"], "nsp": ["Ne se prononce pas", "NE SE PRONONCE PAS "]}
    st.odd_answers = 0
    for r in order[25:31]:
        r["answer_text"] = st.pick(odd[r["answer"]])
        st.odd_answers += 1
    for r in st.respondents:
        r.setdefault("answer_text", {"oui": "oui", "non": "non", "nsp": "ne se prononce pas"}[r["answer"]])


def survey_rows(st: State) -> None:
    """The rows of the survey file (after the texts: every number is final)."""
    R = st.R
    forms = [lambda n: n, lambda n: f"{n[:4]} {n[4:]}", lambda n: f"n°{n}", lambda n: f"n° {n[:4]} {n[4:]}",
             lambda n: f"dossier {n}", lambda n: f"MDFSE-{n}", lambda n: f"{n[:3]} {n[3:6]} {n[6:]}",
             lambda n: f"N°{n}"]
    seps = [", ", " et ", " / ", ", "]
    nf = list(st.absent_numbers)
    k = 0
    rows = []
    for r in st.respondents:
        text = r["named_text"]
        if r["numbers"]:
            nums = []
            for x in r["numbers"]:
                if x == "NOT_FOUND":
                    num = nf.pop(0)
                else:
                    num = x.op_id
                nums.append(forms[k % len(forms)](num))
                k += 1
            if len(nums) == 1:
                body = nums[0]
            else:
                sep = seps[r["id"] % len(seps)]
                body = sep.join(nums[:-1]) + (" et " if sep != " et " else sep) + nums[-1]
            text = st.pick(["", "Opérations ", "Les dossiers ", "Projets : "]) + body
        rows.append({"respondent_id": f"R{r['id']:03d}", "respondent": r["name"], "body_type": r["type"],
                     "answer": r["answer_text"], "operations_named": text if r["answer"] == "oui" else "",
                     "observations": r["observation"]})
    st.survey_table = rows

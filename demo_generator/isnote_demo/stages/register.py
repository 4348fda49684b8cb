"""Last stage: the rows of the review register (decisions of both waves, one about an operation no
longer in the extract).
"""

from __future__ import annotations

from datetime import date, timedelta

from ..banks import texts
from ..constants import ABSENT_STATUS, DEMO_DECISION
from ..state import GenerationError, State


def register_rows(st: State) -> None:
    R = st.R
    rows = []
    for o in st.ops:
        if o.kind != "scope":
            continue
        dec = None
        if o.retained:
            dec = "retenue"
        elif (o.wave == "2019" and o.setaside) or o.setaside_2017:
            dec = "ecartee"
        elif o.wave == "2019" and o.programme == "iej" and o.setaside:
            dec = "ecartee"
        if dec is None:
            continue
        wave = o.wave
        day = date(2019, 4, 1) if wave == "2019" else date(2017, 5, 2)
        d = day + timedelta(days=R.randrange(0, 28))
        if dec == "retenue":
            scores = [R.choice([1, 2, 2]), R.choice([0, 1, 2, 2]), R.choice([1, 1, 2]), R.choice([0, 1, 1, 2])]
            if sum(scores) < 5:
                scores[0] = 2
                scores[2] = 2
            reason = st.pick(texts.review_reasons_retained)
            if o.route == "survey":
                reason = "signalée par le service gestionnaire dans l'enquête ; " + reason
            if o.lot5:
                reason = "projet du lot 5 de l'évaluation de l'IEJ ; " + reason
            if o.cont_2017 is not None:
                reason = "poursuite d'une opération retenue en 2017 ; " + reason
        else:
            scores = [R.choice([0, 0, 1]), R.choice([0, 0, 1]), R.choice([0, 1]), R.choice([0, 0, 1])]
            if o.route == "survey":
                reason = texts.review_reasons_setaside[-1]
            elif o.hit == "impact":
                reason = texts.review_reasons_setaside[4]
            else:
                reason = st.pick(texts.review_reasons_setaside[:4])
        rows.append({
            "op_id": o.op_id, "programme": o.programme, "vague": wave, "decision": dec,
            "categorie": o.category if dec == "retenue" else "",
            "score_besoin": scores[0], "score_experimentation": scores[1], "score_implication": scores[2],
            "score_effets": scores[3], "emblematique": "oui" if o.emblematique else "",
            "caractere_innovant": o.caractere_innovant, "justification": f"{DEMO_DECISION} : {reason}",
            "relecteur": st.pick(texts.reviewers[wave]), "date_decision": d.isoformat(), "statut": "",
        })
    # one decision of 2017 about an operation no longer in the extract (kept by isnote)
    gone = next(x for x in st.absent_numbers if x.startswith("2017"))
    st.absent_numbers.remove(gone)
    gone = "2016" + gone[4:]
    rows.append({"op_id": gone, "programme": "fse", "vague": "2017", "decision": "ecartee", "categorie": "",
                 "score_besoin": 0, "score_experimentation": 0, "score_implication": 1, "score_effets": 0,
                 "emblematique": "", "caractere_innovant": "",
                 "justification": f"{DEMO_DECISION} : opération déprogrammée depuis la décision",
                 "relecteur": "J.P.", "date_decision": "2017-05-19", "statut": ABSENT_STATUS})
    if gone in {o.op_id for o in st.ops}:
        raise GenerationError("the 'absent' register number exists in the data")
    rows.sort(key=lambda r: (r["vague"], r["programme"], r["op_id"]))
    st.register_table = rows

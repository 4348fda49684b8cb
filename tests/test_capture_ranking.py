"""Capture–recapture (isnote.capture) and ranking (isnote.ranking) on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from isnote import capture, ranking
from isnote.textsearch import Group


def test_chapman_hand_computed():
    # n1 = 60 found by the screening, n2 = 20 by the survey, m = 15 by both (computed by hand):
    # N = 61 * 21 / 16 - 1 = 79.0625 ; Var = 61 * 21 * 45 * 5 / (16^2 * 17) = 288225 / 4352 = 66.2282
    # r = 65, f0 = 14.0625, C = exp(1.96 * sqrt(ln(1 + 66.2282 / 14.0625^2))) = 2.8673
    # interval [65 + 14.0625 / 2.8673, 65 + 14.0625 * 2.8673] = [69.90, 105.32]
    r = capture.chapman(60, 20, 15)
    assert r["estimate"] == pytest.approx(79.0625)
    assert r["variance"] == pytest.approx(288225 / 4352)
    assert r["found"] == 65
    assert r["low"] == pytest.approx(69.90, abs=0.01) and r["high"] == pytest.approx(105.32, abs=0.01)
    assert r["missed_by_screening"] == pytest.approx(19.0625)


def test_chapman_all_recaptured_and_bad_input():
    r = capture.chapman(10, 5, 5)
    assert r["estimate"] == 10 and r["low"] == 10 and r["high"] == 10
    with pytest.raises(ValueError):
        capture.chapman(3, 2, 4)


def _frames():
    ops = pd.DataFrame({"op_id": [str(i) for i in range(8)], "programme": ["fse"] * 7 + ["iej"]})
    cand = pd.DataFrame({"op_id": ["0", "1", "2", "3", "4", "7"], "programme": ["fse"] * 5 + ["iej"],
                         "preidentified": [True, True, True, False, True, True],
                         "src_survey": [True, False, False, True, True, False]})
    status = pd.Series(["retenue", "retenue", "ecartee", "retenue", "retenue", "", "retenue", "retenue"])
    return ops, cand, status


def test_estimate_block():
    ops, cand, status = _frames()
    b = capture.estimate(cand, status, ops, survey_available=True)
    # fse retained: 0 (both), 1 (screening), 3 (survey), 4 (both), 6 (neither): n1 = 3, n2 = 3, m = 2
    assert (b["n1"], b["n2"], b["m"], b["retained"]) == (3, 3, 2, 5)
    assert b["available"] and b["estimate"] == pytest.approx(4 * 4 / 3 - 1, abs=1e-4)
    assert capture.estimate(cand, status, ops, survey_available=False) == {
        "programmes": ["fse"], "retained": 5, "confidence": 0.95, "available": False, "reason": "sans enquête"}


# ------------------------------------------------------------------------------ ranking

def _features(n=40, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, n)
    b = rng.integers(0, 2, n)
    counts = pd.DataFrame({"hits_a": a, "hits_b": b * 3})
    groups = [Group("a", "Groupe A", ("a",), preidentify=True), Group("b", "Groupe B", ("b",), preidentify=False)]
    actor = pd.Series([pd.NA] * n, dtype=object)
    return ranking.build_features(counts, groups, None, [], actor), a, b


def test_rule_score_and_signals():
    f, a, b = _features()
    m = ranking.fit(None, None, f)
    assert m.method == "regles"
    r = ranking.rank(f, m)
    assert r["score"].tolist() == (2.0 * a + 1.0 * b).tolist()
    assert r["rank"].min() == 1 and sorted(r["rank"]) == list(range(1, len(a) + 1))
    i = int(np.flatnonzero((a == 1) & (b == 1))[0])
    assert r.loc[i, "signals"] == "Groupe A (+2.00) ; Groupe B (+1.00)"
    assert (f.strong == (a == 1)).all()


def test_model_learns_and_is_deterministic():
    f, a, b = _features(200, seed=1)
    y = ((b == 1) & (np.arange(200) % 5 != 0)).astype(int)        # retained follow group B, not A
    m1, m2 = ranking.fit(f, y, f), ranking.fit(f, y, f)
    assert m1.method == "modele" and m1.weights == m2.weights
    assert m1.weights["kw_b"] > 1 > abs(m1.weights["kw_a"])
    ev = ranking.evaluate(f, y, reviewed=int(y.sum()))
    assert ev == ranking.evaluate(f, y, reviewed=int(y.sum()))
    assert ev["folds"] == 5 and ev["k"] == int(y.sum())
    # the keyword-only reading follows group A (the strong one) in file order: it finds fewer
    assert ev["recall_model"] > ev["recall_keywords"]
    assert ev["recall_model"] >= 0.7          # ties among group-B operations cost a few


def test_model_needs_both_classes():
    f, a, b = _features()
    assert ranking.fit(f, np.zeros(len(a), int), f).method == "regles"
    ev = ranking.evaluate(f, np.r_[1, np.zeros(len(a) - 1, int)], reviewed=5)
    assert ev["folds"] == 0 and ev["recall_model"] is None


# ------------------------------------------------------------------------------ narrative

RANKING_KF = {"method": "modele", "training_wave": "2017", "intercept": -4.0, "operations": 900, "scored": 900,
              "weights": [{"signal": "Innovation sociale", "feature": "kw_innovation_sociale", "weight": 2.5},
                          {"signal": "Porteur : acteur de l'écosystème", "feature": "actor", "weight": 1.25},
                          {"signal": "Innovation", "feature": "kw_innovation", "weight": -0.5}],
              "evaluation": {"k": 168, "operations": 7268, "retained": 102, "preidentified": 150,
                             "recall_keywords": 0.5, "recall_rules": 0.6, "folds": 5, "recall_model": 0.75,
                             "wave": "2017"}}


def _render(cap):
    from isnote import narrative
    from isnote.config import load_params
    kf = {"ranking": RANKING_KF, "capture": cap}
    return narrative.render_for("methode_classement", load_params("params/demo.yaml"), kf)


def test_method_text_with_estimate():
    text = _render({"available": True, "confidence": 0.95, **capture.chapman(60, 20, 15)})
    flat = text.replace("\u202f", " ").replace("\xa0", " ")
    assert "168" in flat and "75,0 %" in flat and "50,0 %" in flat and "à 95 %" in flat
    assert "Chapman" in text and "79" in text and "70 à 105" in text and "environ 19" in text
    assert "« innovation sociale »" in flat and "(2,50)" in flat and "(-0,50)" not in flat
    assert "{{" not in text and "None" not in text


def test_method_text_without_survey():
    ops, cand, status = _frames()
    text = _render(capture.estimate(cand, status, ops, survey_available=False))
    assert "ne peut pas être chiffrée" in text and "Chapman" not in text
    assert "aucune opération de cette vague" not in text


def test_method_text_when_nothing_was_preidentified():
    import copy
    kf = copy.deepcopy(RANKING_KF)
    kf["evaluation"]["preidentified"] = 0
    from isnote import narrative
    from isnote.config import load_params
    text = narrative.render_for("methode_classement", load_params("params/demo.yaml"),
                                {"ranking": kf, "capture": {"available": False, "reason": "sans enquête"}})
    assert "aucune opération de cette vague n'était pré-identifiée" in text and "contre" not in text


def test_screen_learns_from_previous_wave():
    from isnote import screening as sc
    from isnote.config import PROJECT_ROOT, Params
    n = 40
    titles = ["Projet d'innovation sociale"] * 10 + ["Action innovante"] * 10 + ["Accompagnement"] * 20
    prev = pd.DataFrame({"op_id": [f"2017{i:05d}" for i in range(n)], "programme": "fse", "wave": "2017",
                         "title": titles, "beneficiary": "Association"})
    cur = prev.assign(op_id=[f"2019{i:05d}" for i in range(n)], wave="2019")
    # the reviewer retained the "innovation sociale" ones and 2 of the others, set aside the rest he read
    decision = ["retenue"] * 10 + ["ecartee"] * 10 + ["retenue"] * 2 + [""] * 18
    register = pd.DataFrame({"op_id": prev["op_id"], "programme": "fse", "vague": "2017", "decision": decision})
    params = Params({"current_wave": "2019", "previous_wave": "2017",
                     "waves": {"2017": {"label": "a"}, "2019": {"label": "b"}},
                     "keywords": "params/keywords_note_2019.yaml", "actors": "params/actors_note_2019.yaml",
                     "typology": "params/typology.yaml"}, PROJECT_ROOT / "params" / "t.yaml")
    res = sc.screen(pd.concat([prev, cur], ignore_index=True), None, None, register, params)
    kf = res.ranking_kf
    assert kf["method"] == "modele" and kf["training_wave"] == "2017"
    w = {x["feature"]: x["weight"] for x in kf["weights"]}
    assert w["kw_innovation_sociale"] > 0 and w["kw_innovation_sociale"] > w["kw_innovation"]
    ev = kf["evaluation"]
    assert ev["k"] == 22 and ev["retained"] == 12 and ev["preidentified"] == 20
    top = res.ranking.head(10)
    assert top["op_id"].str[4:].astype(int).max() < 10           # the "innovation sociale" operations first
    assert res.ranking.equals(sc.screen(pd.concat([prev, cur], ignore_index=True), None, None, register,
                                        params).ranking)

"""Candidates, survey references, continuations, suggestions and the funnel (isnote.screening)."""

from __future__ import annotations

import pandas as pd
import pytest

from isnote import screening as sc
from isnote.config import PROJECT_ROOT, load_params
from isnote.errors import InputError

from review_fixtures import small


@pytest.fixture(scope="module")
def params():
    return load_params(None)


@pytest.fixture(scope="module")
def result(params):
    return sc.screen(small.operations(), small.survey(), small.lot5(), small.register(), params)


# ------------------------------------------------------------------------------ survey numbers

@pytest.mark.parametrize("text, expected", [
    ("201712345", ["201712345"]),
    ("n° 201712345", ["201712345"]),
    ("n°201712345.", ["201712345"]),
    ("dossier 2017 12345", ["201712345"]),
    ("MDFSE-201712345", ["201712345"]),
    ("201 712 345", ["201712345"]),
    ("201.712.345", ["201712345"]),
    ("2017\u00a012345", ["201712345"]),
    ("201712345, 201712346 et 201712347/201712348", ["201712345", "201712346", "201712347", "201712348"]),
    ("201712345 201712346", ["201712345", "201712346"]),
    ("2017 12345 2017 12346", ["201712345", "201712346"]),
    ("201712345-201712346", ["201712345", "201712346"]),
    ("opérations 2017 et 2018 : dossier n° 2018 00042", ["201800042"]),
    ("12 201712345", ["201712345"]),
    ("tél. 01 23 45 67 89", []),
    ("SIRET 12345678901234", []),
    ("2017123456", []),
    ("aucune", []),
    (None, []),
])
def test_extract_survey_numbers(text, expected):
    got = sc.extract_survey_numbers(pd.Series([text], dtype=object))
    assert got["op_id"].tolist() == expected
    assert (got["index"] == 0).all()


def test_survey_references_status(result):
    refs = result.survey_refs
    status = dict(zip(refs["op_id"], refs["status"]))
    assert status == {"201900004": sc.REF_IN_WAVE, "201700002": sc.REF_OUT_OF_WINDOW,
                      "999999999": sc.REF_NOT_FOUND}
    # one row per respondent and number; the raw text kept
    assert len(refs) == 4 and set(refs["raw"]) >= {"2017 00002", "2019 00004"}
    assert list(refs.columns) == ["respondent_id", "raw", "op_id", "status", "programme", "wave"]


def test_survey_reference_to_an_excluded_operation_is_out_of_window(params):
    excluded = pd.DataFrame({"op_id": ["999999999"], "reason": ["hors fenêtre des vagues"]})
    r = sc.screen(small.operations(), small.survey(), small.lot5(), small.register(), params, excluded=excluded)
    assert r.survey_refs.set_index("op_id").loc["999999999", "status"] == sc.REF_OUT_OF_WINDOW


# ------------------------------------------------------------------------------ candidates

def test_candidates_sources(result):
    c = result.candidates.set_index("op_id")
    assert set(c.index) == {"201900001", "201900003", "201900004", "201900005", "201900006",
                            "201900101", "201900102"}
    assert c.loc["201900001", "src_text"] and not c.loc["201900001", "src_actor"]
    assert c.loc["201900003", "src_actor"] and c.loc["201900003", "actor"] == "CRESS"
    assert c.loc["201900004", "src_survey"] and not c.loc["201900004", "preidentified"]
    assert c.loc["201900101", "src_lot5"] and c.loc["201900101", "sources"] == "lot 5"
    assert c.loc["201900006", "sources"] == "texte"
    # "Rénovation" is not "innovation"; wave-2017 operations are not candidates of 2019
    assert "201900002" not in c.index and "201700001" not in c.index
    # an operation of a beneficiary retained before, found by no source, is not a candidate
    assert "201900008" not in c.index
    assert (c["wave"] == "2019").all()


def test_continuation_by_close_name(result):
    c = result.candidates.set_index("op_id")
    # "Compagnon Batisseurs Aquitaine" (2019) ~ "Compagnons Bâtisseurs Aquitaine" (retained in 2017)
    assert c.loc["201900005", "continuation"] and c.loc["201900005", "continuation_of"] == "201700001"
    assert c.loc["201900005", "sources"] == "texte"              # a flag shown apart, not a source
    assert "vague 2017 · même bénéficiaire retenu : 201700001" in c.loc["201900005", "evidence"]
    # "Régie du Sud" had an operation in 2017, but it was set aside: no continuation
    assert not c["continuation"].drop("201900005").any()


def test_hits_evidence_scores_and_category(result, params):
    c = result.candidates.set_index("op_id")
    assert c.loc["201900001", "hits_innovation_sociale"] == 1
    assert c.loc["201900001", "hits_critere_experimentation"] == 2        # expérimentation, essaimage
    assert c.loc["201900001", "score_experimentation"] == 2
    assert c.loc["201900001", "score_besoin"] == 1                        # innovation sociale -> reponse_nouvelle
    assert c.loc["201900102", "score_experimentation"] == 1               # projet pilote
    assert "intitulé · Innovation sociale / socialement innovant · «" in c.loc["201900001", "evidence"]
    assert "innovation sociale pour l emploi" in c.loc["201900001", "evidence"]
    assert c.loc["201900006", "suggested_category"] == "evaluation_impact_social"
    assert c.loc["201900006", "category_rule"] == "mesure ou évaluation de l'impact social"
    assert c.loc["201900004", "suggested_category"] == "socialement_innovantes"     # fallback rule
    for col in ("score_besoin", "score_experimentation", "score_implication", "score_effets"):
        assert c[col].between(0, 2).all()


def test_candidates_schema(result, params):
    cols = set(result.candidates.columns)
    expected = {"op_id", "programme", "wave", "src_text", "src_actor", "src_survey", "src_lot5",
                "preidentified", "sources", "continuation", "continuation_of", "evidence", "actor",
                "score_besoin", "score_experimentation", "score_implication", "score_effets",
                "suggested_category", "category_rule"}
    groups = params.yaml("keywords")["groups"]
    assert expected | {f"hits_{g}" for g in groups} <= cols
    assert result.candidates[["programme", "op_id"]].equals(
        result.candidates[["programme", "op_id"]].sort_values(["programme", "op_id"]).reset_index(drop=True))


def test_suggest_category_first_rule_wins(params):
    docs = pd.Series(["etude d impact de l incubateur", "incubateur et ptce", "territoire zero chomeur", "autre"])
    out = sc.suggest_category(docs, params.yaml("typology"))
    assert out["suggested_category"].tolist() == ["evaluation_impact_social", "entrepreneuriat_social",
                                                  "innovation_sociale_territoriale", "socialement_innovantes"]


# ------------------------------------------------------------------------------ funnel, key figures

def test_funnel(result):
    f = result.funnel
    assert f["fse"] == {**f["fse"], "analysed": 8, "preidentified": 4, "added_survey": 1, "added_lot5": 0,
                        "candidates": 5, "reviewed": 2, "retained": 1, "continuations": 1}
    assert f["iej"] == {**f["iej"], "analysed": 2, "preidentified": 1, "added_lot5": 1, "candidates": 2,
                        "reviewed": 1, "retained": 1, "lot5_in_wave": 1, "lot5_retained": 1}
    assert f["survey_refs"] == {"named": 3, "in_wave": 1, "not_found": 1, "out_of_window": 1}
    assert f["lot5_listed"] == 3


def test_key_figures_shape(result):
    kf = result.key_figures
    assert set(kf) == {"fse", "iej"}
    assert {"analysed", "preidentified", "retained"} <= set(kf["fse"]["2019"])
    assert {"analysed", "retained", "lot5_listed", "lot5_retained"} <= set(kf["iej"]["2019"])
    assert kf["iej"]["2019"]["lot5_listed"] == 3 and kf["iej"]["2019"]["retained"] == 1
    assert all(isinstance(v, int) for v in kf["fse"]["2019"].values())


def test_retained_counts_only_current_wave_in_scope(params):
    reg = small.register()
    extra = reg.iloc[[0]].copy()
    extra[["op_id", "vague", "decision", "categorie"]] = ["201900099", "2019", "retenue", "socialement_innovantes"]
    reg = pd.concat([reg, extra], ignore_index=True)       # an operation that is not in the data
    r = sc.screen(small.operations(), small.survey(), small.lot5(), reg, params)
    assert r.funnel["fse"]["retained"] == 1


def test_screen_without_survey_lot5_or_register(params):
    r = sc.screen(small.operations(), None, None, None, params)
    assert r.funnel["fse"]["added_survey"] == 0 and r.funnel["fse"]["retained"] == 0
    assert not r.candidates["continuation"].any()
    assert r.survey_refs.empty


def test_screen_missing_column_is_an_input_error(params):
    with pytest.raises(InputError, match="beneficiary"):
        sc.screen(small.operations().drop(columns=["beneficiary"]), None, None, None, params)


# ------------------------------------------------------------------------------ on the demo dataset

def check_demo_figures(params) -> None:
    """Screening of the demo data reproduces the published `screening` figures (and 224)."""
    import yaml

    from isnote import ingest
    from isnote.review import read_register

    data = ingest.run(params)
    register = read_register(params.path("review_register"), params, data.operations)
    r = sc.screen(data.operations, data.survey, data.lot5, register, params, excluded=data.excluded)
    published = yaml.safe_load((PROJECT_ROOT / "tests" / "fixtures" / "published_figures.yaml")
                               .read_text(encoding="utf-8"))["screening"]
    for prog, waves in published.items():
        for wave, figures in waves.items():
            for key, value in figures.items():
                assert r.key_figures[prog][wave][key] == value, (prog, wave, key)
    assert r.funnel["fse"]["preidentified"] == 224
    # every candidate of the demo has been reviewed, so the review workbook starts empty
    assert r.funnel["fse"]["reviewed"] == r.funnel["fse"]["candidates"]


def test_demo_screening_figures(params):
    if not params.path("review_register").exists():
        pytest.skip("demo dataset not generated (make demo-data)")
    check_demo_figures(params)

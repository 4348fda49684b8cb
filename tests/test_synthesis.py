"""Synthesis facts (isnote.synthesis), the synthesis page and the RAMO summary from one source."""

import copy
import json
from pathlib import Path

import pytest

from isnote import narrative, synthesis
from isnote.config import load_params
from isnote.frnum import fmt_int, fmt_pct
from isnote.frwords import fmt_amount, number_words, sentence_start

HERE = Path(__file__).resolve().parent
KF = json.loads((HERE / "note_fixtures" / "key_figures.json").read_text(encoding="utf-8"))
AXES_2017 = {"axe1": {"ct": 12.55, "n_ops": 24}, "axe2": {"ct": 3.48, "n_ops": 9}, "axe3": {"ct": 12.59, "n_ops": 58}}


@pytest.fixture
def params():
    return load_params("params/demo.yaml")


@pytest.fixture
def kf():
    data = copy.deepcopy(KF)
    data["retained"]["fse"]["2017"].update(copy.deepcopy(AXES_2017))
    return data


def test_axis_changes_and_threshold(params, kf):
    f = synthesis.facts(params, kf)
    by_axe = {a["axe"]: a for a in f["axes"]}
    assert fmt_pct(by_axe["1"]["part_precedente"]) == "43,9\u00a0%"
    # the change is the difference of the shares as shown
    shown = float(fmt_pct(by_axe["1"]["part"]).split("\u00a0")[0].replace(",", "."))
    assert by_axe["1"]["ecart_points"] == pytest.approx(shown - 43.9)
    assert {a["axe"] for a in f["axes_commentes"]} == {"1", "3"}        # both move by more than 5 points
    params["synthesis_change_points"] = 20
    assert synthesis.facts(params, kf)["axes_commentes"] == []


def test_lessons_follow_the_figures(params, kf):
    keys = synthesis.facts(params, kf)["lecons_cles"]
    assert "part_modeste" in keys and "perception_partagee" in keys
    kf["survey"]["shares"]["oui"] = 0.7
    params["synthesis_modest_share"] = 0.01
    keys = synthesis.facts(params, kf)["lecons_cles"]
    assert "perception_partagee" not in keys and "part_modeste" not in keys


def test_synthesis_and_ramo_share_their_figures(params, kf):
    f = synthesis.facts(params, kf)
    page = narrative.render_for("synthese", params, kf)
    ramo = narrative.ramo_text(params, kf)
    for value in (fmt_int(f["fse"]["retenues"]), fmt_amount(f["fse"]["cout"]), fmt_pct(f["enquete"]["oui"])):
        assert value in page and value in ramo.replace(" %", "\u00a0%"), value
    assert "axe 1 passe de 43,9\u00a0% à" in page
    params["synthesis_change_points"] = 20
    assert "stable" in narrative.render_for("synthese", params, kf)


def test_synthesis_without_previous_wave(params, kf):
    params["previous_wave"] = None
    page = narrative.render_for("synthese", params, kf)
    assert "Ce qui a changé" not in page and "Enseignements principaux" in page


def test_french_words():
    assert number_words(224) == "deux-cent-vingt-quatre"
    assert number_words(80) == "quatre-vingts" and number_words(71) == "soixante-et-onze"
    assert sentence_start(0, "participant", "participants") == "Aucun participant"
    assert sentence_start(12, "opération", "opérations", feminine=True) == "Douze opérations"
    assert fmt_amount(0.042145) == "42\u00a0k€" and fmt_amount(38.21) == "38,2\u00a0M€"
    assert fmt_amount(0.0005) == "500\u00a0€"


def test_synthesis_without_fse_figures(params, kf):
    for block in ("volumes", "retained", "screening", "pon_totals", "by_type"):
        kf[block].pop("fse", None)
    page = narrative.render_for("synthese", params, kf)
    assert "ne figurent pas" in page


def test_synthesis_of_a_fse_plus_run_without_iej():
    """FSE+ 2021-2027: no IEJ column or phrase, the short name from the parameters, and the
    operations are those that started in the window (waves on start dates)."""
    p = load_params("params/liste_operations_2021_2027.yaml")
    kf = json.loads((HERE / "fixtures" / "real_lists" / "key_figures_liste_operations_2021_2027.json")
                    .read_text(encoding="utf-8"))
    page = narrative.render_for("synthese", p, kf)
    assert "IEJ" not in page and "PON" not in page
    assert "| Chiffre clé | FSE+ |\n" in page
    assert "opérations du FSE+ ayant démarré du 1er janvier 2022" in page
    assert "programmées du" not in page
    # the shipped register holds no decision yet: the page says the review has not started, and
    # draws no « 0 relèvent… » sentence, no change since the previous wave and no lesson from zeros
    assert "revue n’a pas encore commencé" in page
    assert "0 relèvent" not in page and "Ce qui a changé" not in page and "part modeste" not in page


def test_synthesis_of_the_demo_keeps_both_programmes(params, kf):
    page = narrative.render_for("synthese", params, kf)
    assert "| Chiffre clé | PON FSE | PON IEJ |" in page and "Parmi les opérations programmées du" in page

"""Reader text without tool talk (isnote.readertext): the scan, the source lines, the demo note."""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from isnote import readertext
from isnote.config import load_params


@pytest.mark.parametrize("text, token", [
    ("La commande make review produit un classeur", "make r"),
    ("Source : params/actors.yaml", ".yaml"),
    ("Lecture de operations_pon_fse.csv", ".csv"),
    ("lot5_in_wave : 3", "lot5_in_wave"),
    ("retained_not_candidate", "retained_not_candidate"),
    ("traitement isnote", "isnote"),
    ("voir le module note.py", ".py"),
    ("innovant(?:e|s|es)?", "(?:"),
    (r"\binnov", r"\b"),
    ("innovations? sociales?", "s? "),
])
def test_tool_talk_found(text, token):
    found = [t for t, _ in readertext.tool_talk(text)]
    assert any(token in t for t in found), found


@pytest.mark.parametrize("text", [
    "Make Sense accompagne des entrepreneurs sociaux.",                # an actor's name, not a command
    "Le FSE a-t-il favorisé l’émergence d’innovations sociales\u00a0?",
    "Document produit le 2 janvier 2025 à 10:30 (Vague 2019).",
    "Opérations ou démarches socialement innovantes (OS 3913, axe 3).",
    "Données de suivi du PON FSE, extraction du 9 mars 2019",
])
def test_plain_french_is_not_tool_talk(text):
    assert readertext.tool_talk(text) == []


def test_source_lines_name_the_data():
    params = load_params("params/demo.yaml")
    line = readertext.source_line(params, "operations", "fse")
    assert line.startswith("Données de suivi du PON FSE, extraction du 9 mars 2019")
    assert "synthétiques" in line and "revue" in line
    assert readertext.source_line(params, "data") .startswith("Données de suivi des PON FSE et IEJ")
    assert readertext.source_line(params, "survey").startswith("Enquête auprès des gestionnaires de l’axe 3")
    for kind in ("data", "operations", "screening", "survey"):
        assert readertext.tool_talk(readertext.source_line(params, kind)) == []
    real = dict(params, synthetic=False)
    assert "synthétiques" not in readertext.source_line(real, "operations")


def test_source_lines_use_the_short_names_of_the_parameters():
    params = load_params("params/liste_operations_2021_2027.yaml")
    line = readertext.source_line(params, "operations", "fse")
    # a published list is named as the title page names it, not as a monitoring extract
    assert line.startswith("Liste publiée des opérations du FSE+, arrêtée au 16 mars 2026"), line
    assert readertext.source_line(params, "data").startswith("Liste publiée des opérations du FSE+,")
    assert readertext.data_phrase(params) == "liste des opérations arrêtée"
    assert "PON" not in line
    two = {"programmes": {"fse": 1, "ftj": 1}, "programmes_short": {"fse": "FSE+", "ftj": "FTJ"}}
    assert readertext.source_line(two, "data") == "Données de suivi du FSE+ et du FTJ"
    assert readertext.programme_short({}, "iej") == "PON IEJ"


def test_files_are_named_by_what_they_hold():
    params = load_params("params/demo.yaml")
    names = readertext.name_files(["operations_pon_fse.csv", "data/demo/iej_lot5.csv", "autre.csv"], params)
    assert names == ["Opérations programmées du PON FSE", "Liste des projets du lot 5 de l’évaluation de l’IEJ",
                     "autre.csv"]

    fse_plus = load_params("params/liste_operations_2021_2027.yaml")
    assert readertext.role_label("inputs.operations", fse_plus) == "Opérations programmées"
    assert readertext.role_label("inputs.operations.fse", fse_plus) == "Opérations programmées du FSE+"
    assert readertext.role_label("operations.fse[2]", fse_plus) == "Opérations programmées du FSE+"
    assert readertext.role_label("operations.iej", params) == "Opérations programmées du PON IEJ"


@pytest.mark.slow
def test_demo_note_has_no_tool_talk(built_report):
    soup = BeautifulSoup(built_report.note_html.read_text(encoding="utf-8"), "html.parser")
    text = "\n".join(readertext.note_text_nodes(soup))
    assert readertext.tool_talk(text) == []
    for word in ("traitement isnote", "make review", "Source : params", "in_wave", "lot5_in_wave"):
        assert word not in text, word
    # the technical detail went to the reviewer's technical annex
    tech = (built_report.root / "annexe_technique.html").read_text(encoding="utf-8")
    assert "innovations? sociales?" in tech and "operations_pon_fse.csv" in tech
    assert "Opérations du lot 5 programmées dans la vague" in tech and "params/keywords_note_2019.yaml" in tech

"""Section texts of the result notebooks name the programme from the parameters (`programmes_short`)
and announce only the sources the run has: no 2014-2020 wording (PON FSE, PON IEJ, lot 5, survey
of axis 3) in the FSE+ 2021-2027 note, the demo wording unchanged."""

import json
from pathlib import Path

import nbformat
import pytest

from isnote import narrative, note
from isnote.config import load_params

HERE = Path(__file__).resolve().parent
KF_2127 = json.loads((HERE / "fixtures" / "real_lists" / "key_figures_liste_operations_2021_2027.json")
                     .read_text(encoding="utf-8"))
KF_DEMO = json.loads((HERE / "note_fixtures" / "key_figures.json").read_text(encoding="utf-8"))
SECTIONS = ("fse_partie", "fse_bilan_titre", "fse_programme", "typologie_repartition", "methode_sources")


@pytest.fixture(scope="module")
def fse_plus():
    params = load_params("params/liste_operations_2021_2027.yaml")
    return {name: narrative.render_for(name, params, KF_2127) for name in SECTIONS}


@pytest.fixture(scope="module")
def demo():
    params = load_params("params/demo.yaml")
    kf = dict(KF_DEMO, perimeter={"survey": True, "lot5": True})
    return {name: narrative.render_for(name, params, kf) for name in SECTIONS}


def test_fse_plus_sections_speak_of_the_fse_plus(fse_plus):
    whole = "\n".join(fse_plus.values())
    for old in ("PON", "IEJ", "lot 5", "axe 3", "enquête"):
        assert old not in whole, old
    assert fse_plus["fse_partie"].startswith("# 5. Le soutien du FSE+ à l'innovation sociale")
    assert "sur le FSE+" in fse_plus["fse_bilan_titre"]
    assert "pour chaque OS de l'axe 4." in fse_plus["fse_programme"]
    assert "Une autre source complète la recherche textuelle" in fse_plus["methode_sources"]


def test_demo_sections_keep_their_wording(demo):
    assert demo["fse_partie"] == (
        "# 5. Le soutien du PON FSE à l'innovation sociale\n\nCette partie chiffre les opérations du PON FSE "
        "retenues, les illustre par des extraits de la liste et des fiches de projets, puis rend compte de "
        "l'avis des gestionnaires de l'axe 3.\n")
    assert "pour chaque OS de l'axe 3. Les parts" in demo["fse_programme"]
    assert "Trois autres sources complètent" in demo["methode_sources"]
    assert ("gestionnaires ;\npour le PON IEJ, la liste des projets examinés par le lot 5 de l'évaluation "
            "d'impact. Enfin, les\n") in demo["methode_sources"]


def test_several_detailed_axes():
    params = dict(load_params("params/demo.yaml"), table4_detail_axes=["1", "3", "4"])
    text = narrative.render_for("fse_programme", params, KF_DEMO)
    assert "par axe et pour chaque OS des axes 1, 3 et 4. Les parts" in text
    params["table4_detail_axes"] = []
    assert "par axe. Les parts" in narrative.render_for("fse_programme", params, KF_DEMO)


def test_section_text_becomes_a_markdown_cell_of_the_note():
    md = {"output_type": "display_data", "data": {"text/markdown": "# 5. Titre\n\nTexte.", "text/plain": "x"},
          "metadata": {narrative.AS_CELL_KEY: True}}
    html = {"output_type": "display_data", "data": {"text/html": '<div class="isn-x">t</div>'}, "metadata": {}}
    nb = nbformat.from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "a", "metadata": {}, "execution_count": 1, "source": "", "outputs": [html, md]},
    ]})
    cells = note.filter_notebook(nb, "t.ipynb", [])
    assert [c["cell_type"] for c in cells] == ["code", "markdown"]
    assert cells[1]["source"] == "# 5. Titre\n\nTexte."

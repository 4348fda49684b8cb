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
    assert "participants" not in fse_plus["fse_programme"]                 # the list counts no participants
    assert "Une autre source complète la recherche textuelle" in fse_plus["methode_sources"]


def test_demo_sections_keep_their_wording(demo):
    assert demo["fse_partie"] == (
        "# 5. Le soutien du PON FSE à l'innovation sociale\n\nCette partie chiffre les opérations du PON FSE "
        "retenues, les illustre par des extraits de la liste et des fiches de projets, puis rend compte de "
        "l'avis des gestionnaires de l'axe 3.\n")
    assert "pour chaque OS de l'axe 3. Les parts" in demo["fse_programme"]
    assert "programme : participants enregistrés,\nnombre" in demo["fse_programme"]
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


def test_additions_of_the_screening_follow_the_inputs():
    from isnote import readertext
    assert readertext.additions_phrase(None) == " avec les ajouts de l'enquête et du lot 5"
    assert readertext.additions_phrase({"survey": True, "lot5": False}) == " avec les ajouts de l'enquête"
    assert readertext.additions_phrase({"survey": False, "lot5": False}) == ""


def test_screening_tables_drop_the_rows_of_absent_inputs():
    import pandas as pd
    from isnote import screening as sc
    funnel = {"fse": {"analysed": 64, "added_survey": 0, "added_lot5": 0, "candidates": 11}}
    demo = sc.funnel_table(funnel, {"fse": "PON FSE"})
    assert demo["Étape"].str.contains("lot 5").any() and demo["Étape"].str.contains("enquête").any()
    none = sc.funnel_table(funnel, {"fse": "FSE+"}, {"survey": False, "lot5": False})
    assert not none["Étape"].str.contains("lot 5|enquête").any() and len(none) == len(demo) - 2
    cand = pd.DataFrame({"programme": ["fse"], "src_text": [True], "src_actor": [False], "src_survey": [False],
                         "src_lot5": [False], "continuation": [False]})
    rows = sc.sources_table(cand, {"fse": "FSE+"}, {"survey": False, "lot5": False})["Source"].tolist()
    assert rows == ["Mots-clés dans les textes", "Nom du porteur (acteurs de l'écosystème)",
                    "Porteur retenu à la vague précédente"]
    assert len(sc.sources_table(cand, {"fse": "PON FSE"})) == 5


def test_method_annex_names_the_programme_and_only_the_inputs_present(tmp_path):
    from bs4 import BeautifulSoup
    from isnote import annexes
    from isnote.config import Layout
    layout = Layout(tmp_path).ensure()
    (layout.clean / "funnel.json").write_text(json.dumps({"fse": {
        "analysed": 64, "added_survey": 0, "added_lot5": 0, "lot5_listed": 0, "survey_in_wave": 0,
        "candidates": 11}}), encoding="utf-8")
    params = load_params("params/liste_operations_2021_2027.yaml")
    table = BeautifulSoup(annexes.method_html(params, layout, {"survey": False, "lot5": False}),
                          "html.parser").find(id="annexe-entonnoir") or BeautifulSoup(
        annexes.method_html(params, layout, {"survey": False, "lot5": False}), "html.parser")
    text = table.get_text(" ")
    assert "FSE+" in text and "PON" not in text and "lot 5" not in text and "enquête" not in text
    demo = annexes.method_html(load_params("params/demo.yaml"), layout)
    assert "PON FSE" in demo and "lot 5" in demo


def test_project_sheet_names_the_programme_from_the_parameters():
    params = load_params("params/liste_operations_2021_2027.yaml")
    row = {"op_id": "X1", "title": "Titre", "programme": "fse", "os": "ESO4.1"}
    assert "FSE+" in note.fiche_html(row, {}, params) and "PON" not in note.fiche_html(row, {}, params)
    assert "PON FSE" in note.fiche_html(row, {})


def test_exclusions_sentence_for_extracts_and_lists():
    from isnote import readertext
    assert readertext.exclusions_sentence(62, 43) == (
        "Ont été écartées des extractions 62 opérations d'assistance technique et 43 opérations programmées "
        "hors des fenêtres des vagues (rappelées en annexe B).")
    listed = {"wave_date_label": "date de début de l'opération"}
    assert readertext.exclusions_sentence(0, 0, listed) == (
        "Aucune opération n'a été écartée de la liste au titre de l'assistance technique ou des fenêtres "
        "des vagues (rappelées en annexe B).")
    assert readertext.exclusions_sentence(0, 1, listed) == (
        "Ont été écartées de la liste 1 opération dont la date de début de l'opération tombe hors des fenêtres "
        "des vagues (rappelées en annexe B).")
    assert readertext.exclusions_sentence(9, 0, listed) == (
        "Ont été écartées de la liste 9 opérations d'assistance technique.")


def test_title_page_names_the_wave_by_its_date():
    import datetime as dt
    info = note.title_info(load_params("params/liste_operations_2021_2027.yaml"), dt.datetime(2026, 1, 2))
    assert info["wave_window"].startswith("opérations ayant démarré du 1er janvier 2022")
    assert info["data_phrase"] == "liste des opérations arrêtée"
    demo = note.title_info(load_params("params/demo.yaml"), dt.datetime(2026, 1, 2))
    assert demo["wave_window"].startswith("opérations programmées du ")
    assert demo["data_phrase"] == "extraction de la base de suivi"
    # the running title is printed in the margins, where the text's typography pass does not go
    assert "'" not in demo["running_title"] and "’" in demo["running_title"]
    typed = note.title_info(dict(load_params("params/demo.yaml"), running_title="L'essai d'un titre"),
                            dt.datetime(2026, 1, 2))
    assert typed["running_title"] == "L’essai d’un titre"


def test_method_without_review_decisions_says_nothing_is_retained_yet():
    params = load_params("params/liste_operations_2021_2027.yaml")
    text = narrative.render_for("methode_reperage", params, KF_2127)
    assert "Aucune décision de revue n'est encore enregistrée : 11 opérations signalées restent à examiner" in text
    assert "0 ont été retenues" not in text
    demo = narrative.render_for("methode_reperage", load_params("params/demo.yaml"), KF_DEMO)
    assert "ont été retenues, soit" in demo and "Aucune décision" not in demo


def test_fse_results_of_a_list_without_decisions_nor_participants():
    params = load_params("params/liste_operations_2021_2027.yaml")
    text = narrative.render_for("fse_bilan", params, KF_2127)
    assert text.startswith("Aucune décision de revue n'est encore enregistrée pour cette vague")
    assert "opérations du FSE+ ayant démarré pendant la période" in text
    assert "participants enregistrés" not in text
    assert "Au terme de l'examen" not in text and "0 opérations" not in text     # no figures of zeros
    # credits named after the programme's fund (FSE+ here), when operations are retained
    kf = json.loads(json.dumps(KF_2127))
    kf["retained"]["fse"]["2025"]["total"].update(n_ops=2, ct=1.5, ue=0.6)
    kf["screening"]["fse"]["2025"]["reviewed"] = 3
    text = narrative.render_for("fse_bilan", params, kf)
    assert "de crédits FSE+" in text and "Aucune décision" not in text
    demo = narrative.render_for("fse_bilan", load_params("params/demo.yaml"),
                                dict(KF_DEMO, perimeter={"wave_date": "programming_date", "participants": True}))
    assert "opérations du PON FSE programmées pendant la période" in demo and "participants enregistrés" in demo
    assert "Aucune décision" not in demo


def test_signals_shown_are_those_the_data_can_raise():
    import pandas as pd
    from isnote.signals import StructuredSignal, applicable
    cat = StructuredSignal("cat", "Catégorie 138", "category_code", ("138",))
    os_old = StructuredSignal("os", "OS 3.9.1.3 du PON FSE 2014-2020", "os", ("3913",), preidentify=False)
    fse_plus = {"fse": {"os": {"ESO4.1": {}, "ESO4.11": {}}}}
    ops = pd.DataFrame({"category_code": ["138", None], "os": ["ESO4.1", "ESO4.11"]})
    assert [s.name for s in applicable([cat, os_old], ops, fse_plus)] == ["cat"]
    national = {"fse": {"os": {"3913": {}, "3911": {}}}}
    ops_2014 = pd.DataFrame({"os": ["3913", "3911"]})
    assert [s.name for s in applicable([cat, os_old], ops_2014, national)] == ["os"]   # no category column


def test_method_annex_says_which_keyword_groups_preidentify_as_the_screening_does(tmp_path):
    """The real-list keyword set says `role: strong|weak` (the demo's, the older `preidentify`):
    the reader's annex follows the screening's rule for both forms."""
    from bs4 import BeautifulSoup
    from isnote import annexes
    from isnote.config import Layout
    from isnote.textsearch import group_is_strong
    layout = Layout(tmp_path).ensure()
    for path in ("params/liste_operations_2021_2027.yaml", "params/demo.yaml"):
        params = load_params(path)
        groups = params.yaml("keywords")["groups"]
        soup = BeautifulSoup(annexes.method_html(params, layout), "html.parser")
        table = soup.find(id="tab-annexe-mots-cles").find("table")
        cells = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in table.find_all("tr")]
        rows = {c[0]: c[1] for c in cells if c}
        criteria = {c[0]: c[2] for c in cells if c}
        expected = {g.get("label", k): group_is_strong(g) for k, g in groups.items()}
        assert set(rows) == set(expected)
        assert {k: v == "pré-identification" for k, v in rows.items()} == expected
        # the screening section's table says the same, in the same words
        from isnote import screening
        from isnote.textsearch import compile_groups
        body = screening.groups_table(compile_groups(params.yaml("keywords")))
        assert dict(zip(body["Groupe de mots-clés"], body["Rôle"])) == rows
        assert dict(zip(body["Groupe de mots-clés"], body["Critère de la grille"])) == criteria
        assert any(expected.values()) and not all(expected.values())


def test_annexes_of_a_published_list_name_it_and_its_wave_date(tmp_path):
    """Annex B says 'liste publiée' and the date that places an operation in a wave; Annex A says
    that nothing is retained yet (not that the table is missing) and does not speak of two
    programmes when the run has one."""
    import pandas as pd
    from bs4 import BeautifulSoup
    from isnote import annexes
    from isnote.config import Layout
    layout = Layout(tmp_path).ensure()
    listed = load_params("params/liste_operations_2021_2027.yaml")
    text = BeautifulSoup(annexes.method_html(listed, layout), "html.parser").get_text(" ")
    assert "repose sur la liste publiée des opérations" in text and "données de suivi" not in text
    assert "contient sa date de début de l'opération" in text and "date de programmation" not in text
    demo = BeautifulSoup(annexes.method_html(load_params("params/demo.yaml"), layout), "html.parser").get_text(" ")
    assert "repose sur les données de suivi des programmes" in demo and "contient sa date de programmation" in demo

    empty = note.annex_list_html(pd.DataFrame(columns=["op_id", "programme", "wave"]), listed)
    assert "Aucune opération n’est retenue à ce stade" in empty and "pas disponible" not in empty
    assert "pas disponible" in note.annex_list_html(None, listed)
    one = pd.DataFrame({"op_id": ["A1"], "programme": ["fse"], "wave": ["2025"], "title": ["Titre"]})
    html = note.annex_list_html(one, listed)
    assert "deux programmes" not in html and "toutes les vagues d’analyse" in html
    assert "les deux programmes" in note.annex_list_html(one, load_params("params/demo.yaml"))

"""Facts of context kept in parameter files with their source (isnote.contextfacts): the national
financing of social innovation (end of section 2) and the lessons of the lot-5 study of the IEJ
evaluation (after the IEJ results). Parameter sets without the keys print no such block."""

import json
from pathlib import Path

import pytest
import yaml

from isnote import contextfacts, editorial, sections
from isnote.config import load_params
from isnote.errors import InputError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KF_DEMO = json.loads((HERE / "note_fixtures" / "key_figures.json").read_text(encoding="utf-8"))
REAL = {name: json.loads((HERE / "fixtures" / "real_lists" / f"key_figures_{name}.json").read_text(encoding="utf-8"))
        for name in ("liste_nationale_fse_2014_2020", "liste_operations_2021_2027")}


def _definition(params, kf):
    source = (ROOT / "content" / "02_definition.md").read_text(encoding="utf-8")
    return editorial.render(source, "content/02_definition.md", params, kf)[0]


def test_demo_facts_are_loaded_with_their_source():
    params = load_params("params/demo.yaml")
    ctx = contextfacts.context(params)
    assert ctx["financements"]["source"] and ctx["lot5"]["source"]
    amounts = {i["nom"]: i["montant_meur"] for i in ctx["financements"]["instruments"]}
    assert amounts["Fonds NovESS"] == 100 and amounts["Fonds d’innovation sociale (FISO), première génération"] == 20
    assert len(ctx["lot5"]["points"]) == 3


def test_demo_note_shows_the_national_financing_table_and_the_lot5_section():
    params = load_params("params/demo.yaml")
    text = _definition(params, KF_DEMO)
    assert "## Les financements nationaux de l’innovation sociale" in text
    assert "Tableau : Instruments nationaux de financement" in text
    assert "| Fonds NovESS | 100 M€ |" in text and "| 21 M€ |" in text
    assert "Source : note d’évaluation de 2019" in text
    cell = sections.lot5_lessons_cell(params, KF_DEMO)
    assert cell is not None and cell.source.startswith("## Ce qu’a appris le lot 5")
    assert cell.source.count("**") == 2 * 3 and "Source : lot 5 de l’évaluation d’impact de l’IEJ" in cell.source


@pytest.mark.parametrize("name, params_file", [
    ("liste_nationale_fse_2014_2020", "params/liste_nationale_fse_2014_2020.yaml"),
    ("liste_operations_2021_2027", "params/liste_operations_2021_2027.yaml"),
])
def test_real_list_parameter_sets_print_no_2019_facts(name, params_file):
    params = load_params(params_file)
    assert contextfacts.context(params) == {"financements": None, "lot5": None}
    assert sections.lot5_lessons_cell(params, REAL[name]) is None
    if not params.get("content_dir"):                 # the shared opening sections
        text = _definition(params, REAL[name])
        assert "financements nationaux" not in text and "M€ |" not in text


def test_no_lot5_section_without_iej(tmp_path):
    params = load_params("params/demo.yaml")
    kf = {k: v for k, v in KF_DEMO.items()}
    kf["perimeter"] = dict(kf.get("perimeter") or {}, programmes_present=["fse"])
    assert sections.lot5_lessons_cell(params, kf) is None


def test_a_facts_file_without_source_or_amount_is_refused(tmp_path):
    data = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text(encoding="utf-8"))
    bad = tmp_path / "f.yaml"
    bad.write_text("instruments:\n  - {nom: X, montant_meur: 3}\n", encoding="utf-8")
    data.update(national_financing=str(bad), output_dir=str(tmp_path / "out"))
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError, match="source"):
        contextfacts.load(load_params(tmp_path / "p.yaml"), "national_financing")
    bad.write_text("source: s\ninstruments:\n  - {nom: X, montant_meur: beaucoup}\n", encoding="utf-8")
    with pytest.raises(InputError, match="montant non numérique"):
        contextfacts.load(load_params(tmp_path / "p.yaml"), "national_financing")

"""Editorial text that cannot go stale (isnote.editorial): cited figures, approvals, STRICT."""

import copy
import json
from pathlib import Path

import pytest
import yaml

from isnote import editorial, narrative
from isnote.config import load_params

HERE = Path(__file__).resolve().parent
KF = json.loads((HERE / "note_fixtures" / "key_figures.json").read_text(encoding="utf-8"))

TEXT = """# Conclusions

Les {{ fse.retenues.nb }} opérations retenues totalisent {{ fse.retenues.cout }}, soit {{ fse.retenues.part_cout }} du programme.

Un paragraphe sans chiffre n’a pas besoin d’approbation.

L’axe 3 passe à {{ fse.axe3.part_cout }} ({{ fse.axe3.ecart_points }}) ; {{ enquete.oui }} des gestionnaires répondent oui.
"""


@pytest.fixture
def params(tmp_path):
    p = load_params("params/demo.yaml")
    p["editorial_approvals"] = str(tmp_path / "approbations.yaml")
    return p


def _changed(kf, ct):
    kf = copy.deepcopy(kf)
    kf["retained"]["fse"]["2019"]["total"]["ct"] = ct
    return kf


def test_cited_figures_in_french_format(params):
    text, paras = editorial.render(TEXT, "content/fin/essai.md", params, KF)
    r = KF["retained"]["fse"]["2019"]["total"]
    assert f"Les {r['n_ops']} opérations retenues totalisent 38,2\u00a0M€" in text
    assert "\ue000" not in text and "\ue001" not in text
    assert len(paras) == 2                                   # the paragraph without figures is not tracked
    assert paras[0].values == {"fse.retenues.nb": "106", "fse.retenues.cout": "38,2\u00a0M€",
                               "fse.retenues.part_cout": "2,2\u00a0%"}
    assert paras[1].values["fse.axe3.ecart_points"] == "–"   # the fixture has no axes for 2017
    kf = copy.deepcopy(KF)
    kf["retained"]["fse"]["2017"].update({"axe1": {"ct": 12.55}, "axe2": {"ct": 3.48}, "axe3": {"ct": 12.59}})
    _, paras = editorial.render(TEXT, "content/fin/essai.md", params, kf)
    assert paras[1].values["fse.axe3.ecart_points"].startswith("+") and "points" in paras[1].values[
        "fse.axe3.ecart_points"]


def test_unknown_figure_is_named(params):
    with pytest.raises(narrative.NarrativeError, match="fse.retenues.cout_total"):
        editorial.render("{{ fse.retenues.cout_total }}", "content/x.md", params, KF)


def test_unknown_figure_gives_the_line_of_the_text(params):
    text = "Premier paragraphe.\n\nDeuxième paragraphe, sans chiffre.\n\nLe coût : {{ fse.retenues.cout_total }}.\n"
    with pytest.raises(narrative.NarrativeError, match=r"texte « content/x\.md », ligne 5 : chiffre inconnu"):
        editorial.render(text, "content/x.md", params, KF)


def test_any_key_figure_through_chiffres(params):
    text, paras = editorial.render("{{ chiffres.volumes.fse['2019'].ct }}", "content/x.md", params, KF)
    assert text.strip() == "1\u202f704,0\u00a0M€" or text.strip().endswith("M€")
    assert list(paras[0].values) == ["chiffres.volumes.fse.2019.ct"]


def test_approval_cycle(params, monkeypatch):
    _, paras = editorial.render(TEXT, "content/fin/essai.md", params, KF)
    lock = editorial.read_lock(editorial.lock_path(params))
    assert {p.status for p in editorial.compare(paras, lock)} == {"non approuvé"}
    editorial.write_lock(paras, params)
    lock = editorial.read_lock(editorial.lock_path(params))
    _, paras = editorial.render(TEXT, "content/fin/essai.md", params, KF)
    assert {p.status for p in editorial.compare(paras, lock)} == {"à jour"}
    monkeypatch.setenv("STRICT", "1")
    editorial.check_strict(paras, params)                    # up to date: no error

    # a cited figure changes: only the paragraph that cites it is to re-read, and STRICT refuses
    _, paras = editorial.render(TEXT, "content/fin/essai.md", params, _changed(KF, 41.0))
    editorial.compare(paras, lock)
    assert [p.status for p in paras] == ["à relire", "à relire"]          # share of axis 3 changes too
    assert ("fse.retenues.cout", "38,2\u00a0M€", "41,0\u00a0M€") in paras[0].changes
    lines = editorial.messages(paras)
    assert "content/fin/essai.md" in lines[0] and "38,2\u00a0M€ → 41,0\u00a0M€" in lines[0]
    with pytest.raises(editorial.StaleText, match="make approve-text"):
        editorial.check_strict(paras, params)
    monkeypatch.setenv("STRICT", "0")
    editorial.check_strict(paras, params)                    # without STRICT the run only lists them

    # approving records the new values
    editorial.write_lock(paras, params)
    _, paras = editorial.render(TEXT, "content/fin/essai.md", params, _changed(KF, 41.0))
    assert {p.status for p in editorial.compare(paras, editorial.read_lock(editorial.lock_path(params)))} == {"à jour"}


def test_change_too_small_to_show_needs_no_rereading(params):
    _, paras = editorial.render(TEXT, "content/fin/essai.md", params, KF)
    editorial.write_lock(paras, params)
    ct = KF["retained"]["fse"]["2019"]["total"]["ct"]
    _, paras = editorial.render(TEXT, "content/fin/essai.md", params, _changed(KF, ct + 0.001))
    assert paras[0].status == "à jour" or editorial.compare(paras, editorial.read_lock(
        editorial.lock_path(params)))[0].status == "à jour"


def test_reworded_paragraph_is_new(params):
    _, paras = editorial.render(TEXT, "content/fin/essai.md", params, KF)
    editorial.write_lock(paras, params)
    _, paras = editorial.render(TEXT.replace("totalisent", "représentent"), "content/fin/essai.md", params, KF)
    statuses = [p.status for p in editorial.compare(paras, editorial.read_lock(editorial.lock_path(params)))]
    assert statuses == ["non approuvé", "à jour"]


def test_lock_file_is_readable_yaml(params):
    _, paras = editorial.render(TEXT, "content/fin/essai.md", params, KF)
    path = editorial.write_lock(paras, params)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = data["paragraphes"][paras[0].id]
    assert entry["valeurs"]["fse.retenues.cout"] == "38,2\u00a0M€" and entry["extrait"].startswith("Les 106")


def test_demo_content_is_approved():
    """The shipped conclusions cite figures and are approved for the demo's key figures."""
    params = load_params("params/demo.yaml")
    _, paras = editorial.render_all(params, KF)
    assert len([p for p in paras if p.file.startswith("content/fin/")]) >= 4
    lock = editorial.read_lock(editorial.lock_path(params))
    assert all(p.id in lock for p in paras)


def test_note_build_strict_refuses(tmp_path, monkeypatch):
    import sys
    sys.path.insert(0, str(HERE / "note_fixtures"))
    import builders

    from isnote import note

    params, layout = builders.make_run(tmp_path)
    params["editorial_approvals"] = str(tmp_path / "approbations.yaml")
    monkeypatch.setenv("STRICT", "1")
    with pytest.raises(editorial.StaleText, match="paragraphe"):
        note.build(params, layout, pdf=False, companions=False)
    assert not layout.note_html.exists()


def test_makefile_targets_pass_values_through_the_environment():
    text = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    assert "export PARAMS STRICT" in text
    block = text.split("approve-text:")[1].split("\n\n")[0]
    assert "isnote.editorial approve" in block and "$(PARAMS)" not in block


def test_lcfirst_on_a_cited_value_keeps_the_approval(params):
    lower, paras = editorial.render("Sur la {{ vague.libelle | lcfirst }}, {{ fse.retenues.nb }} opérations.",
                                    "content/x.md", params, KF)
    upper, paras_upper = editorial.render("Sur la {{ vague.libelle }}, {{ fse.retenues.nb }} opérations.",
                                          "content/x.md", params, KF)
    assert lower.startswith("Sur la vague 2019,") and upper.startswith("Sur la Vague 2019,")
    assert paras[0].values == paras_upper[0].values                    # the cited value is recorded as is
    assert paras[0].id == paras_upper[0].id                            # the wording skeleton is the same


def test_shares_are_percentages_even_when_named_after_an_amount(params):
    text, paras = editorial.render("{{ fse.retenues.part_ue }} ; {{ fse.retenues.ue }}", "content/x.md", params, KF)
    assert paras[0].values["fse.retenues.part_ue"].endswith("\u00a0%")
    assert paras[0].values["fse.retenues.ue"].endswith("M€")
    assert editorial._kind_of("participants") == "nb" and editorial._kind_of("share_ct") == "part"


def test_unknown_figure_names_the_text_once(params):
    with pytest.raises(narrative.NarrativeError) as exc:
        editorial.render("{{ fse.retenues.cout_total }}", "content/x.md", params, KF)
    assert str(exc.value).count("texte « content/x.md »") == 1, str(exc.value)
    with pytest.raises(narrative.NarrativeError) as exc:
        editorial.render("{{ fse.retenues }}", "content/x.md", params, KF)
    assert str(exc.value).count("texte «") == 1 and "groupe de chiffres" in str(exc.value)

"""Editorial sections written for the real-list runs (national list 2014-2020, FSE+ 2021-2027):
they render against the key figures of those runs (saved in tests/fixtures/real_lists/) without
any unknown figure, in every branch of their conditions, carry no 2014-2020 wording in the
2021-2027 note, and their approvals match the figures of the run."""

import copy
import json
import re
from pathlib import Path

import pytest

from isnote import editorial, narrative
from isnote.config import load_params

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "real_lists"
SETS = {
    "liste_nationale_fse_2014_2020": "params/liste_nationale_fse_2014_2020.yaml",
    "liste_operations_2021_2027": "params/liste_operations_2021_2027.yaml",
}


def _kf(run: str) -> dict:
    return json.loads((FIXTURES / f"key_figures_{run}.json").read_text(encoding="utf-8"))


def _render_all(params, kf) -> tuple[dict, list]:
    return editorial.render_all(params, kf)


def _with_retained(kf: dict, cw: str) -> dict:
    """The same figures with some retained operations (after a review)."""
    kf = copy.deepcopy(kf)
    for prog, block in kf["retained"].items():
        block[cw]["total"].update({"n_ops": 3, "ct": 1.25, "ue": 0.6})
    return kf


def _without_candidates(kf: dict, cw: str) -> dict:
    kf = copy.deepcopy(kf)
    for prog, block in kf["screening"].items():
        block[cw].update({"preidentified": 0, "candidates": 0})
    return kf


@pytest.mark.parametrize("run", sorted(SETS))
def test_own_sections_are_used(run):
    params = load_params(SETS[run])
    files = editorial.content_files(params)
    closing = [p for label, p in files if label.startswith("content/fin/")]
    assert [p.name for p in closing] == ["07_conclusions.md", "08_limites.md"]
    demo_closing = editorial.closing_base(load_params("params/demo.yaml"))
    assert all(p.parent != demo_closing for p in closing), "the demo's closing sections must not be used here"
    assert editorial.lock_path(params) != editorial.lock_path(load_params("params/demo.yaml"))


@pytest.mark.parametrize("variant", ["as_run", "retained", "no_candidates"])
@pytest.mark.parametrize("run", sorted(SETS))
def test_sections_render_without_unknown_figures(run, variant):
    params = load_params(SETS[run])
    kf = _kf(run)
    cw = str(params["current_wave"])
    if variant == "retained":
        kf = _with_retained(kf, cw)
    elif variant == "no_candidates":
        kf = _without_candidates(kf, cw)
    try:
        texts, paragraphs = _render_all(params, kf)
    except narrative.NarrativeError as exc:          # an unknown figure names itself here
        pytest.fail(f"{run} ({variant}): {exc}")
    for label, text in texts.items():
        assert text.strip(), label
        assert "{{" not in text and "{%" not in text, label
        assert " 0 a " not in text and "0 opérations ont" not in text, label
    closing = texts["content/fin/07_conclusions.md"]
    if variant == "retained":
        assert "3 opérations ont été retenues" in closing
        assert re.search(r"1,[23]\s*M€", closing), "the cost of the retained operations is cited"
    elif variant == "no_candidates":
        assert "Aucune opération de la période n’a été signalée" in closing
    assert paragraphs, "the closing sections cite figures, so they must have paragraphs to approve"


def test_fse_plus_note_speaks_of_2021_2027_only():
    run = "liste_operations_2021_2027"
    params = load_params(SETS[run])
    kf = _kf(run)
    texts, _ = _render_all(params, kf)
    whole = "\n".join(texts.values())
    for old in ("1303/2013", "1304/2013", "PON FSE", "PON IEJ", "axe 3", "article 111", "rapport annuel"):
        assert old not in whole, old
    assert "2021/1057" in whole and "article 14" in whole
    programmes = kf["perimeter"]["programme_names"]["fse"]
    for name in programmes:                           # the programmes are named from the data
        assert name in texts["content/03_programmes.md"], name


@pytest.mark.parametrize("run", sorted(SETS))
def test_approvals_match_the_run(run):
    params = load_params(SETS[run])
    _, paragraphs = _render_all(params, _kf(run))
    editorial.compare(paragraphs, editorial.read_lock(editorial.lock_path(params)))
    assert editorial.messages(paragraphs) == []


def test_national_list_opening_names_the_list_and_its_wave_date():
    """The 2014-2020 list shares the opening sections with the demo: they say 'liste publiée' and
    'opérations ayant démarré' for it, 'extraction de la base de suivi' and 'programmées' for the demo."""
    run = "liste_nationale_fse_2014_2020"
    texts, _ = _render_all(load_params(SETS[run]), _kf(run))
    listed = re.sub(r"\s+", " ", texts["content/01_objectifs.md"])
    assert "examine les opérations ayant démarré du" in listed and "d'après la liste publiée des opérations arrêtée au" in listed
    assert "extraction" not in listed and "opérations programmées" not in listed
    assert "exploitée par" in listed
    demo = load_params("params/demo.yaml")
    source = (HERE.parent / "content" / "01_objectifs.md").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", narrative.render_string(source, "01", **narrative.build_context(demo, _kf(run))))
    assert "examine les opérations programmées du" in text and "d'après l'extraction de la base de suivi du" in text
    assert "exploitées par" in text

"""Acceptance: on the demo data, key_figures.json reproduces every published figure.

The published values live only in tests/fixtures/published_figures.yaml (a copy of the shared
targets); the report computes everything from data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from isnote.frnum import round_half_up
from results_fixtures.leaves import leaves

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "fixtures" / "published_figures.yaml"
BLOCKS = ("volumes", "pon_totals", "retained", "by_type", "screening", "survey")


@pytest.fixture(scope="module")
def published():
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def key_figures(built_report):
    return json.loads(built_report.key_figures.read_text(encoding="utf-8"))


def _get(tree, path):
    for k in path:
        assert isinstance(tree, dict) and k in tree, f"key figures lack {'.'.join(path)}"
        tree = tree[k]
    return tree


def test_every_published_leaf_is_reproduced(published, key_figures):
    checked = 0
    for block in BLOCKS:
        for path, expected in leaves(published[block], (block,)):
            got = _get(key_figures, path)
            if isinstance(expected, bool) or isinstance(expected, int):
                assert got == expected, f"{'.'.join(path)}: {got} != {expected}"
            else:
                decimals = 2 if block == "survey" else 1
                assert round_half_up(got, decimals) == expected, f"{'.'.join(path)}: {got} !≈ {expected}"
            checked += 1
    assert checked >= 180


def test_survey_approximate_shares_within_their_stated_range(key_figures):
    s = key_figures["survey"]
    assert 0.45 <= s["shares"]["oui"] <= 0.50          # "près de la moitié"
    assert 0.65 <= s["by_type"]["PLIE"]["oui"] <= 0.70  # PLIE, pivot or not: "près de 70 %"


def test_errata_are_resolved_as_the_figures_file_says(key_figures):
    r = key_figures["retained"]["fse"]
    # Tableau 3 is reproduced (69 ops on axis 3, 31 on OS 3911, 21.4 M€), rows add up to 106
    assert r["2019"]["axe3"]["n_ops"] == 69 and r["2019"]["3911"]["n_ops"] == 31
    assert round_half_up(r["2019"]["axe3"]["ct"]) == 21.4
    assert sum(r["2019"][f"axe{i}"]["n_ops"] for i in (1, 2, 3)) == r["2019"]["total"]["n_ops"] == 106
    # cumulative: 197 in every table
    assert r["cumulative"]["total"]["n_ops"] == 197
    assert sum(v["n_ops"] for v in key_figures["by_type"]["fse"]["cumulative"].values()) == 197
    # 2.2 % is the share of total cost; EU credits give 2.4 %
    t = key_figures["pon_totals"]["fse"]["2019"]["total"]
    assert round(100 * r["2019"]["total"]["ct"] / t["ct"], 1) == 2.2
    assert round(100 * r["2019"]["total"]["ue"] / t["ue"], 1) == 2.4
    # 6 646 is the PON FSE alone; both programmes make 6 748
    v = key_figures["volumes"]
    assert v["fse"]["2019"]["n_ops"] == 6646
    assert v["fse"]["2019"]["n_ops"] + v["iej"]["2019"]["n_ops"] == 6748


def test_tables_and_key_figures_agree(built_report, key_figures):
    import pandas as pd

    retained = pd.read_csv(built_report.tables / "retained_operations.csv", dtype={"op_id": str, "os": str})
    fse19 = retained[(retained["programme"] == "fse") & (retained["wave"].astype(str) == "2019")]
    assert len(fse19) == key_figures["retained"]["fse"]["2019"]["total"]["n_ops"]
    iej = retained[retained["programme"] == "iej"]
    assert len(iej) == key_figures["retained"]["iej"]["cumulative"]["total"]["n_ops"]


def test_demo_note_has_a_sheet_per_emblematic_operation(built_report, demo_params):
    import pandas as pd

    reg = pd.read_csv(demo_params.path("review_register"), sep=";", dtype=str).fillna("")
    wanted = reg[(reg["emblematique"] == "oui") & (reg["decision"] == "retenue")
                 & (reg["vague"] == demo_params["current_wave"])]
    html = built_report.note_html.read_text(encoding="utf-8")
    assert len(wanted) > 0
    assert html.count('class="isn-box"') == len(wanted)
    # every sheet is inside section 5 (before the IEJ section), where the marker puts them
    assert html.rindex('class="isn-box"') < html.rindex("La contribution du PON IEJ")


def test_demo_extracts_show_every_operation_the_published_note_named(built_report, published):
    """The demo marks the named operations of the published note as illustrations (parameter
    `illustrations`): each titled one appears in an extract table of 5.2 or 6.1, not only in Annex A."""
    import re
    import unicodedata

    from bs4 import BeautifulSoup

    def norm(text):
        text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("\u00ad", ""))
        text = "".join(c for c in text if not unicodedata.combining(c))
        return re.sub(r"\W+", " ", text).lower().strip()

    soup = BeautifulSoup(built_report.note_html.read_text(encoding="utf-8"), "html.parser")
    extracts = [f for f in soup.select("figure") if "Extraits" in f.get("data-caption", "")
                or "IEJ (vague" in f.get("data-caption", "")]
    shown = norm(" ".join(f.get_text(" ") for f in extracts))
    titled = [o["title"] for o in published["named_operations"] if o.get("title")]
    assert len(titled) > 40
    assert [t for t in titled if norm(t) not in shown] == []


def test_demo_note_gives_the_capture_estimate_in_method_and_limits(built_report, key_figures):
    """Issue 11: the capture-recapture estimate (Chapman) is in the method section AND in the
    limits of the note, with the figures of the `capture` key-figures block."""
    from bs4 import BeautifulSoup

    from isnote.frnum import fmt_int

    cap = key_figures["capture"]
    assert cap["available"] and cap["n1"] > 0 and cap["n2"] > 0
    text = BeautifulSoup(built_report.note_html.read_text(encoding="utf-8"), "html.parser").get_text(" ")
    text = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
    est, low, high, missed = (fmt_int(round(cap[k])).replace("\u202f", " ").replace("\xa0", " ")
                              for k in ("estimate", "low", "high", "missed_by_screening"))
    method = text.index("Opérations que le repérage a pu manquer")
    limits = text.rindex("Limites de la démarche")
    assert "Chapman" in text[method:method + 2000]
    assert f"{low} à {high}" in text[method:method + 2000]
    part = text[limits:limits + 3000]
    assert f"de l’ordre de {est}" in part and f"{low} à {high}" in part and f"quelque {missed}" in part

"""Templated French text (isnote.narrative): numbers from the key figures only, clear errors."""

import copy
import json
import re
from pathlib import Path

import pytest

from isnote import narrative
from isnote.config import load_params
from isnote.frnum import fmt_int, fmt_meur, fmt_pct

HERE = Path(__file__).resolve().parent
KF = json.loads((HERE / "note_fixtures" / "key_figures.json").read_text(encoding="utf-8"))
SECTION_TEMPLATES = ["methode_perimetre", "methode_reperage", "fse_bilan", "enquete", "iej_bilan", "ramo_14_5"]


@pytest.fixture(scope="module")
def params():
    return load_params("params/demo.yaml")


def test_templates_present():
    assert set(SECTION_TEMPLATES) <= set(narrative.template_names())


@pytest.mark.parametrize("name", SECTION_TEMPLATES)
def test_renders(params, name):
    text = narrative.render_for(name, params, KF)
    assert len(text) > 200
    assert "{{" not in text and "{%" not in text
    assert "None" not in text and "nan" not in text.lower().split()


def test_fse_numbers_come_from_key_figures(params):
    text = narrative.render_for("fse_bilan", params, KF)
    r = KF["retained"]["fse"]["2019"]["total"]
    t = KF["pon_totals"]["fse"]["2019"]["total"]
    assert f"{fmt_int(r['n_ops'])} opérations" in text
    assert fmt_meur(r["ct"]) in text and fmt_meur(r["ue"]) in text
    assert fmt_pct(r["n_ops"] / t["n_ops"]) in text          # "1,6 %"
    assert fmt_pct(r["ue"] / t["ue"]) in text
    assert fmt_int(r["participants"]) in text
    assert "\u202f" in fmt_int(r["participants"])            # narrow no-break space in 7 293


def test_methode_sums_both_programmes(params):
    text = narrative.render_for("methode_perimetre", params, KF)
    v = KF["volumes"]
    n_all = v["fse"]["2019"]["n_ops"] + v["iej"]["2019"]["n_ops"]
    assert fmt_int(n_all) in text
    assert "5 mars 2017" in text and "31 décembre 2018" in text and "9 mars 2019" in text


def _scaled(node, path=""):
    """Every figure changed, each by its own factor (so that ratios change too)."""
    import zlib

    if isinstance(node, dict):
        return {k: _scaled(v, f"{path}.{k}") for k, v in node.items()}
    if isinstance(node, bool):
        return node
    salt = zlib.crc32(path.encode("utf-8"))
    if isinstance(node, int):
        return node * (2 + salt % 7) + 7 + salt % 97
    if isinstance(node, float):
        factor = 1.13 + (salt % 47) / 61
        return node / factor if node < 1 else node * factor
    return node


# identifiers, not figures: dates of the parameters, axis / OS codes, "lot 5", "14.5"
IDENTIFIERS = re.compile(
    r"\d{1,2}(?:er)? (?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)"
    r" \d{4}|(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4}"
    r"|[Vv]ague \d{4}|axe \d|OS \d+|lot \d|section 14\.5")
NUMBER = re.compile(r"\d+(?:[\u202f\u00a0 ]\d{3})*(?:,\d+)?")


def _numbers(text):
    return NUMBER.findall(IDENTIFIERS.sub(" ", text))


@pytest.mark.parametrize("name", SECTION_TEMPLATES)
def test_no_typed_number(params, name):
    """A number that does not change when every key figure changes was typed in the template."""
    before = _numbers(narrative.render_for(name, params, KF))
    after = _numbers(narrative.render_for(name, params, _scaled(KF)))
    assert before, "the text quotes no number"
    assert len(before) == len(after)
    typed = [b for b, a in zip(before, after) if a == b]
    assert typed == [], f"numbers that do not follow the key figures: {typed}"


@pytest.mark.parametrize("path, name", [
    (("retained", "fse", "2019", "total"), "fse_bilan"),
    (("survey",), "enquete"),
    (("volumes", "iej"), "methode_perimetre"),
    (("screening", "iej", "2019", "lot5_retained"), "iej_bilan"),
])
def test_missing_key_is_named(params, path, name):
    kf = copy.deepcopy(KF)
    node = kf
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    with pytest.raises(narrative.NarrativeError) as err:
        narrative.render_for(name, params, kf)
    message = str(err.value)
    assert ".".join(path) in message and name in message


def test_unknown_template():
    with pytest.raises(narrative.NarrativeError, match="fse_bilan"):
        narrative.render("pas_de_modele")


def test_block_used_as_value_is_an_error(params):
    with pytest.raises(narrative.NarrativeError, match="retained.fse"):
        narrative.render_string("{{ kf.retained.fse | fmt_int }}", "essai", **narrative.build_context(params, KF))


def test_render_string_with_params(params):
    out = narrative.render_string("Extraction du {{ p.extract_date | fmt_date }} ({{ wave.label }}).", "essai",
                                  **narrative.build_context(params, KF))
    assert out.strip() == "Extraction du 9 mars 2019 (Vague 2019)."


def test_ramo_within_limit(params):
    text = narrative.ramo_text(params, KF)
    assert len(text.rstrip("\n")) <= narrative.RAMO_MAX_CHARS == 3500
    assert "**" not in text and "#" not in text
    assert fmt_int(KF["retained"]["fse"]["2019"]["total"]["n_ops"]) in text
    assert "\u00a0%" in text                                  # French typography applied


def test_ramo_limit_enforced(params):
    small = dict(params)
    small["ramo_max_chars"] = 200
    with pytest.raises(narrative.NarrativeError, match="200"):
        narrative.ramo_text(small, KF)


def test_dates():
    import datetime as dt
    assert narrative.fmt_date(dt.date(2019, 3, 9)) == "9 mars 2019"
    assert narrative.fmt_date("2014-01-01") == "1er janvier 2014"
    assert narrative.fmt_month("2019-02") == "février 2019"


def test_show_displays_markdown(params, monkeypatch):
    shown = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))

    class Ctx:
        def __init__(self):
            self.params = params
            self.kf = type("KF", (), {"read_all": staticmethod(lambda: KF)})()

    narrative.show("iej_bilan", Ctx())
    assert len(shown) == 1 and isinstance(shown[0], IPython.display.Markdown)
    assert fmt_int(KF["volumes"]["iej"]["2019"]["n_ops"]) in shown[0].data

"""Result tables: Tableaux 3, 4, participants, regions, extracts, IEJ, lot 5, survey, key figures."""

from pathlib import Path

import numpy as np
import yaml
import pandas as pd
import pytest

from isnote import tables as tb
from isnote import typology as ty
from isnote.errors import InputError
from isnote.frnum import round_half_up
from results_fixtures.builders import make_operations, make_params, make_register, make_survey
from results_fixtures.leaves import leaves


@pytest.fixture
def params(tmp_path):
    return make_params(tmp_path)


@pytest.fixture
def ops():
    return make_operations()


@pytest.fixture
def ret(params, ops):
    return ty.retained(ops, make_register(), params)


def test_table3_rows_order_and_values(params, ret):
    t3 = tb.table3(ret, params)
    assert t3["label"].tolist() == ["Axe 1", "1811", "1831", "1871", "Axe 2", "2851", "2852", "Axe 3", "3911",
                                    "3913", "Total"]          # 3912 has no retained op in any wave
    r = t3.set_index("label")
    assert r.at["1871", "n_ops_2019"] == 0 and r.at["1871", "n_ops_2017"] == 1   # zero row kept
    assert r.at["Axe 3", "n_ops_2019"] == 3 and r.at["Axe 3", "ct_meur_2019"] == pytest.approx(1.8)
    assert r.at["Total", "n_ops_cumulative"] == 10
    assert r.at["Total", "ct_meur_cumulative"] == pytest.approx(3.46)
    assert r.at["3911", "share_n_2019"] == pytest.approx(2 / 7)
    assert r.at["Axe 3", "share_ct_2019"] == pytest.approx(1.8 / 2.8)
    assert (t3.filter(like="share_") <= 1).all().all()


def test_table4_against_programme(params, ret, ops):
    t4 = tb.table4(ret, ops, params)
    cur = t4.loc[t4["periode"].eq("2019")].set_index("label")
    assert cur.index.tolist() == ["Total", "Axe 1", "Axe 2", "Axe 3", "3911", "3912", "3913"]
    assert cur.at["Total", "pon_n_ops"] == 10 and cur.at["Total", "n_ops"] == 7
    assert cur.at["Total", "participants"] == 58 and cur.at["Total", "pon_participants"] == 408
    assert cur.at["3911", "ue_meur"] == pytest.approx(0.55)
    assert cur.at["3911", "share_ue"] == pytest.approx(0.55 / 1.0)
    assert cur.at["3912", "n_ops"] == 0 and cur.at["3912", "pon_n_ops"] == 1
    assert cur.at["Axe 1", "share_participants"] == pytest.approx(15 / 65)
    cum = t4.loc[t4["periode"].eq("cumulative")].set_index("label")
    assert cum.at["Total", "n_ops"] == 10 and cum.at["Total", "pon_n_ops"] == 15
    shown, formats = tb.display_table4(t4, params)
    assert "Participants" in shown.columns and set(formats) <= set(shown.columns)


def test_participants_share(params, ret):
    ps = tb.participants_share(ret, params)
    cur = ps.loc[ps["periode"].eq("2019")].set_index("axe")
    assert cur.at["", "n_ops"] == 7 and cur.at["", "with_participants"] == 4
    assert cur.at["", "share_with_participants"] == pytest.approx(4 / 7)
    assert cur.at["2", "share_with_participants"] == 0.0


def test_regions_ratio_and_ranking(params, ret, ops):
    reg = tb.regions(ret, ops, params).set_index("region")
    # Picardie: 2 of 7 retained, 2 of 10 programmed -> (2/7)/(2/10)
    assert reg.at["Picardie", "ratio"] == pytest.approx((2 / 7) / (2 / 10))
    assert reg.at["Alsace", "n_retained"] == 0 and reg.at["Alsace", "ratio"] == 0.0
    assert reg["share_retained"].sum() == pytest.approx(1.0)
    assert reg["share_all"].sum() == pytest.approx(1.0)
    assert reg.index[reg["ranked"]].tolist() == ["Bretagne"]   # the only region with 3 retained ops
    assert reg.index[0] == "Bretagne"                          # ranked regions first
    params2 = make_params(params.source.parent, regions_min_retained=2)
    reg2 = tb.regions(ret, ops, params2)
    # equal ratios (3/7 / 3/10 = 2/7 / 2/10): ties broken by retained count, then name
    assert reg2.loc[reg2["ranked"], "region"].tolist() == ["Bretagne", "Lorraine", "Picardie"]
    assert set(tb.well_represented(reg2)) == {"Bretagne", "Picardie", "Lorraine"}
    assert tb.well_represented(reg2, n=1) == reg2["region"].head(1).tolist()


def test_short_text_cuts_at_a_word():
    s = pd.Series(["mot " * 100, "court", None])
    out = tb.short_text(s, 30)
    assert out.iloc[0] == "mot mot mot mot mot mot mot …"
    assert out.iloc[1] == "court" and out.iloc[2] == ""


def test_extracts_per_category_and_axis(params, ret):
    ex = tb.extracts(ret, params, max_rows=1)
    assert ex["op_id"].tolist() == ["F01", "F05", "F03", "F06", "F04", "F07"]   # category order, axis, cost
    assert ex["description_short"].str.len().max() <= tb.DEFAULT_EXTRACT_CHARS + 2
    assert ex["description_short"].str.endswith("…").all()
    full = tb.extracts(ret, params, max_rows=0)
    assert len(full) == 7
    # emblematic first within its (category, axis)
    assert full.loc[full["categorie"].eq("socialement_innovantes"), "op_id"].iloc[0] == "F01"


def test_extracts_show_the_listed_illustrations_first_and_always(tmp_path, ret):
    """`illustrations` (isnote.illustrations): a listed operation is emblematic in the extracts,
    comes first in its (category, axis) and is shown beyond `extract_max_rows`; matching ignores
    case, accents and punctuation; an entry without title names every operation of its beneficiary."""
    def listed(name, ops):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({"operations": ops}, allow_unicode=True), encoding="utf-8")
        (tmp_path / name).mkdir()
        return make_params(tmp_path / name, illustrations=str(path))

    def group(ex):                                 # entrepreneuriat social, axis 1: F02 (0,2 M€), F03 (0,3 M€)
        return ex.loc[ex["categorie"].eq("entrepreneuriat_social") & ex["axe"].eq("1"), "op_id"].tolist()

    assert group(tb.extracts(ret, make_params(tmp_path), max_rows=1)) == ["F03"]          # by cost
    one = tb.extracts(ret, listed("one", [{"programme": "fse", "beneficiary": "PORTEUR f02"}]), max_rows=1)
    assert group(one) == ["F02"] and bool(one.set_index("op_id").at["F02", "emblematique"])
    both = tb.extracts(ret, listed("both", [{"programme": "fse", "beneficiary": "Porteur F02"},
                                            {"programme": "fse", "title": "OPÉRATION  f03", "beneficiary": "porteur-F03"},
                                            {"programme": "iej", "title": "Opération F04"}]), max_rows=1)
    assert group(both) == ["F03", "F02"]           # both listed: both shown although max_rows is 1
    assert not bool(both.set_index("op_id").at["F04", "emblematique"])   # other programme: not named
    bad = tmp_path / "bad.yaml"
    bad.write_text("operations:\n  - {programme: fse}\n", encoding="utf-8")
    (tmp_path / "bad").mkdir()
    with pytest.raises(InputError, match="sans intitulé ni porteur"):
        tb.extracts(ret, make_params(tmp_path / "bad", illustrations=str(bad)))


def test_table4_has_no_participant_columns_without_participant_data(params, ret, ops):
    t4 = tb.table4(ret.assign(participants=0), ops.assign(participants=0), params)
    shown, formats = tb.display_table4(t4, params)
    assert not [c for c in shown.columns if "articipant" in c]
    assert "Opérations" in shown.columns and set(formats) <= set(shown.columns)


def test_table_programme_iej(params, ret, ops):
    tp = tb.table_programme(ret, ops, params, "iej").set_index("periode")
    assert tp.index.tolist() == ["2019", "2017", "cumulative"]
    assert tp.at["2019", "n_ops"] == 2 and tp.at["2019", "pon_n_ops"] == 3
    assert tp.at["2019", "ct_meur"] == pytest.approx(0.2)
    assert tp.at["cumulative", "ue_meur"] == pytest.approx(0.45)
    assert tp.at["cumulative", "share_n"] == pytest.approx(3 / 5)


def test_lot5_outcome(params, ops):
    lot5 = pd.DataFrame({"op_id": ["I01", "I03", "I04", "I77"], "title": ["", "Titre 3", "", "Inconnue"]})
    reg = make_register()
    reg.loc[len(reg)] = {c: "" for c in reg.columns} | {"op_id": "I03", "programme": "iej", "vague": "2019",
                                                         "decision": "ecartee"}
    l5 = tb.lot5_outcome(lot5, ops, reg, params).set_index("op_id")
    assert l5.at["I01", "devenir"] == "retenue (Vague 2019)" and bool(l5.at["I01", "retained"])
    assert l5.at["I03", "devenir"] == "écartée (Vague 2019)" and l5.at["I03", "title"] == "Titre 3"
    assert l5.at["I04", "wave"] == "2017"
    assert l5.at["I77", "devenir"] == "absente des opérations analysées" and not l5.at["I77", "in_data"]
    assert l5.at["I01", "title"] == "Opération I01"       # filled from the data
    assert l5.index.tolist() == ["I01", "I03", "I04", "I77"]   # current wave first, absent ones last


def test_survey_by_type_with_plie_group(params):
    sb = tb.survey_by_type(make_survey(), params).set_index("body_type")
    assert sb.at["PLIE", "kind"] == "group"
    assert sb.at["PLIE", "n"] == 3 and sb.at["PLIE", "n_oui"] == 2
    assert sb.at["Ensemble", "n"] == 10
    assert sb.at["Ensemble", "share_oui"] == pytest.approx(0.5)
    assert sb.at["OI CD", "share_oui"] == pytest.approx(2 / 3)
    assert sb.loc[sb["kind"].eq("type")].index.tolist() == ["AGD", "OI CD", "OI PLIE pivot", "OI PLIE", "Autre OI"]
    assert sb.index.tolist()[-2:] == ["PLIE", "Ensemble"]
    # override of the grouping by the params
    p2 = make_params(params.source.parent, survey_groups={"OI": ["OI CD", "Autre OI"]},
                     survey_type_order=["OI CD", "AGD"])
    sb2 = tb.survey_by_type(make_survey(), p2)
    assert sb2.loc[sb2["kind"].eq("group"), "body_type"].tolist() == ["OI"]
    assert sb2["body_type"].tolist()[:2] == ["OI CD", "AGD"]


def test_survey_bad_answer(params):
    s = make_survey()
    s.loc[4, "answer"] = "peut-être"
    with pytest.raises(InputError) as err:
        tb.survey_by_type(s, params)
    assert err.value.row == 6 and err.value.column == "answer"


def test_survey_themes(params):
    st = tb.survey_themes(make_survey(), params).set_index("theme")
    assert st["n_respondents"].to_dict() == {"regles_gestion": 2, "risque_financier": 1, "cadre_performance": 1,
                                             "definition_floue": 1}
    kf = tb.key_figures_survey(make_survey(), params)
    assert kf["respondents"] == 10 and kf["with_observations"] == 5 and kf["vague_definition"] == 1
    assert kf["by_type"]["PLIE"]["oui"] == pytest.approx(2 / 3)
    assert kf["shares"]["nsp"] == pytest.approx(0.2)
    assert set(kf["by_type"]["AGD"]) == {"oui", "non", "nsp"}


def test_normalise_fallback():
    s = pd.Series(["L’Évaluation de l'impact — œuvre", None])
    assert tb._normalise_fallback(s).tolist() == ["l evaluation de l impact oeuvre", ""]


def test_key_figures_retained_shape(params, ret):
    kf = tb.key_figures_retained(ret, params, "fse")["fse"]
    assert set(kf) == {"2017", "2019", "cumulative"}
    cur = kf["2019"]
    assert cur["1811"] == {"n_ops": 1, "ct": pytest.approx(0.1)}
    assert set(cur["3911"]) == {"n_ops", "ct", "ue", "participants"}
    assert cur["3911"]["participants"] == 40
    assert cur["axe3"]["ue"] == pytest.approx(0.9) and cur["total"]["participants"] == 58
    assert kf["2017"]["1811"] == {"n_ops": 0, "ct": 0.0}    # shown in Tableau 3, zero in 2017
    assert kf["cumulative"]["total"]["n_ops"] == 10
    iej = tb.key_figures_retained(ret, params, "iej", detail=False)["iej"]
    assert iej["cumulative"]["total"] == {"n_ops": 3, "ue": pytest.approx(0.45), "ct": pytest.approx(0.5)}


def test_flipping_one_retained_op_changes_exactly_its_cells(params, ops):
    """F05 (wave 2019, axis 3, OS 3911, Picardie) set to `ecartee`."""
    reg = make_register()
    reg.loc[reg["op_id"].eq("F05"), ["decision", "categorie"]] = ["ecartee", ""]
    r0, r1 = ty.retained(ops, make_register(), params), ty.retained(ops, reg, params)
    t3a, t3b = tb.table3(r0, params).set_index("label"), tb.table3(r1, params).set_index("label")
    cols = [c for c in t3a.columns if c.startswith(("n_ops_", "ct_meur_"))]
    diff = (t3a[cols] - t3b[cols]).abs() > 1e-12
    changed = {(r, c) for r in diff.index for c in cols if diff.at[r, c]}
    assert changed == {(r, c) for r in ("3911", "Axe 3", "Total")
                       for c in ("n_ops_2019", "ct_meur_2019", "n_ops_cumulative", "ct_meur_cumulative")}
    assert (t3a["n_ops_2019"] - t3b["n_ops_2019"]).loc[["3911", "Axe 3", "Total"]].tolist() == [1, 1, 1]
    # Tableau 4: only the retained columns of the rows of F05 move; programme totals never
    t4a = tb.table4(r0, ops, params).set_index(["periode", "label"])
    t4b = tb.table4(r1, ops, params).set_index(["periode", "label"])
    num = ["participants", "n_ops", "ue_meur", "ct_meur", "with_participants"]
    d4 = (t4a[num] - t4b[num]).abs() > 1e-12
    rows = set(d4.index[d4.any(axis=1)])
    assert rows == {(p, lab) for p in ("2019", "cumulative") for lab in ("Total", "Axe 3", "3911")}
    pon = [c for c in t4a.columns if c.startswith("pon_")]
    pd.testing.assert_frame_equal(t4a[pon], t4b[pon])
    # regions: Picardie loses one retained op
    ga, gb = tb.regions(r0, ops, params).set_index("region"), tb.regions(r1, ops, params).set_index("region")
    assert ga.at["Picardie", "n_retained"] - gb.at["Picardie", "n_retained"] == 1
    assert (ga["n_retained"] - gb["n_retained"].reindex(ga.index)).abs().sum() == 1


def test_display_variants_use_french_headers(params, ret, ops):
    shown, formats = tb.display_table3(tb.table3(ret, params), params)
    assert shown.columns[0] == "Axe / OS" and "Vague 2019 – nb" in shown.columns
    assert formats["Vague 2019 – M€ CT"](1.25) == "1,2" or formats["Vague 2019 – M€ CT"](1.25) == "1,3"
    assert formats["Vague 2019 – % (nb)"](0.5) == "50,0\u00a0%"
    s, f = tb.display_survey_by_type(tb.survey_by_type(make_survey(), params))
    assert "PLIE (ensemble)" in s["Type de gestionnaire"].tolist()
    s, f = tb.display_table_programme(tb.table_programme(ret, ops, params, "iej"))
    assert f["PO : UE (M€)"](1704.04) == "1\u202f704,0"


# --------------------------------------------------------------------------------------------
# shape and rounding of the key figures against the published figures (test fixture)

FIXTURE = Path(__file__).parent / "fixtures" / "published_figures.yaml"
CALIBRATION = Path(__file__).resolve().parents[1] / "demo_generator" / "isnote_demo" / "specs" / "calibration.yaml"


def _calibrated_retained() -> pd.DataFrame:
    """Retained operations built from the demo calibration (unrounded M€), one row per operation."""
    cal = yaml.safe_load(CALIBRATION.read_text(encoding="utf-8"))["retained"]
    os_axis = {"11011": "1", "1811": "1", "1831": "1", "1832": "1", "1871": "1", "2851": "2", "2852": "2",
               "2853": "2", "3911": "3", "3912": "3", "3913": "3"}
    rows = []
    for wave, spec in cal["fse"].items():
        for os_code, v in spec["by_os"].items():
            n = v["n_ops"]
            for i in range(n):
                rows.append({"op_id": f"{wave}-{os_code}-{i}", "programme": "fse", "wave": wave, "os": os_code,
                             "axe": os_axis[os_code], "ct": v["ct"] * 1e6 / n,
                             "ue": (v["ue"] * 1e6 if i == 0 and "ue" in v else 0.0),
                             "participants": (v["participants"] if i == 0 and "participants" in v else 0)})
        for axe, v in spec.get("by_axe", {}).items():      # axis-level ue / participants on one op
            first = next(r for r in rows if r["wave"] == wave and r["axe"] == axe)
            first["ue"] += v["ue"] * 1e6 - sum(r["ue"] for r in rows if r["wave"] == wave and r["axe"] == axe)
            first["participants"] += v["participants"] - sum(r["participants"] for r in rows
                                                             if r["wave"] == wave and r["axe"] == axe)
    for wave, v in cal["iej"].items():
        for i in range(v["n_ops"]):
            rows.append({"op_id": f"iej-{wave}-{i}", "programme": "iej", "wave": wave, "os": "182", "axe": "1",
                         "ct": v["ct"] * 1e6 / v["n_ops"], "ue": v["ue"] * 1e6 / v["n_ops"], "participants": 0})
    return pd.DataFrame(rows)


def test_key_figures_reproduce_the_published_retained_block(params):
    pub = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["retained"]
    ret = _calibrated_retained()
    kf = tb.key_figures_retained(ret, params, "fse") | tb.key_figures_retained(ret, params, "iej", detail=False)
    n = 0
    for path, expected in leaves(pub):
        node = kf
        for k in path:
            assert k in node, f"missing key figure {'.'.join(path)}"
            node = node[k]
        got = round_half_up(node, 1) if isinstance(expected, float) else node
        assert got == expected, f"{'.'.join(path)}: {node} vs published {expected}"
        n += 1
    assert n == 93                                   # every leaf of the block was compared
    # errata resolved as Tableau 3 says
    assert kf["fse"]["2019"]["axe3"]["n_ops"] == 69 and kf["fse"]["2019"]["3911"]["n_ops"] == 31
    assert kf["fse"]["cumulative"]["total"]["n_ops"] == 197


def test_survey_key_figures_reproduce_the_published_shares(params):
    cal = yaml.safe_load(CALIBRATION.read_text(encoding="utf-8"))["survey"]["by_type"]
    rows = [(t, a) for t, counts in cal.items() for a, n in counts.items() for _ in range(n)]
    survey = pd.DataFrame(rows, columns=["body_type", "answer"])
    survey["respondent_id"] = [f"R{i:03d}" for i in range(len(survey))]
    survey["observations"] = ""
    kf = tb.key_figures_survey(survey, params)
    assert kf["respondents"] == 94
    assert round(kf["shares"]["nsp"], 2) == 0.28
    assert 0.45 <= kf["shares"]["oui"] <= 0.50
    assert round(kf["by_type"]["OI CD"]["oui"], 2) == 0.53
    assert round(kf["by_type"]["AGD"]["non"], 2) == 0.40
    assert 0.65 <= kf["by_type"]["PLIE"]["oui"] <= 0.70


def test_invalid_theme_pattern_is_an_input_error(tmp_path):
    bad = tmp_path / "themes.yaml"
    bad.write_text("themes:\n  t1: {label: 'x', pattern: 'regles (de'}\norder: [t1]\n", encoding="utf-8")
    params = make_params(tmp_path, survey_themes=str(bad))
    with pytest.raises(InputError) as err:
        tb.survey_themes(make_survey(), params)
    assert err.value.column == "t1"


def test_regions_unknown_or_several_are_never_ranked_and_names_sort_by_letter(params, ret, ops):
    """Published lists give « non renseignée » and « plusieurs régions »: no region, never ranked
    nor called well represented, listed last; « Île-de-France » sorts with the I."""
    names = {"Bretagne": "non renseignée", "Alsace": "plusieurs régions", "Lorraine": "Île-de-France"}
    ops, ret = ops.copy(), ret.copy()
    for frame in (ops, ret):
        frame["region"] = frame["region"].astype(object).replace(names)
    reg = tb.regions(ret, ops, params)
    assert reg["region"].tolist() == ["Île-de-France", "Picardie", "non renseignée", "plusieurs régions"]
    row = reg.set_index("region").loc["non renseignée"]
    assert row["n_retained"] == 3 and not row["ranked"]          # 3 retained: a region would be ranked
    everyone = tb.regions(ret, ops, make_params(params.source.parent, regions_min_retained=1))
    assert set(tb.well_represented(everyone)) == {"Île-de-France", "Picardie"}

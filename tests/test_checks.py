"""Consistency checks: they pass on consistent tables and fail loudly on each deliberate inconsistency."""

import copy

import pandas as pd
import pytest

from isnote import checks as ck
from isnote import tables as tb
from isnote import typology as ty
from isnote.errors import ConsistencyError
from results_fixtures.builders import make_operations, make_params, make_register, make_survey, volumes_from


@pytest.fixture
def env(tmp_path):
    params = make_params(tmp_path)
    ops, reg, survey = make_operations(), make_register(), make_survey()
    ret = ty.retained(ops, reg, params)
    e = dict(params=params, operations=ops, register=reg, retained=ret,
             t3=tb.table3(ret, params), t4=tb.table4(ret, ops, params), t5=ty.by_category(ret, params),
             ps=tb.participants_share(ret, params), reg=tb.regions(ret, ops, params),
             sb=tb.survey_by_type(survey, params), st=tb.survey_themes(survey, params),
             kf_retained=tb.key_figures_retained(ret, params, "fse"),
             kf_survey=tb.key_figures_survey(survey, params), volumes=volumes_from(ops),
             tp=tb.table_programme(ret, ops, params, "iej"),
             kf_iej=tb.key_figures_retained(ret, params, "iej", detail=False),
             kf_by_type=ty.key_figures_by_type(ret, params))
    return e


def fse(e, **over):
    e = {**e, **over}
    return ck.fse_suite(t3=e["t3"], t4=e["t4"], t5=e["t5"], ps=e["ps"], reg=e["reg"], sb=e["sb"], st=e["st"],
                        kf_retained=e["kf_retained"], kf_survey=e["kf_survey"], retained=e["retained"],
                        register=e["register"], operations=e["operations"], params=e["params"],
                        volumes=e["volumes"], screening=e.get("screening"), with_observations=5)


def iej(e, **over):
    e = {**e, **over}
    return ck.iej_suite(tp=e["tp"], kf_retained=e["kf_iej"], retained=e["retained"], register=e["register"],
                        operations=e["operations"], params=e["params"], volumes=e["volumes"],
                        screening=e.get("screening"))


def test_all_suites_pass_on_consistent_tables(env):
    passed = fse(env).raise_if_failed()
    assert len(passed) >= 12 and all(name and desc for name, desc in passed)
    assert iej(env).raise_if_failed()
    c = ck.typology_suite(t5=env["t5"], kf_by_type=env["kf_by_type"], retained=env["retained"],
                          register=env["register"], operations=env["operations"], params=env["params"])
    assert [n for n, _ in c.raise_if_failed()] == ["registre", "tableau5_sommes", "chiffres_cles_types"]
    assert (fse(env).table()["resultat"] == "conforme").all()


def _set(df, label_col, label, col, value):
    df = df.copy()
    df.loc[df[label_col].eq(label), col] = value
    return df


def test_table3_os_rows_must_add_up(env):
    bad = _set(env["t3"], "label", "1831", "n_ops_2019", 5)
    v = ck.check_table3(bad, env["params"])
    assert any("axe 1" in x and "n_ops_2019" in x for x in v)
    assert any("cumul" in x for x in v)          # cumulative no longer the sum of the waves


def test_table3_share_out_of_bounds(env):
    bad = _set(env["t3"], "label", "3911", "share_ct_2017", 1.5)
    assert any("hors de [0, 1]" in x for x in ck.check_table3(bad, env["params"]))


def test_table4_axes_and_programme_bounds(env):
    bad = env["t4"].copy()
    bad.loc[bad["periode"].eq("2019") & bad["label"].eq("Axe 2"), "pon_n_ops"] = 0
    v = ck.check_table4(bad, env["params"])
    assert any("axes" in x and "pon_n_ops" in x for x in v)
    assert any("supérieur au total du programme" in x for x in v)


def test_table5_categories_must_add_up(env):
    bad = _set(env["t5"], "categorie", "entrepreneuriat_social", "ct_meur_2019", 9.0)
    assert any("ct_meur_2019" in x for x in ck.check_table5(bad, env["params"]))


def test_tableau3_vs_tableau4(env):
    bad = env["t4"].copy()
    bad.loc[bad["periode"].eq("2019") & bad["label"].eq("3911"), "ct_meur"] += 0.1
    assert any("Tableau 3 vs 4, 2019, 3911" in x for x in ck.check_t3_t4(env["t3"], bad, env["params"]))


def test_tableau3_vs_tableau5(env):
    bad = _set(env["t5"], "categorie", "total", "n_ops_cumulative", 11)
    assert ck.check_t3_t5(env["t3"], bad, env["params"]) == ["Tableau 3 vs 5, cumulative, opérations : 10 ≠ 11"]


def test_volumes_of_tableau2(env):
    vol = copy.deepcopy(env["volumes"])
    vol["fse"]["2019"]["ue"] += 1.0
    v = ck.check_volumes(env["t4"], vol, "fse", env["params"], "Tableau 4")
    assert len(v) == 1 and "UE" in v[0]
    vol["iej"]["2017"]["n_ops"] = 1
    assert len(ck.check_volumes(env["tp"], vol, "iej", env["params"], "Tableau IEJ")) == 1
    assert ck.check_volumes(env["t4"], None, "fse", env["params"], "Tableau 4")   # missing block fails


def test_wave_comparisons_name_the_wave_and_the_field(env):
    vol = copy.deepcopy(env["volumes"])
    vol["fse"]["2019"]["ct"] += 1.0
    del vol["fse"]["2017"]
    v = ck.check_volumes(env["t4"], vol, "fse", env["params"], "Tableau 4")
    assert "Tableau 4, 2017 : vague absente du bloc `volumes`" in v
    assert [x for x in v if x.startswith("Tableau 4 vs Tableau 2, fse 2019, CT (M€) : ")]
    kf = copy.deepcopy(env["kf_iej"])
    kf["iej"]["2019"]["total"]["n_ops"] = 999
    del kf["iej"]["2017"]
    v = ck.check_kf_programme(kf, env["tp"])
    assert "chiffres clés iej 2017 : total absent" in v
    assert [x for x in v if x.startswith("chiffres clés vs tableau iej, 2019, n_ops : 999 ≠ ")]


def test_retained_list_must_equal_register(env):
    short = env["retained"].iloc[1:]
    v = ck.check_retained_register(short, env["register"], env["operations"])
    assert v == [f"retenue au registre mais absente de la liste : fse {env['retained']['op_id'].iloc[0]}"]
    extra = pd.concat([env["retained"], env["retained"].iloc[[0]]])
    assert any("en double" in x for x in ck.check_retained_register(extra, env["register"], env["operations"]))
    reg = env["register"].copy()
    reg.loc[reg["op_id"].eq("F05"), "decision"] = "ecartee"
    assert any("non retenue au registre" in x and "F05" in x
               for x in ck.check_retained_register(env["retained"], reg, env["operations"]))
    wrong_wave = env["retained"].copy()
    wrong_wave.loc[wrong_wave["op_id"].eq("F01"), "vague_registre"] = "2017"
    assert any("vague du registre" in x for x in ck.check_retained_register(wrong_wave, env["register"],
                                                                           env["operations"]))


def test_key_figures_vs_tables(env):
    kf = copy.deepcopy(env["kf_retained"])
    kf["fse"]["2019"]["3911"]["participants"] += 1
    kf["fse"]["cumulative"]["total"]["n_ops"] = 99
    v = ck.check_kf_retained(kf, env["t3"], env["t4"], env["params"])
    assert len(v) == 2
    kf = copy.deepcopy(env["kf_by_type"])
    kf["fse"]["cumulative"]["socialement_innovantes"]["ct"] += 0.01
    assert len(ck.check_kf_by_type(kf, env["t5"], env["params"])) == 1
    kf = copy.deepcopy(env["kf_iej"])
    kf["iej"]["2017"]["total"]["ue"] = 0
    assert len(ck.check_kf_programme(kf, env["tp"])) == 1
    kf = copy.deepcopy(env["kf_survey"])
    kf["by_type"]["PLIE"]["oui"] = 0.7
    kf["themes"]["regles_gestion"] = 3
    assert len(ck.check_kf_survey(kf, env["sb"], env["st"])) == 2


def test_survey_groups_and_totals(env):
    bad = _set(env["sb"], "body_type", "PLIE", "n_oui", 5)
    v = ck.check_survey(bad, env["params"])
    assert any("groupe PLIE" in x for x in v)
    bad = _set(env["sb"], "body_type", "AGD", "n", 4)
    assert any("types de gestionnaires" in x for x in ck.check_survey(bad, env["params"]))
    st = env["st"].copy()
    st.loc[0, "n_respondents"] = 6
    assert ck.check_survey_themes(st, 5)


def test_regions_and_participants(env):
    bad = _set(env["reg"], "region", "Picardie", "n_retained", 1)
    assert any("Régions vs Tableau 3" in x for x in ck.check_regions(bad, env["t3"], env["params"]))
    ps = env["ps"].copy()
    ps.loc[1, "with_participants"] = 10
    assert ck.check_participants_share(ps)


def test_table_programme_sums(env):
    bad = _set(env["tp"], "periode", "cumulative", "pon_ct_meur", 0.0)
    v = ck.check_table_programme(bad, env["params"])
    assert any("vagues vs cumul" in x for x in v) and any("supérieur" in x for x in v)


def test_screening_funnel_agreement(env):
    assert ck.check_screening(7, {"fse": {"2019": {"retained": 7}}}, "fse", env["params"]) == []
    assert ck.check_screening(7, {"fse": {"2019": {"retained": 8}}}, "fse", env["params"])


def test_suite_raises_listing_every_violation(env):
    bad_t3 = _set(env["t3"], "label", "1831", "n_ops_2019", 5)
    bad_sb = _set(env["sb"], "body_type", "PLIE", "n_oui", 5)
    c = fse(env, t3=bad_t3, sb=bad_sb, screening={"fse": {"2019": {"retained": 6}}})
    with pytest.raises(ConsistencyError) as err:
        c.raise_if_failed()
    text = str(err.value)
    for name in ("tableau3_sommes", "enquete", "entonnoir_fse", "chiffres_cles_fse"):
        assert f"[{name}]" in text
    assert text.count("\n- ") == len(c.violations)
    assert "registre" in [n for n, _ in c.passed()]


def test_iej_suite_fails_on_wrong_volumes(env):
    vol = copy.deepcopy(env["volumes"])
    vol["iej"]["2019"]["ct"] = 0.0
    with pytest.raises(ConsistencyError, match="volumes_iej"):
        iej(env, volumes=vol).raise_if_failed()


def test_load_block_reads_fragments(env, tmp_path):
    from isnote.keyfigures import KeyFigures
    layout = env["params"].layout.ensure()
    KeyFigures(layout.state).write("volumes", env["volumes"])
    block = ck.load_block(layout, "volumes")
    assert block["fse"]["2019"]["n_ops"] == 10 and block["iej"]["2017"]["ct"] == pytest.approx(1.0)
    assert ck.load_block(layout, "absent") is None


def test_saved_checks_are_collected_for_the_annex(env):
    layout = env["params"].layout.ensure()
    c1 = ck.typology_suite(t5=env["t5"], kf_by_type=env["kf_by_type"], retained=env["retained"],
                           register=env["register"], operations=env["operations"], params=env["params"])
    c1.save(layout.state / "checks" / "03_typology.json")
    fse(env).save(layout.state / "checks" / "04_resultats_fse.json")
    items = ck.collect(layout)
    names = [i["name"] for i in items]
    assert names.count("registre") == 1 and "tableau3_sommes" in names and all(i["ok"] for i in items)
    path = ck.write_summary(layout)
    import json
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [c["name"] for c in data["checks"]] == names

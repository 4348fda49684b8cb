"""Typology: retained list from the review register, Tableau 5, continuations, key figures."""

import pandas as pd
import pytest

from isnote import typology as ty
from isnote.errors import InputError
from results_fixtures.builders import make_operations, make_params, make_register, write_register


@pytest.fixture
def params(tmp_path):
    return make_params(tmp_path)


def test_split_register_keeps_in_scope_retenue_and_reports_the_rest(params):
    ret, oos = ty.split_register(make_operations(), make_register(), params)
    assert sorted(ret["op_id"]) == sorted(["F01", "F02", "F03", "F04", "F05", "F06", "F07", "F11", "F12", "F13",
                                           "I01", "I02", "I04"])
    assert "F10" not in set(ret["op_id"])                 # ecartee
    assert oos["op_id"].tolist() == ["F99"]               # retenue but not in the data: reported
    assert oos["motif"].iloc[0] == "absente des opérations analysées"
    f01 = ret.set_index("op_id").loc["F01"]
    assert f01["wave"] == "2019" and bool(f01["emblematique"]) is True
    assert f01["categorie_label"] == "Opérations ou démarches socialement innovantes"
    assert ret["continuation"].dtype == bool and not ret["continuation"].any()


def test_continuations_from_candidates(params):
    cand = pd.DataFrame({"op_id": ["F05", "F06"], "programme": ["fse", "fse"], "continuation": [True, False],
                         "continuation_of": ["F13", ""]})
    ret = ty.retained(make_operations(), make_register(), params, candidates=cand)
    cont = ty.continuations(ret, params)
    assert cont["op_id"].tolist() == ["F05"]
    assert cont["continuation_of"].tolist() == ["F13"]
    assert cont["ct_meur"].iloc[0] == pytest.approx(0.5)


@pytest.mark.parametrize("field,value,column", [("decision", "peut-être", "decision"),
                                                ("categorie", "inconnue", "categorie")])
def test_bad_register_rows_raise_input_error_with_line(params, field, value, column):
    reg = make_register()
    reg.loc[3, field] = value
    reg.attrs["source"] = "registre.csv"
    with pytest.raises(InputError) as err:
        ty.split_register(make_operations(), reg, params)
    assert err.value.row == 5 and err.value.column == column


def test_duplicate_register_rows_are_refused(params):
    reg = pd.concat([make_register(), make_register().iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="plusieurs fois"):
        ty.split_register(make_operations(), reg, params)


def test_load_register_reads_the_csv(params):
    write_register(params, make_register())
    reg = ty.load_register(params)
    assert len(reg) == len(make_register())
    assert reg.attrs["source"].endswith("registre.csv")
    assert (reg["decision"] == "retenue").sum() == 14   # incl. F99, out of scope


def test_categories_follow_typology_order(params):
    keys = [c.key for c in ty.categories(params)]
    assert keys == ["socialement_innovantes", "entrepreneuriat_social", "innovation_sociale_territoriale",
                    "ingenierie_outillage_etudes", "evaluation_impact_social"]
    defs = ty.definitions_table(params)
    assert defs["definition"].str.len().gt(50).all()


def test_by_category_tableau5(params):
    ret = ty.retained(make_operations(), make_register(), params)
    t5 = ty.by_category(ret, params).set_index("categorie")
    assert t5.index.tolist()[-1] == "total"
    assert t5.at["socialement_innovantes", "n_ops_2019"] == 2
    assert t5.at["socialement_innovantes", "ct_meur_2019"] == pytest.approx(0.6)
    assert t5.at["socialement_innovantes", "n_ops_cumulative"] == 3
    assert t5.at["innovation_sociale_territoriale", "ct_meur_cumulative"] == pytest.approx(1.15)
    assert t5.at["total", "n_ops_2019"] == 7 and t5.at["total", "n_ops_cumulative"] == 10
    assert t5.at["total", "ct_meur_cumulative"] == pytest.approx(3.46)
    assert t5.loc[t5.index != "total", "share_n_2019"].sum() == pytest.approx(1.0)
    assert t5.at["total", "share_ct_cumulative"] == pytest.approx(1.0)


def test_key_figures_by_type_shape_and_values(params):
    ret = ty.retained(make_operations(), make_register(), params)
    kf = ty.key_figures_by_type(ret, params)
    assert set(kf["fse"]) == {"2017", "2019", "cumulative"}       # every wave (the synthesis compares them)
    assert kf["fse"]["2019"]["entrepreneuriat_social"] == {"n_ops": 2, "ct": pytest.approx(0.5)}
    assert kf["fse"]["cumulative"]["evaluation_impact_social"]["n_ops"] == 1
    for cat in kf["fse"]["cumulative"]:
        assert kf["fse"]["cumulative"][cat]["n_ops"] == kf["fse"]["2017"][cat]["n_ops"] + kf["fse"]["2019"][cat]["n_ops"]


def test_flipping_one_decision_changes_exactly_its_cells(params):
    ops = make_operations()
    before = ty.by_category(ty.retained(ops, make_register(), params), params).set_index("categorie")
    reg = make_register()
    reg.loc[reg["op_id"].eq("F05"), ["decision", "categorie"]] = ["ecartee", ""]
    after = ty.by_category(ty.retained(ops, reg, params), params).set_index("categorie")
    count_cols = ["n_ops_2019", "ct_meur_2019", "n_ops_cumulative", "ct_meur_cumulative"]
    diff = (before[count_cols] - after[count_cols]).abs() > 1e-12
    changed = {(r, c) for r in diff.index for c in count_cols if diff.at[r, c]}
    assert changed == {(r, c) for r in ("socialement_innovantes", "total") for c in count_cols}
    assert before.at["total", "n_ops_2019"] - after.at["total", "n_ops_2019"] == 1
    assert before.at["total", "ct_meur_2019"] - after.at["total", "ct_meur_2019"] == pytest.approx(0.5)


def test_continuation_of_as_a_list_column(params):
    cand = pd.DataFrame({"op_id": ["F05"], "programme": ["fse"], "continuation": [True],
                         "continuation_of": [["F13", "F11"]]})
    ret = ty.retained(make_operations(), make_register(), params, candidates=cand)
    assert ret.loc[ret["op_id"].eq("F05"), "continuation_of"].iloc[0] == "F13;F11"

"""Validation rules, one by one, on small tables read through the demo mapping."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from isnote import validate as V
from isnote.errors import InputError
from isnote.readers import QualityLog, load_mapping, read_table

ROOT = Path(__file__).resolve().parents[1]
NOMENCLATURE = yaml.safe_load((ROOT / "params" / "nomenclature.yaml").read_text(encoding="utf-8"))
REGIONS = NOMENCLATURE["regions"]
HEAD = ("N° dossier;Intitulé de l'opération;Bénéficiaire;Axe;PI;OS;Région;Service gestionnaire;"
        "Date de programmation;Date de début;Date de fin;Coût total programmé;Montant UE programmé")


@pytest.fixture(scope="module")
def mapping():
    return load_mapping(ROOT / "params" / "mapping_mdfse.yaml")


def row(**kw) -> str:
    r = {"id": "201700001", "title": "T", "ben": "B", "axe": "3", "pi": "9.1", "os": "3911", "region": "Picardie",
         "service": "S", "prog": "05/03/2017", "start": "01/04/2017", "end": "31/03/2018", "ct": "1000", "ue": "500"}
    r.update(kw)
    return ";".join(r.values())


def ops_table(tmp_path, mapping, rows, programme="fse", name="ops.csv"):
    p = tmp_path / name
    p.write_text(HEAD + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    t = read_table(p, "operations", mapping)
    t.df["programme"] = programme
    return t


def check(t, log=None):
    return V.validate_operations(t, NOMENCLATURE, REGIONS, log or QualityLog(), ["fse", "iej"])


def test_valid_rows_pass(tmp_path, mapping):
    df = check(ops_table(tmp_path, mapping, [row(), row(id="201700002", os="1811", axe="1", pi="")]))
    assert df["os"].tolist() == ["3911", "1811"]
    assert df["pi"].tolist() == ["9.1", "8.1"]            # filled from the nomenclature


def test_duplicate_op_number_points_at_second_row(tmp_path, mapping):
    t = ops_table(tmp_path, mapping, [row(), row(id="201700002"), row()])
    with pytest.raises(InputError, match=r"en double \(déjà présent ligne 2\)") as info:
        check(t)
    assert info.value.row == 4 and info.value.column == "N° dossier"


def test_unknown_os_lists_known_codes(tmp_path, mapping):
    with pytest.raises(InputError, match="code OS inconnu") as info:
        check(ops_table(tmp_path, mapping, [row(os="3914")]))
    assert "3911" in info.value.expected and info.value.value == "3914"


def test_os_of_the_other_programme_refused(tmp_path, mapping):
    with pytest.raises(InputError, match="iej"):
        check(ops_table(tmp_path, mapping, [row()], programme="iej"))


def test_os_dotted_and_axis_label_counted(tmp_path, mapping):
    log = QualityLog()
    df = check(ops_table(tmp_path, mapping, [row(os="3.9.1.1", axe="Axe 3")]), log)
    assert df["os"].iloc[0] == "3911" and df["axe"].iloc[0] == "3"
    assert log.fixes_frame()["nombre"].sum() == 2


def test_axis_inconsistent(tmp_path, mapping):
    with pytest.raises(InputError, match="incohérent") as info:
        check(ops_table(tmp_path, mapping, [row(axe="1")]))
    assert "axe 3" in info.value.expected


def test_axis_filled_from_os(tmp_path, mapping):
    log = QualityLog()
    df = check(ops_table(tmp_path, mapping, [row(axe="")]), log)
    assert df["axe"].iloc[0] == "3"
    assert "déduit" in log.warnings_frame()["avertissement"].iloc[0]


def test_ue_above_ct_with_one_cent_tolerance(tmp_path, mapping):
    check(ops_table(tmp_path, mapping, [row(ct="1000", ue="1000,01")]))
    with pytest.raises(InputError, match="supérieur"):
        check(ops_table(tmp_path, mapping, [row(ct="1000", ue="1000,02")]))


def test_end_before_start(tmp_path, mapping):
    with pytest.raises(InputError, match="antérieure") as info:
        check(ops_table(tmp_path, mapping, [row(start="01/04/2018", end="31/03/2018")]))
    assert info.value.column == "Date de fin"


@pytest.mark.parametrize("field", ["id", "os", "prog", "ct", "ue"])
def test_required_values(tmp_path, mapping, field):
    with pytest.raises(InputError, match="valeur manquante"):
        check(ops_table(tmp_path, mapping, [row(**{field: ""})]))


def test_regions_normalised_and_unknown_warned(tmp_path, mapping):
    log = QualityLog()
    df = check(ops_table(tmp_path, mapping, [row(region="ILE DE FRANCE"), row(id="2", region=" rhone-alpes"),
                                             row(id="3", region="Occitanie")]), log)
    assert df["region"].tolist() == ["Ile-de-France", "Rhône-Alpes", "Occitanie"]
    assert log.fixes_frame()["nombre"].sum() >= 2
    assert log.warnings_frame()["exemple"].iloc[0] == "Occitanie"


def test_unique_across_programmes(tmp_path, mapping):
    a = check(ops_table(tmp_path, mapping, [row()], name="a.csv")).assign(_file="a.csv")
    b = check(ops_table(tmp_path, mapping, [row(os="182", axe="1", pi="8.2")], programme="iej",
                        name="b.csv")).assign(_file="b.csv")
    with pytest.raises(InputError, match="déjà présent dans a.csv") as info:
        V.check_unique_across([a, b])
    assert info.value.file == "b.csv" and info.value.row == 2


def test_waves_inclusive_and_exclusive_of_gaps():
    waves = {"2017": {"start": "2014-01-01", "end": "2017-03-04"}, "2019": {"start": "2017-03-05", "end": "2018-12-31"}}
    d = pd.Series(pd.to_datetime(["2017-03-04", "2017-03-05", "2018-12-31", "2019-01-01", "2013-12-31", None]))
    assert V.assign_waves(d, waves).tolist()[:3] == ["2017", "2019", "2019"]
    assert V.assign_waves(d, waves).isna().tolist()[3:] == [True, True, True]


def test_overlapping_waves_refused():
    with pytest.raises(InputError, match="chevauchent"):
        V.check_waves({"a": {"start": "2014-01-01", "end": "2017-03-05"},
                       "b": {"start": "2017-03-05", "end": "2018-12-31"}}, "p.yaml")


def test_excluded_axes_list_dict_and_title():
    assert V.excluded_axes(NOMENCLATURE, "fse", ["4"]) == {"4"}
    assert V.excluded_axes(NOMENCLATURE, "iej", ["4"]) == {"4", "2"}      # IEJ axis 2 is titled AT
    assert V.excluded_axes(NOMENCLATURE, "fse", {"iej": ["2"]}) == {"4"}
    ops = pd.DataFrame({"programme": ["fse", "fse", "iej", "fse"], "axe": ["4", "3", "2", "3"],
                        "wave": ["2019", "2019", "2019", None]})
    reasons = V.exclusion_reasons(ops, ["4"], {}, NOMENCLATURE)
    assert reasons.tolist()[0] == V.REASON_AT and pd.isna(reasons.iloc[1])
    assert reasons.tolist()[2:] == [V.REASON_AT, V.REASON_WINDOW]


def test_exclusion_of_the_mapping_wins():
    ops = pd.DataFrame({"programme": [None], "axe": ["4"], "wave": [None], "_exclude": ["autre programme"]})
    assert V.exclusion_reasons(ops, ["4"], {}, NOMENCLATURE).tolist() == ["autre programme"]


SURVEY_HEAD = ("Identifiant répondant;Structure gestionnaire;Type de gestionnaire;"
               "Le FSE a-t-il favorisé l'émergence d'innovations sociales ?")


def survey(tmp_path, mapping, answers):
    p = tmp_path / "s.csv"
    p.write_text(SURVEY_HEAD + "\n" + "\n".join(f"R{i};S;AGD;{a}" for i, a in enumerate(answers)) + "\n",
                 encoding="utf-8")
    return read_table(p, "survey", mapping)


def test_survey_answers_normalised(tmp_path, mapping):
    log = QualityLog()
    df = V.validate_survey(survey(tmp_path, mapping, ["oui", " Oui", "NON", "ne se prononce pas", "NSP",
                                                      "Ne sait pas"]), log)
    assert df["answer"].tolist() == ["oui", "oui", "non", "nsp", "nsp", "nsp"]
    assert log.fixes_frame()["nombre"].sum() == 5      # all but the first


def test_survey_answer_refused(tmp_path, mapping):
    with pytest.raises(InputError, match="hors des valeurs") as info:
        V.validate_survey(survey(tmp_path, mapping, ["oui", "plutôt oui"]), QualityLog())
    assert info.value.row == 3 and "ne se prononce pas" in info.value.expected


def test_lot5_unknown_and_duplicates(tmp_path, mapping):
    p = tmp_path / "l.csv"
    p.write_text("N° dossier;Intitulé\n1;a\n2;b\n1;a\n;vide\n", encoding="utf-8")
    log = QualityLog()
    df = V.validate_lot5(read_table(p, "lot5", mapping), {"1"}, log)
    assert df["op_id"].tolist() == ["1", "2"] and df["in_extract"].tolist() == [True, False]
    assert len(log.warnings_frame()) == 3


def test_qualitative_join(tmp_path, mapping):
    ops = pd.DataFrame({"op_id": ["1", "2"], "call_title": pd.Series([None, None], dtype="str"),
                        "description": pd.Series([None, "déjà là"], dtype="str"),
                        "actions": pd.Series([None, None], dtype="str"), "results": pd.Series([None, None], dtype="str")})
    p = tmp_path / "q.csv"
    p.write_text("N° dossier;Description de l'opération\n1;texte un\n2;texte deux\n9;inconnue\n", encoding="utf-8")
    log = QualityLog()
    out, joined = V.join_qualitative(ops, [read_table(p, "qualitative", mapping)], log)
    assert out["description"].tolist() == ["texte un", "déjà là"]
    assert list(joined.values()) == [2]
    assert log.warnings_frame()["nombre"].tolist() == [1]


def test_qualitative_duplicate_across_files(tmp_path, mapping):
    ops = pd.DataFrame({"op_id": ["1"], **{c: pd.Series([None], dtype="str")
                                           for c in ["call_title", "description", "actions", "results"]}})
    tables = []
    for name in ("a.csv", "b.csv"):
        p = tmp_path / name
        p.write_text("N° dossier;Description de l'opération\n1;texte\n", encoding="utf-8")
        tables.append(read_table(p, "qualitative", mapping))
    with pytest.raises(InputError, match="déjà décrite"):
        V.join_qualitative(ops, tables, QualityLog())

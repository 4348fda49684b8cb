"""The shared facts have one owner each (isnote.frdates, labels, register_schema, formula,
parquet_io, hashing, config.input_entries) and the notebook helpers (isnote.cells) say what the
data says."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest

from isnote import cells, config, export, formula, frdates, hashing, labels, parquet_io, register_schema
from isnote import review, typology


@pytest.mark.parametrize("value, long, month, numeric", [
    (dt.date(2019, 3, 9), "9 mars 2019", "mars 2019", "09/03/2019"),
    ("2014-01-01", "1er janvier 2014", "janvier 2014", "01/01/2014"),
    (pd.Timestamp("2017-12-05 14:30"), "5 décembre 2017", "décembre 2017", "05/12/2017"),
    ("31/08/2018", "31 août 2018", "août 2018", "31/08/2018"),
])
def test_french_dates(value, long, month, numeric):
    assert frdates.long_date(value) == long
    assert frdates.month_year(value) == month
    assert frdates.numeric_date(value) == numeric


def test_french_dates_of_missing_and_odd_values():
    assert frdates.month_year("2019-02") == "février 2019"
    assert frdates.numeric_date(None) == frdates.numeric_date(np.nan) == frdates.numeric_date(pd.NaT) == ""
    assert frdates.long_date("sans date") == "sans date"
    assert frdates.MONTHS[7] == "août" and len(frdates.MONTHS) == 12


def test_labels_fall_back_on_the_key_and_the_demo_name():
    waves = {"2017": {"label": "Première vague"}, "2019": {}}
    assert labels.wave_label(waves, "2017") == "Première vague"
    assert labels.wave_label(waves, "2019") == "Vague 2019"
    assert labels.wave_labels(waves) == {"2017": "Première vague", "2019": "Vague 2019"}
    assert labels.dataset_label({}) == labels.DEMO_DATASET_LABEL
    assert labels.dataset_label(None) == labels.DEMO_DATASET_LABEL
    assert labels.dataset_label({"dataset_label": "Extraction réelle"}) == "Extraction réelle"


def test_register_columns_have_one_owner():
    assert review.REGISTER_COLUMNS is register_schema.REGISTER_COLUMNS
    assert typology.REGISTER_COLUMNS is register_schema.REGISTER_COLUMNS
    assert set(register_schema.SCORE_COLUMNS) <= set(register_schema.DECISION_FIELDS)
    assert set(register_schema.DECISION_FIELDS) <= set(register_schema.REGISTER_COLUMNS)


def test_formula_neutralisation_round_trip():
    df = pd.DataFrame({"t": ["=SOMME(A1)", "+33 1", "texte", None, "@x", "-"], "n": [1, -2, 3, 4, 5, 6]})
    out = formula.neutralise(df)
    assert out["t"].tolist()[:3] == ["'=SOMME(A1)", "'+33 1", "texte"] and out["n"].tolist() == df["n"].tolist()
    back = formula.unneutralise(out["t"].fillna("").astype(str))
    assert back.tolist() == ["=SOMME(A1)", "+33 1", "texte", "", "@x", "-"]
    assert formula.neutralise_text("=1") == "'=1" and formula.unneutralise_text("'=1") == "=1"
    assert formula.unneutralise_text("'bonjour") == "'bonjour"
    assert export.neutralise is formula.neutralise


def test_parquet_writer_is_deterministic_and_keeps_types(tmp_path):
    df = pd.DataFrame({
        "op_id": ["A1", "B2", None], "programming_date": pd.to_datetime(["2019-01-02", None, "2018-05-06"]),
        "ct": [1.5, np.nan, 3.0], "n": pd.array([1, None, 3], dtype="Int64"), "flag": [True, False, True],
        "opt": pd.array([True, None, False], dtype="boolean")}, index=[7, 8, 9])
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    parquet_io.write_parquet(df, a)
    parquet_io.write_parquet(df.copy(), b)
    assert a.read_bytes() == b.read_bytes()
    back = pd.read_parquet(a)
    assert list(back.index) == [0, 1, 2]
    assert back["op_id"].isna().tolist() == [False, False, True]
    assert back["programming_date"].iloc[0] == dt.date(2019, 1, 2) and back["programming_date"].isna().iloc[1]
    assert back["n"].isna().tolist() == [False, True, False] and back["flag"].tolist() == [True, False, True]
    assert back["opt"].isna().tolist() == [False, True, False]
    import pyarrow.parquet as pq
    assert b"pandas" not in (pq.read_schema(a).metadata or {})
    assert export.write_parquet is parquet_io.write_parquet


def test_file_digest(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"isnote" * 100_000)
    assert hashing.file_sha256(p) == hashlib.sha256(p.read_bytes()).hexdigest()


def test_input_entries_numbered_or_not():
    inputs = {"operations": {"fse": "a.csv", "iej": "b.csv"}, "survey": ["s1.csv", "s2.csv"], "none": None}
    assert config.input_entries(inputs) == [("operations.fse", "a.csv"), ("operations.iej", "b.csv"),
                                            ("survey[1]", "s1.csv"), ("survey[2]", "s2.csv")]
    assert [r for r, _ in config.input_entries(inputs, numbered=False)][2:] == ["survey", "survey"]


# ---------------------------------------------------------------------------------- cells


def test_programme_and_wave_labels():
    p = {"programmes": {"fse": "x", "iej": "y", "pic": "z"}, "programmes_short": {"iej": "IEJ"},
         "waves": {"2019": {"label": "Vague 2019"}, "2021": {}}, "current_wave": "2021"}
    assert cells.programme_labels(p) == {"fse": "PON FSE", "iej": "IEJ", "pic": "PIC"}
    assert cells.wave_label(p) == "Vague 2021" and cells.wave_labels(p)["2019"] == "Vague 2019"


def test_sentences_agree_in_number():
    one = {"fse": {"analysed": 1, "preidentified": 1, "candidates": 1}}
    many = {"fse": {"analysed": 2500, "preidentified": 224, "candidates": 300}}
    s1 = cells.funnel_html(one, {"fse": "PON FSE"}, "Vague 2019", None)
    s2 = cells.funnel_html(many, {"fse": "PON FSE", "iej": "PON IEJ"}, "Vague 2019", None)
    assert "1 opération analysée, dont 1 pré-identifiée" in s1 and "1 opération candidate" in s1
    assert "224 pré-identifiées" in s2 and "PON IEJ" not in s2 and s2.startswith("<p>Pour la vague 2019 : ")
    refs = cells.survey_refs_html({"survey_refs": {"named": 3, "in_wave": 1, "out_of_window": 2, "not_found": 0}})
    assert "3 numéros" in refs and "1 correspond " in refs and "2 désignent" in refs and "0 ne figure " in refs
    assert cells.continuations_html(1, None).endswith("a un porteur déjà retenu lors de la vague précédente.</p>")
    assert " ont un porteur " in cells.continuations_html(3, "Vague 2017")
    # none: said in words, not as a count ("Zéro opération ... a un porteur")
    assert cells.continuations_html(0, "Vague 2021") == (
        "<p>Aucune opération candidate de la vague n'a de porteur déjà retenu lors de la vague 2021.</p>")
    assert cells.regions_html([]) == ""


def test_captions_fill_their_blanks_and_tables_carry_them():
    assert cells.caption("entonnoir", wave="vague 2019").endswith("opérations de la vague 2019 par étape")
    html = cells.table(pd.DataFrame({"a": [1]}), "categories")
    assert "Les catégories d" in html and "paramètres de typologie du projet" in html
    with pytest.raises(KeyError):
        cells.caption("inconnue")

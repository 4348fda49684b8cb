"""Readers: encodings, comment lines, separators, headers, types, XLSX, parquet, mapping extensions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from isnote import frnum
from isnote.errors import InputError
from isnote.readers import (QualityLog, load_mapping, norm_header, parse_dates, read_participant_counts,
                            read_table)

ROOT = Path(__file__).resolve().parents[1]
MDFSE = ROOT / "params" / "mapping_mdfse.yaml"
LOT5_HEAD = "N° dossier;Intitulé"


@pytest.fixture(scope="module")
def mapping():
    return load_mapping(MDFSE)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def custom_mapping(tmp_path: Path, data: dict) -> object:
    p = tmp_path / "mapping.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_mapping(p)


# ----------------------------------------------------------------------------- French numbers

def test_parse_fr_numbers_detail_kinds():
    s = pd.Series(["12 345,67 €", "1\u00a0234,5", "1234.5", "  7 ", "", None, "abc", "-5", "12,5,3"])
    nums, invalid, fixes = frnum.parse_fr_numbers_detail(s)
    assert nums.iloc[0] == pytest.approx(12345.67)
    assert nums.iloc[1] == pytest.approx(1234.5)
    assert nums.iloc[2] == pytest.approx(1234.5)
    assert nums.iloc[3] == 7
    assert nums.iloc[7] == -5
    assert invalid.tolist() == [False, False, False, False, False, False, True, False, True]
    assert fixes[frnum.FIX_EURO].tolist()[:3] == [True, False, False]
    assert fixes[frnum.FIX_THOUSANDS_SPACE].tolist()[:3] == [True, False, False]
    assert fixes[frnum.FIX_NBSP].tolist()[:3] == [False, True, False]


def test_parse_fr_numbers_unchanged_behaviour():
    nums, invalid, corrected = frnum.parse_fr_numbers(pd.Series(["1 000,5", "2"]))
    assert nums.tolist() == [1000.5, 2.0]
    assert corrected.tolist() == [True, False] and not invalid.any()


# ----------------------------------------------------------------------------- dates

def test_parse_dates_formats():
    s = pd.Series(["05/03/2017", "5/3/2017", "2017-03-05", "2017-03-05 00:00:00", "", None,
                   "31/02/2018", "29/02/2019", "29/02/2020", "05/03/17", "le 5 mars", "2017/03/05", "05-03-2017"])
    d = parse_dates(s)
    assert d.values.iloc[:4].tolist() == [pd.Timestamp("2017-03-05")] * 4
    assert d.values.iloc[4:6].isna().all()
    assert d.impossible.tolist()[6:9] == [True, True, False]
    assert d.values.iloc[8] == pd.Timestamp("2020-02-29")
    assert d.two_digit_year.iloc[9] and not d.unknown.iloc[9]
    assert d.unknown.tolist()[10:] == [True, True, True]
    assert d.iso.tolist()[:4] == [False, False, True, True]
    assert str(d.values.dtype) == "datetime64[s]"


def test_parse_dates_implausible_year():
    d = parse_dates(pd.Series(["01/01/1017", "01/01/2017"]))
    assert d.impossible.tolist() == [True, False]


# ----------------------------------------------------------------------------- encodings, lines

def test_cp1252_recorded_and_comment_lines(tmp_path, mapping):
    p = write(tmp_path, "lot5.csv", f"# bandeau synthétique\n{LOT5_HEAD}\n201700001;Opération été\n", "cp1252")
    t = read_table(p, "lot5", mapping)
    assert t.encoding == "cp1252"
    assert t.comment_lines == 1
    assert t.df["title"].iloc[0] == "Opération été"
    assert t.df["_line"].tolist() == [3]


def test_utf8_with_bom(tmp_path, mapping):
    p = write(tmp_path, "lot5.csv", f"\ufeff{LOT5_HEAD}\n201700001;Intitulé\n")
    t = read_table(p, "lot5", mapping)
    assert t.encoding == "utf-8" and t.df["op_id"].tolist() == ["201700001"]


def test_utf16_refused(tmp_path, mapping):
    p = write(tmp_path, "lot5.csv", f"{LOT5_HEAD}\n201700001;x\n", "utf-16")
    with pytest.raises(InputError, match="encodage"):
        read_table(p, "lot5", mapping)


def test_mixed_encoding_names_the_line(tmp_path, mapping):
    raw = f"{LOT5_HEAD}\n201700001;caf\xe9\n".encode("cp1252") + "201700002;réseau\n".encode("utf-8")
    p = tmp_path / "lot5.csv"
    p.write_bytes(raw)
    with pytest.raises(InputError, match="encodage mixte") as info:
        read_table(p, "lot5", mapping)
    assert info.value.row == 3


def test_encoding_not_in_list(tmp_path):
    m = custom_mapping(tmp_path, {"read": {"encodings": ["utf-8"]},
                                  "lot5": {"op_id": {"header": "N° dossier", "required": True}}})
    p = write(tmp_path, "lot5.csv", f"{LOT5_HEAD}\n201700001;été\n", "cp1252")
    with pytest.raises(InputError, match="encodage non reconnu") as info:
        read_table(p, "lot5", m)
    assert "utf-8" in info.value.expected


def test_line_numbers_with_multiline_and_blank_lines(tmp_path, mapping):
    text = ("# bandeau\nN° dossier;Description de l'opération\n"
            '201700001;"ligne un\nligne deux\nligne trois"\n'
            "\n"
            "201700002;simple\n")
    p = write(tmp_path, "q.csv", text)
    log = QualityLog()
    t = read_table(p, "qualitative", mapping, log=log)
    assert t.df["_line"].tolist() == [3, 7]
    assert t.df["description"].iloc[0].count("\n") == 2
    assert log.warnings_frame()["nombre"].sum() == 1       # the blank line


def test_wrong_separator_names_expected(tmp_path, mapping):
    p = write(tmp_path, "lot5.csv", "N° dossier,Intitulé\n201700001,x\n")
    with pytest.raises(InputError) as info:
        read_table(p, "lot5", mapping)
    assert "« ; »" in info.value.expected and "virgule" in str(info.value.value)
    assert info.value.row == 1


def test_single_column_file_is_fine(tmp_path, mapping):
    p = write(tmp_path, "lot5.csv", "N° dossier\n201700001\n201700002\n")
    assert read_table(p, "lot5", mapping).df["op_id"].tolist() == ["201700001", "201700002"]


def test_ragged_row(tmp_path, mapping):
    p = write(tmp_path, "lot5.csv", f"{LOT5_HEAD}\n201700001;a\n201700002;b;c\n")
    with pytest.raises(InputError, match="nombre de champs") as info:
        read_table(p, "lot5", mapping)
    assert info.value.row == 3


def test_trailing_separators_are_ignored(tmp_path, mapping):
    p = write(tmp_path, "lot5.csv", f"{LOT5_HEAD};;\n201700001;a;;\n")
    assert read_table(p, "lot5", mapping).df["title"].tolist() == ["a"]


def test_empty_files(tmp_path, mapping):
    with pytest.raises(InputError, match="0 octet"):
        read_table(write(tmp_path, "a.csv", ""), "lot5", mapping)
    with pytest.raises(InputError, match="en-tête seul"):
        read_table(write(tmp_path, "b.csv", LOT5_HEAD + "\n"), "lot5", mapping)
    t = read_table(write(tmp_path, "c.csv", LOT5_HEAD + "\n"), "lot5", mapping, allow_empty=True)
    assert t.rows == 0 and list(t.df.columns)[:2] == ["op_id", "title"]


# ----------------------------------------------------------------------------- headers

def test_norm_header():
    assert norm_header("  N° DOSSIER\u00a0") == norm_header("n° dossier")
    assert norm_header("Intitulé de l’opération") == norm_header("intitule de l'operation")
    assert norm_header("Région") == "region"


def test_header_tolerance_counted(tmp_path, mapping):
    p = write(tmp_path, "lot5.csv", " n° DOSSIER\u00a0;INTITULE\n201700001;x\n")
    log = QualityLog()
    t = read_table(p, "lot5", mapping, log=log)
    assert t.df["title"].tolist() == ["x"]
    assert log.n_fixes(t.label) == 2


def test_duplicated_header(tmp_path, mapping):
    p = write(tmp_path, "lot5.csv", "N° dossier;Intitulé;n° dossier\n1;x;2\n")
    with pytest.raises(InputError, match="en double") as info:
        read_table(p, "lot5", mapping)
    assert info.value.column == "N° dossier"


def test_missing_required_lists_missing_and_found(tmp_path, mapping):
    p = write(tmp_path, "lot5.csv", "Numéro;Intitulé\n1;x\n")
    with pytest.raises(InputError) as info:
        read_table(p, "lot5", mapping)
    msg = str(info.value)
    assert "« N° dossier »" in msg and "« Numéro »" in msg


def test_optional_column_absent(tmp_path, mapping):
    t = read_table(write(tmp_path, "lot5.csv", "N° dossier\n1\n"), "lot5", mapping)
    assert t.df["title"].isna().all()


def test_surrounding_spaces_counted(tmp_path, mapping):
    log = QualityLog()
    t = read_table(write(tmp_path, "lot5.csv", f"{LOT5_HEAD}\n 201700001 ;  titre \n"), "lot5", mapping, log=log)
    assert t.df["op_id"].tolist() == ["201700001"] and t.df["title"].tolist() == ["titre"]
    assert log.n_fixes(t.label) == 2


# ----------------------------------------------------------------------------- types

OPS_HEAD = ("N° dossier;Intitulé de l'opération;Bénéficiaire;Axe;OS;Région;Service gestionnaire;"
            "Date de programmation;Coût total programmé;Montant UE programmé;Nombre de participants prévus")


def ops_line(**kw):
    row = {"id": "201700001", "title": "T", "ben": "B", "axe": "3", "os": "3911", "region": "Picardie",
           "service": "S", "prog": "05/03/2017", "ct": "1 000,50", "ue": "500", "planned": "12"}
    row.update(kw)
    return ";".join(row.values())


def test_types_converted(tmp_path, mapping):
    log = QualityLog()
    p = write(tmp_path, "ops.csv", f"{OPS_HEAD}\n{ops_line()}\n", "cp1252")
    t = read_table(p, "operations", mapping, log=log)
    df = t.df
    assert df["ct"].iloc[0] == pytest.approx(1000.5) and str(df["ct"].dtype) == "float64"
    assert df["planned_participants"].iloc[0] == 12 and str(df["planned_participants"].dtype) == "Int64"
    assert df["programming_date"].iloc[0] == pd.Timestamp("2017-03-05")
    assert df["start_date"].isna().all()
    assert log.n_fixes(t.label) == 1          # the thousands space


@pytest.mark.parametrize("field,value,message", [
    ("ct", "abc", "nombre illisible"), ("ue", "-5", "négative"), ("planned", "1,5", "non entier"),
    ("prog", "31/02/2018", "impossible"), ("prog", "05/03/17", "deux chiffres"), ("prog", "mars 2017", "illisible"),
])
def test_type_errors_name_row_and_column(tmp_path, mapping, field, value, message):
    p = write(tmp_path, "ops.csv", f"# bandeau\n{OPS_HEAD}\n{ops_line()}\n{ops_line(id='201700002', **{field: value})}\n"
              f"{ops_line(id='201700003', **{field: value})}\n", "cp1252")
    with pytest.raises(InputError, match=message) as info:
        read_table(p, "operations", mapping)
    err = info.value
    assert err.row == 4 and err.more == 1 and err.value == value and err.expected


def test_rate_type(tmp_path):
    m = custom_mapping(tmp_path, {"lot5": {"op_id": {"header": "id"}, "rate": {"header": "taux", "type": "rate"}}})
    t = read_table(write(tmp_path, "r.csv", "id;taux\n1;50 %\n2;0,85\n3;60,5%\n4;\n"), "lot5", m)
    assert t.df["rate"].tolist()[:3] == pytest.approx([0.5, 0.85, 0.605])
    with pytest.raises(InputError, match="taux"):
        read_table(write(tmp_path, "r2.csv", "id;taux\n1;150 %\n"), "lot5", m)


# ----------------------------------------------------------------------------- XLSX

def make_xlsx(path: Path, rows: list[list], sheet: str = "Feuil1") -> None:
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)


def test_xlsx_native_types_and_lines(tmp_path, mapping):
    p = tmp_path / "ops.xlsx"
    make_xlsx(p, [["# bandeau"], OPS_HEAD.split(";"),
                  [201700001, "T", "B", 3, 3911, "Picardie", "S", dt.datetime(2017, 3, 5), 1000.5, 500, 12],
                  [201700002, "T2", "B", "3", "3911", "Picardie", "S", "06/03/2017", "2 000,00", "1000", None]])
    t = read_table(p, "operations", mapping)
    df = t.df
    assert df["op_id"].tolist() == ["201700001", "201700002"]
    assert df["programming_date"].tolist() == [pd.Timestamp("2017-03-05"), pd.Timestamp("2017-03-06")]
    assert df["ct"].tolist() == [1000.5, 2000.0]
    assert df["_line"].tolist() == [3, 4]
    assert t.comment_lines == 1 and t.sheet == "Feuil1"


def test_xlsx_missing_sheet_lists_found(tmp_path):
    m = custom_mapping(tmp_path, {"read": {"sheet": "Lot 5"}, "lot5": {"op_id": {"header": "N° dossier"}}})
    p = tmp_path / "l.xlsx"
    make_xlsx(p, [["N° dossier"], [1]], sheet="Feuil1")
    with pytest.raises(InputError, match="Lot 5") as info:
        read_table(p, "lot5", m)
    assert "Feuil1" in str(info.value)


def test_xlsx_error_row_is_sheet_row(tmp_path, mapping):
    p = tmp_path / "ops.xlsx"
    make_xlsx(p, [OPS_HEAD.split(";"), ops_line().split(";"), ops_line(id="2", ct="abc").split(";")])
    with pytest.raises(InputError, match="illisible") as info:
        read_table(p, "operations", mapping)
    assert info.value.row == 3


def test_not_a_workbook(tmp_path, mapping):
    p = write(tmp_path, "x.xlsx", "pas un classeur")
    with pytest.raises(InputError, match="XLSX illisible"):
        read_table(p, "lot5", mapping)


# ----------------------------------------------------------------------------- participants

def test_participant_counts_dictionary_plain_and_int(tmp_path, mapping):
    ids = ["201700001"] * 3 + ["201700002"] * 2 + [None, " 201700003 "]
    for name, arr in {"dict": pa.array(ids).dictionary_encode(), "plain": pa.array(ids)}.items():
        p = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table({"N° dossier": arr, "Sexe": pa.array(["F"] * len(ids))}), p)
        pc = read_participant_counts(p, mapping)
        assert pc.counts.to_dict() == {"201700001": 3, "201700002": 2, "201700003": 1}
        assert pc.rows == 7 and pc.missing_op == 1
    p = tmp_path / "int.parquet"
    pq.write_table(pa.table({"n° dossier": pa.array([201700001, 201700001, 5], pa.int64())}), p)
    assert read_participant_counts(p, mapping).counts.to_dict() == {"201700001": 2, "5": 1}


def test_participant_counts_on_two_million_rows(tmp_path, mapping):
    rng = np.random.default_rng(0)
    pool = np.array([str(201700000 + i) for i in range(14000)])
    drawn = pool[rng.integers(0, len(pool), 2_030_000)]
    arr = pa.array(drawn).dictionary_encode()
    p = tmp_path / "big.parquet"
    pq.write_table(pa.table({"N° dossier": arr}), p)
    pc = read_participant_counts(p, mapping)      # its time is measured by `make bench`, not asserted
    assert int(pc.counts.sum()) == 2_030_000
    ids, n = np.unique(drawn, return_counts=True)
    assert sorted(pc.counts.tolist()) == sorted(n.tolist())      # one count per dossier, exact


# ----------------------------------------------------------------------------- mapping extensions

def test_mapping_rule_checks(tmp_path):
    with pytest.raises(InputError, match="clé"):
        custom_mapping(tmp_path, {"lot5": {"op_id": {"header": "x", "hedaer": "y"}}})
    with pytest.raises(InputError, match="exactement une source"):
        custom_mapping(tmp_path, {"lot5": {"op_id": {"header": "x", "value": "y"}}})
    with pytest.raises(InputError, match="type inconnu"):
        custom_mapping(tmp_path, {"lot5": {"op_id": {"header": "x", "type": "money"}}})
    with pytest.raises(InputError, match="date_format"):
        custom_mapping(tmp_path, {"read": {"date_format": "%m/%d/%Y"}, "lot5": {"op_id": "x"}})


def test_derivations(tmp_path):
    m = custom_mapping(tmp_path, {"lot5": {
        "op_id": {"header": "id"},
        "cat": {"header": "cat", "extract": r"(\d{3})"},
        "kind": {"template": "{cat}", "map": {"109": "inclusion", "104": "creation"}, "unmapped": "exclude",
                 "reason": "hors champ"},
        "label": {"header": "po", "map": {"pon fse": "fse", "iej": "iej"}, "match": "contains", "unmapped": "empty"},
        "code": {"template": "{a}{b}", "remove": "."},
        "a": {"header": "a"}, "b": {"header": "b"},
        "start": {"header": "start", "type": "date"},
        "prog": {"header": "prog", "type": "date", "fallback": "start"},
        "copy": {"from": "start"},
        "const": {"value": "Bretagne"},
        "region": {"header": "absente", "default": "Corse"},
        "ct": {"header": "ct", "type": "amount"}, "rate": {"header": "rate", "type": "rate"},
        "ue": {"product": ["ct", "rate"]},
        "hid": {"hash": ["a", "start"], "prefix": "X-"},
    }})
    text = ("id;cat;po;a;b;start;prog;ct;rate\n"
            "1;109 - Inclusion active;Le PON FSE national;3;9.1;01/02/2018;;1 000,00;50 %\n"
            "2;063 - Autre;Programme IEJ;3;9.1;01/02/2018;05/01/2018;333,33;0,5\n"
            "3;104;PO Etat;;;02/02/2018;;10;1\n")
    log = QualityLog()
    t = read_table(write(tmp_path, "d.csv", text), "lot5", m, log=log)
    df = t.df
    assert df["cat"].tolist() == ["109", "063", "104"]
    assert df["kind"].tolist()[0] == "inclusion" and pd.isna(df["kind"].iloc[1])
    assert df["_exclude"].tolist()[1] == "hors champ" and df["_exclude"].isna().tolist() == [True, False, True]
    assert df["label"].tolist()[:2] == ["fse", "iej"] and pd.isna(df["label"].iloc[2])
    assert df["code"].tolist()[:2] == ["391", "391"] and pd.isna(df["code"].iloc[2])
    assert df["prog"].tolist() == [pd.Timestamp("2018-02-01"), pd.Timestamp("2018-01-05"), pd.Timestamp("2018-02-02")]
    assert df["copy"].tolist() == df["start"].tolist()
    assert set(df["const"]) == {"Bretagne"} and set(df["region"]) == {"Corse"}
    assert df["ue"].tolist() == pytest.approx([500.0, 166.67, 10.0])
    assert df["hid"].iloc[0].startswith("X-") and df["hid"].iloc[1] == df["hid"].iloc[0] + "-2"
    assert df["hid"].iloc[2] != df["hid"].iloc[0]
    assert "reprise" in log.warnings_frame()["avertissement"].iloc[0]


def test_hash_ids_are_stable(tmp_path):
    m = custom_mapping(tmp_path, {"lot5": {"t": {"header": "t"}, "op_id": {"hash": ["t"], "prefix": "A-"}}})
    a = read_table(write(tmp_path, "a.csv", "t\nUn\nDeux\n"), "lot5", m).df["op_id"].tolist()
    b = read_table(write(tmp_path, "b.csv", "t\nDeux\n UN \n"), "lot5", m).df["op_id"].tolist()
    assert a == [b[1], b[0]]


def test_unmapped_error(tmp_path):
    m = custom_mapping(tmp_path, {"lot5": {"op_id": {"header": "id"},
                                           "p": {"header": "po", "map": {"a": "x"}, "unmapped": "error"}}})
    with pytest.raises(InputError, match="table de correspondance") as info:
        read_table(write(tmp_path, "u.csv", "id;po\n1;a\n2;b\n"), "lot5", m)
    assert info.value.row == 3 and info.value.column == "po"


def test_derived_column_needs_its_source(tmp_path):
    m = custom_mapping(tmp_path, {"lot5": {"op_id": {"template": "{nope}"}}})
    with pytest.raises(InputError, match="nope"):
        read_table(write(tmp_path, "n.csv", "x\n1\n"), "lot5", m)


def test_fallback_is_reported_with_the_file_headers(tmp_path):
    m = custom_mapping(tmp_path, {"lot5": {
        "op_id": {"header": "Numéro"},
        "os_from_label": {"header": "Objectif (code et libellé)", "extract": r"^(\d+)"},
        "os": {"header": "Objectif", "fallback": "os_from_label"},
    }})
    text = "Numéro;Objectif (code et libellé);Objectif\n1;391 - Innovation;\n2;392 - Autre;392\n"
    log = QualityLog()
    t = read_table(write(tmp_path, "d.csv", text), "lot5", m, log=log)
    assert t.df["os"].tolist() == ["391", "392"]
    warning = log.warnings_frame()["avertissement"].iloc[0]
    assert warning == "colonne « Objectif » vide, valeur reprise de la colonne « Objectif (code et libellé) »"
    assert "os_from_label" not in warning

"""Hostile inputs, second corpus (issue 9, "Inputs"): special files, workbooks that expand,
ambiguous numbers, Unicode tricks, wrong column types, short rows. Each case asserts the exact
outcome: a clean InputError naming file, line and column, or the correct figure and its count."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hostile import corpus as C
from isnote import ingest, input_guard
from isnote.config import load_params
from isnote.errors import InputError

H_ID, H_TITLE, H_CT = "N° dossier", "Intitulé de l'opération", "Coût total programmé"
ROOT = C.ROOT


def _utf8_cell(d: Path, key: str, op: str, header: str, value: str) -> None:
    """Set a cell and rewrite the file in UTF-8 (the cp1252 extracts cannot hold these characters)."""
    C.set_cell(d, key, op, header, "PLACEHOLDER")
    text = C.read_text(d, key).replace("PLACEHOLDER", value)
    C.write_text(d, key, text, encoding="utf-8")


def _run(d: Path):
    return ingest.run(load_params(d / "params.yaml"))


def _error(d: Path) -> InputError:
    with pytest.raises(InputError) as info:
        _run(d)
    return info.value


def _fixes(result, key_path: Path, kind: str) -> int:
    f = result.corrections
    return int(f.loc[(f["fichier"] == str(key_path)) & f["correction"].str.contains(kind, regex=False), "nombre"].sum())


# ------------------------------------------------------------------ regular files only

@pytest.mark.parametrize("key", ["ops_iej", "survey", "participants"])
def test_fifo_as_input_is_refused_at_once(tmp_path, key):
    C.make_base(tmp_path)
    p = C.path_of(tmp_path, key)
    p.unlink()
    os.mkfifo(p)                        # opening it would block forever
    err = _error(tmp_path)
    assert err.file == str(p) and "tube nommé" in str(err) and err.row is None


def test_directory_as_input_is_refused(tmp_path):
    C.make_base(tmp_path)
    p = C.path_of(tmp_path, "lot5")
    p.unlink()
    p.mkdir()
    err = _error(tmp_path)
    assert err.file == str(p) and "dossier" in str(err)


def test_fifo_as_parameters_file_gives_exit_2(tmp_path):
    fifo = tmp_path / "params.yaml"
    os.mkfifo(fifo)
    env = {k: v for k, v in os.environ.items() if k != "ISNOTE_OUTPUT_DIR"}
    proc = subprocess.run([sys.executable, "-m", "isnote.ingest", "--params", str(fifo)], capture_output=True,
                          text=True, cwd=str(ROOT), env=env, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("ERREUR : ")
    assert "tube nommé" in proc.stderr and "Traceback" not in proc.stderr


# ------------------------------------------------------------------ workbook size and expansion

def _xlsx_of_ops(d: Path) -> Path:
    frame = pd.read_csv(C.path_of(d, "ops_iej"), sep=";", encoding="cp1252", skiprows=1, dtype=str)
    xlsx = d / "operations_pon_iej.xlsx"
    frame.to_excel(xlsx, index=False)
    data = C.params_dict(d)
    data["inputs"]["operations"]["iej"] = str(xlsx)
    C.write_params(d, data)
    return xlsx


def _patch_zip(path: Path, member_suffix: str, fn) -> None:
    """Rewrite one member of a zip (content fn(bytes) -> bytes), keeping the others."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(info.filename, fn(data) if info.filename.endswith(member_suffix) else data)
    path.write_bytes(buf.getvalue())


def test_xlsx_claiming_a_huge_expansion_is_refused_before_reading(tmp_path):
    C.make_base(tmp_path)
    xlsx = _xlsx_of_ops(tmp_path)
    raw = bytearray(xlsx.read_bytes())
    # the central directory says the sheet expands to ~4 GB (uncompressed size field, offset 24)
    name = b"xl/worksheets/sheet1.xml"
    pos = raw.find(b"PK\x01\x02")
    while pos >= 0:
        n = int.from_bytes(raw[pos + 28:pos + 30], "little")
        if raw[pos + 46:pos + 46 + n] == name:
            raw[pos + 24:pos + 28] = (0xFFFFFF00).to_bytes(4, "little")
        pos = raw.find(b"PK\x01\x02", pos + 4)
    xlsx.write_bytes(bytes(raw))
    err = _error(tmp_path)
    assert err.file == str(xlsx) and "trop volumineux une fois décompressé" in str(err)


def test_highly_compressible_xlsx_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(input_guard, "MAX_XLSX_UNCOMPRESSED", 2 * input_guard.MB)
    C.make_base(tmp_path)
    xlsx = _xlsx_of_ops(tmp_path)
    pad = b"<!--" + b" " * (8 * input_guard.MB) + b"-->"          # 8 MB of spaces: a few KB zipped
    _patch_zip(xlsx, "sheet1.xml", lambda b: b.replace(b"<sheetData>", pad + b"<sheetData>", 1))
    assert xlsx.stat().st_size < 200_000
    err = _error(tmp_path)
    assert err.file == str(xlsx) and "trop volumineux une fois décompressé" in str(err)
    assert "Mo" in err.expected


def test_xlsx_declaring_millions_of_rows_is_refused(tmp_path):
    C.make_base(tmp_path)
    xlsx = _xlsx_of_ops(tmp_path)
    _patch_zip(xlsx, "sheet1.xml", lambda b: __import__("re").sub(rb'<dimension ref="[^"]+"\s*/>',
                                                                   b'<dimension ref="A1:Z3000000"/>', b))
    err = _error(tmp_path)
    assert err.file == str(xlsx) and "trop de lignes" in str(err) and "3 000 000" in str(err)


def test_xlsx_holding_too_many_rows_without_dimension_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(input_guard, "MAX_ROWS", 1000)
    C.make_base(tmp_path)
    xlsx = _xlsx_of_ops(tmp_path)
    rows = b"".join(b'<row r="%d"/>' % i for i in range(10, 5000))
    _patch_zip(xlsx, "sheet1.xml", lambda b: __import__("re").sub(rb"<dimension [^>]+/>", b"", b)
               .replace(b"</sheetData>", rows + b"</sheetData>"))
    err = _error(tmp_path)
    assert "trop de lignes" in str(err) and "contient" in str(err)


def test_very_long_token_is_refused_with_its_line(tmp_path):
    C.make_base(tmp_path)
    C.set_cell(tmp_path, "ops_fse", "201700044", H_TITLE, "A" * 50_000)
    err = _error(tmp_path)
    assert err.file == str(C.path_of(tmp_path, "ops_fse")) and err.column == H_TITLE
    assert err.row == C.line_of(tmp_path, "ops_fse", "201700044")
    assert "sans espace" in str(err) and err.expected


# ------------------------------------------------------------------ ambiguous numbers

def test_amount_with_point_and_three_digits_is_refused(tmp_path):
    C.make_base(tmp_path)
    C.set_cell(tmp_path, "ops_fse", "201700055", H_CT, "374.609")
    err = _error(tmp_path)
    assert "montant ambigu" in str(err) and err.column == H_CT
    assert err.row == C.line_of(tmp_path, "ops_fse", "201700055") and err.value == "374.609"


def test_amount_with_point_and_two_decimals_is_still_read(tmp_path):
    C.make_base(tmp_path)
    C.set_cell(tmp_path, "ops_fse", "201700055", H_CT, "340000.50")
    ops = _run(tmp_path).operations
    assert ops.set_index("op_id").loc["201700055", "ct"] == 340000.50


def test_full_width_digits_are_normalised_and_counted(tmp_path):
    C.make_base(tmp_path)
    _utf8_cell(tmp_path, "ops_fse", "201700055", H_CT, "３４０ ０００,００")
    result = _run(tmp_path)
    assert result.operations.set_index("op_id").loc["201700055", "ct"] == 340000.0
    assert _fixes(result, C.path_of(tmp_path, "ops_fse"), "NFKC") == 1


# ------------------------------------------------------------------ Unicode in identifiers and texts

def test_zero_width_space_in_op_id_is_removed_and_counted(tmp_path):
    C.make_base(tmp_path)
    _utf8_cell(tmp_path, "ops_fse", "201700044", H_ID, "201700\u200b044")
    result = _run(tmp_path)
    assert "201700044" in set(result.operations["op_id"])
    assert not result.operations["op_id"].str.contains("\u200b").any()
    assert _fixes(result, C.path_of(tmp_path, "ops_fse"), "invisibles") == 1
    # the participants of 201700044 are still counted (identifiers compared after normalisation)
    assert result.operations.set_index("op_id").loc["201700044", "participants"] == C.PARTICIPANTS["201700044"]


def test_zero_width_space_does_not_make_one_operation_count_in_two_programmes(tmp_path):
    C.make_base(tmp_path)
    C.set_cell(tmp_path, "ops_iej", "201700202", H_ID, "PLACEHOLDER")
    text = C.read_text(tmp_path, "ops_iej").replace("PLACEHOLDER", "201700044\u200b")
    C.write_text(tmp_path, "ops_iej", text, encoding="utf-8")
    err = _error(tmp_path)
    assert "déjà présent dans" in str(err) and err.file == str(C.path_of(tmp_path, "ops_iej"))


def test_vertical_tab_in_title_is_cleaned_and_counted(tmp_path):
    C.make_base(tmp_path)
    C.set_cell(tmp_path, "ops_fse", "201700044", H_TITLE, "Ligne un\x0bligne deux")
    result = _run(tmp_path)
    title = result.operations.set_index("op_id").loc["201700044", "title"]
    assert title == "Ligne un ligne deux"
    assert _fixes(result, C.path_of(tmp_path, "ops_fse"), "invisibles") == 1


def test_zero_width_in_participants_parquet_ids(tmp_path):
    C.make_base(tmp_path)
    C.write_participants(C.path_of(tmp_path, "participants"), {"201700044\u200b": 3, "201500011": 5})
    ops = _run(tmp_path).operations.set_index("op_id")
    assert ops.loc["201700044", "participants"] == 3 and ops.loc["201500011", "participants"] == 5


# ------------------------------------------------------------------ wrong column types

@pytest.mark.parametrize("array", [pa.array([201700044.0, 201500011.0], pa.float64()),
                                   pa.array([pd.Timestamp("2017-01-01").date()] * 2, pa.date32())])
def test_participants_op_id_of_wrong_type_is_an_error(tmp_path, array):
    C.make_base(tmp_path)
    p = C.path_of(tmp_path, "participants")
    pq.write_table(pa.table({"N° dossier": array, "Sexe": pa.array(["F", "H"])}), p)
    err = _error(tmp_path)
    assert err.file == str(p) and "type de colonne inattendu" in str(err) and err.column == "N° dossier"


def test_participants_op_id_as_integers_is_accepted(tmp_path):
    C.make_base(tmp_path)
    p = C.path_of(tmp_path, "participants")
    pq.write_table(pa.table({"N° dossier": pa.array([201700044, 201700044], pa.int64())}), p)
    assert _run(tmp_path).operations.set_index("op_id").loc["201700044", "participants"] == 2


# ------------------------------------------------------------------ error lines and field counts

def test_short_first_data_row_is_blamed_on_its_own_line(tmp_path):
    C.make_base(tmp_path)
    text = C.read_text(tmp_path, "ops_fse")
    nl = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(nl)
    head = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    n_fields = len(lines[head].split(";"))
    lines[head + 1] = ";".join(lines[head + 1].split(";")[:5])
    C.write_text(tmp_path, "ops_fse", nl.join(lines))
    err = _error(tmp_path)
    assert err.row == head + 2 and err.value == "5 champs" and f"{n_fields} champs" in err.expected


def test_participants_workbook_whose_op_id_column_holds_dates_is_an_error(tmp_path):
    C.make_base(tmp_path)
    xlsx = tmp_path / "participants.xlsx"
    pd.DataFrame({"N° dossier": pd.to_datetime(["2017-01-01", "2017-01-02"]), "Sexe": ["F", "H"]}).to_excel(
        xlsx, index=False)
    data = C.params_dict(tmp_path)
    data["inputs"]["participants"] = str(xlsx)
    C.write_params(tmp_path, data)
    err = _error(tmp_path)
    assert err.file == str(xlsx) and "type inattendu" in str(err) and err.column == "N° dossier" and err.row == 2


def test_op_id_damaged_into_scientific_notation_is_an_error(tmp_path):
    C.make_base(tmp_path)
    C.set_cell(tmp_path, "ops_fse", "201700055", H_ID, "2.01700055e+08")
    err = _error(tmp_path)
    assert "type inattendu" in str(err) and err.column == H_ID and err.value == "2.01700055e+08"

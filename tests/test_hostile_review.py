"""Hostile review round trips (issue 9, "No decision ever lost"): concurrent imports, a workbook
filled but not imported, formula-like operation numbers, damaged registers, formulas without a
value, interrupted backups, huge workbooks. Each case asserts the exact outcome."""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import shutil
import time
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from isnote import atomic, cli
from isnote import review as rv
from isnote.errors import InputError
from isnote.screening import screen
from review_fixtures import small
from test_review import NOW, TODAY, _headers, cli_params, fill, params, setup  # noqa: F401  (fixtures)

HOSTILE_ID = "=2+5+cmd|' /C calc'!A0"


def _row_of(path, sheet, op_id) -> int:
    ws = load_workbook(path)[sheet]
    h = _headers(ws)
    return next(r for r in range(2, ws.max_row + 1) if str(ws.cell(r, h["N° opération"]).value) == op_id)


def _decided(reg_path) -> dict:
    reg = pd.read_csv(reg_path, sep=";", dtype=str, keep_default_na=False)
    return dict(zip(reg["op_id"], reg["decision"]))


# ------------------------------------------------------------------ lock: two imports at once

def _child_import(wb, reg, barrier, params_path, queue):
    from isnote.config import load_params
    barrier.wait()
    try:
        rep = rv.import_review(wb, reg, load_params(params_path), small.operations(), today=TODAY)
        queue.put(("ok", len(rep.added)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


def test_two_concurrent_imports_keep_every_decision(setup, params, monkeypatch):
    wb1, wb2 = setup["wb"], setup["tmp"] / "other.xlsx"
    shutil.copy(wb1, wb2)
    for op in ("201900004", "201900005"):
        fill(wb1, rv.SHEET_TODO, op, **{"Décision": "ecartee", "Relecteur": "A"})
    for op in ("201900006", "201900102"):
        fill(wb2, rv.SHEET_TODO, op, **{"Décision": "retenue", "Catégorie": "socialement_innovantes",
                                        "Relecteur": "B"})
    # make the read-merge-write window wide: without a lock both imports would read the old register
    slow = rv.register_bytes

    def slow_bytes(reg):
        time.sleep(0.8)
        return slow(reg)
    monkeypatch.setattr(rv, "register_bytes", slow_bytes)
    ctx = multiprocessing.get_context("fork")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_child_import, args=(wb, setup["reg"], barrier, str(params.source), queue))
             for wb in (wb1, wb2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    results = sorted(queue.get(timeout=5) for _ in procs)
    assert results == [("ok", 2), ("ok", 2)], results
    decided = _decided(setup["reg"])
    assert {op: decided[op] for op in ("201900004", "201900005", "201900006", "201900102")} == {
        "201900004": "ecartee", "201900005": "ecartee", "201900006": "retenue", "201900102": "retenue"}
    assert len(list(setup["reg"].parent.glob("*.bak-*"))) == 2          # one backup per write


def test_import_while_the_register_is_locked_is_refused_cleanly(setup, params):
    fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": "ecartee"})
    before = setup["reg"].read_bytes()
    with rv.register_lock(setup["reg"]):
        with pytest.raises(rv.RegisterBusyError) as info:
            rv.import_review(setup["wb"], setup["reg"], params, setup["ops"], lock_timeout=0.3)
    assert "en cours de modification par un autre import" in str(info.value)
    assert setup["reg"].read_bytes() == before
    # once the lock is released the same import goes through
    assert rv.import_review(setup["wb"], setup["reg"], params, setup["ops"]).added == ["201900004"]


def test_cli_import_while_locked_exits_2(cli_params, setup, capsys, monkeypatch):  # noqa: F811
    monkeypatch.delenv("ISNOTE_OUTPUT_DIR", raising=False)
    monkeypatch.setattr(rv, "LOCK_TIMEOUT", 0.3)
    p, _ = cli_params
    fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": "ecartee"})
    with rv.register_lock(setup["reg"]):
        assert cli.main(["review-import", "--params", str(p), "--file", str(setup["wb"])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ERREUR : ") and "en cours de modification" in err and "Traceback" not in err


# ------------------------------------------------------------------ make review never overwrites entries

def test_review_export_keeps_a_filled_workbook_and_writes_a_dated_one(cli_params, setup, capsys, monkeypatch):  # noqa: F811
    monkeypatch.delenv("ISNOTE_OUTPUT_DIR", raising=False)
    p, out = cli_params
    assert cli.main(["review-export", "--params", str(p)]) == 0
    wb = cli.review_workbook_path(__import__("isnote.config", fromlist=["x"]).load_params(p))
    assert not wb.is_relative_to(out)                       # a run never replaces it
    fill(wb, rv.SHEET_TODO, "201900102", **{"Décision": "retenue", "Catégorie": "socialement_innovantes"})
    saved = wb.read_bytes()
    capsys.readouterr()
    assert cli.main(["review-export", "--params", str(p)]) == 0
    err = capsys.readouterr().err
    assert "Classeur existant conservé" in err and "1 saisie(s) pas encore importée(s)" in err
    assert wb.read_bytes() == saved
    dated = [f for f in wb.parent.glob(f"{wb.stem}-*.xlsx")]
    assert len(dated) == 1 and re.fullmatch(rf"{wb.stem}-\d{{8}}-\d{{6}}", dated[0].stem)
    # imported: the next export may replace the default workbook (nothing would be lost)
    assert cli.main(["review-import", "--params", str(p), "--file", str(wb)]) == 0
    assert cli.main(["review-export", "--params", str(p)]) == 0
    assert len(list(wb.parent.glob(f"{wb.stem}-*.xlsx"))) == 1
    assert wb.read_bytes() != saved


# ------------------------------------------------------------------ formula neutralisation in the register

def test_formula_like_op_id_stays_neutralised_through_every_round_trip(tmp_path, params):
    ops = small.operations()
    extra = ops[ops["op_id"] == "201900004"].assign(op_id=HOSTILE_ID)
    ops = pd.concat([ops, extra], ignore_index=True)
    reg_path = tmp_path / "registre.csv"
    rv.write_register(small.register(), reg_path)
    register = rv.read_register(reg_path, params, ops)
    result = screen(ops, small.survey(), small.lot5(), register, params)
    wb = tmp_path / "w.xlsx"
    rv.export_review(result.candidates, ops, register, wb, params, now=NOW)
    fill(wb, rv.SHEET_TODO, "'" + HOSTILE_ID, **{"Décision": "ecartee", "Justification": "'=1+1"})
    rv.import_review(wb, reg_path, params, ops, today=TODAY)
    text = reg_path.read_text(encoding="utf-8")
    assert f"\n'{HOSTILE_ID};" in text and ";'=1+1;" in text
    assert f"\n{HOSTILE_ID}" not in text
    # read back: matched to the data (not flagged absent); re-exported neutralised; re-import changes nothing
    reg = rv.read_register(reg_path, params, ops).set_index("op_id")
    assert reg.loc[HOSTILE_ID, "statut"] == "" and reg.loc[HOSTILE_ID, "justification"] == "=1+1"
    wb2 = tmp_path / "w2.xlsx"
    rv.export_review(result.candidates, ops, rv.read_register(reg_path, params, ops), wb2, params, now=NOW)
    ws = load_workbook(wb2)[rv.SHEET_DONE]
    cells = [c.value for row in ws.iter_rows(min_row=2) for c in row]
    assert "'" + HOSTILE_ID in cells and HOSTILE_ID not in cells and "'=1+1" in cells
    before = reg_path.read_bytes()
    report = rv.import_review(wb2, reg_path, params, ops, today=TODAY)
    assert not report.written and reg_path.read_bytes() == before


# ------------------------------------------------------------------ damaged registers

def _register_lines(setup):
    return setup["reg"].read_text(encoding="utf-8").split("\n")


def test_truncated_register_row_is_an_error_naming_the_line(setup, params):
    lines = _register_lines(setup)
    lines[3] = ";".join(lines[3].split(";")[:4])          # a row cut after 4 fields
    setup["reg"].write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as info:
        rv.read_register(setup["reg"], params)
    err = info.value
    assert err.row == 4 and "incomplète" in str(err) and err.value == "4 champ(s)"
    assert f"{len(rv.REGISTER_COLUMNS)} champs" in err.expected
    before = setup["reg"].read_bytes()
    fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": "ecartee"})
    with pytest.raises(InputError, match="incomplète"):
        rv.import_review(setup["wb"], setup["reg"], params, setup["ops"])
    assert setup["reg"].read_bytes() == before and not list(setup["reg"].parent.glob("*.bak-*"))


def test_register_row_with_extra_fields_is_an_error(setup, params):
    lines = _register_lines(setup)
    lines[2] = lines[2] + ";en trop"
    setup["reg"].write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as info:
        rv.read_register(setup["reg"], params)
    assert info.value.row == 3 and "champs en trop" in str(info.value)


def test_register_with_quoted_newline_blames_the_right_line(setup, params):
    reg = small.register()
    reg.loc[0, "justification"] = "deux\nlignes"
    rv.write_register(reg, setup["reg"])
    lines = _register_lines(setup)
    bad = next(i for i, line in enumerate(lines) if line.startswith("201900001;"))
    lines[bad] = ";".join(lines[bad].split(";")[:2])
    setup["reg"].write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as info:
        rv.read_register(setup["reg"], params)
    assert info.value.row == bad + 1


# ------------------------------------------------------------------ formulas without a value

def test_formula_decision_without_cached_value_is_an_error_naming_the_cell(setup, params):
    before = setup["reg"].read_bytes()
    fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": '=IF(1,"retenue","")',
                                                      "Catégorie": "entrepreneuriat_social"})
    ws = load_workbook(setup["wb"])[rv.SHEET_TODO]
    col = ws.cell(1, _headers(ws)["Décision"]).column_letter
    row = _row_of(setup["wb"], rv.SHEET_TODO, "201900004")
    with pytest.raises(InputError) as info:
        rv.import_review(setup["wb"], setup["reg"], params, setup["ops"])
    err = info.value
    assert f"feuille « {rv.SHEET_TODO} », cellule {col}{row}" in str(err) and "formule sans valeur" in str(err)
    assert "ajoutée" not in str(err)
    assert setup["reg"].read_bytes() == before


# ------------------------------------------------------------------ atomic backups

def test_failed_backup_leaves_no_truncated_file(setup, params, monkeypatch):
    fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": "ecartee"})
    before = setup["reg"].read_bytes()
    real = os.replace

    def full_disk(src, dst):
        if ".bak-" in str(dst):
            raise OSError(28, "No space left on device")
        return real(src, dst)
    monkeypatch.setattr(atomic.os, "replace", full_disk)
    with pytest.raises(OSError):
        rv.import_review(setup["wb"], setup["reg"], params, setup["ops"])
    folder = setup["reg"].parent
    assert not list(folder.glob("*.bak-*")) and not list(folder.glob(".*.tmp"))
    assert setup["reg"].read_bytes() == before


# ------------------------------------------------------------------ huge review workbook

def test_review_workbook_of_a_million_and_a_half_rows_is_refused_before_loading(setup, params):
    src = zipfile.ZipFile(io.BytesIO(setup["wb"].read_bytes()))
    rows = b"".join(b'<row r="%d"/>' % i for i in range(100, 1_500_100))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<dimension [^>]*/>", b"", data).replace(b"</sheetData>", rows + b"</sheetData>")
            out.writestr(info.filename, data)
    huge = setup["tmp"] / "huge.xlsx"
    huge.write_bytes(buf.getvalue())
    before = setup["reg"].read_bytes()
    with pytest.raises(InputError) as info:
        rv.import_review(huge, setup["reg"], params, setup["ops"])
    assert "trop de lignes" in str(info.value) and info.value.file == str(huge)
    assert setup["reg"].read_bytes() == before


def test_fifo_as_register_is_refused(setup, params, tmp_path):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="tube nommé"):
        rv.import_review(setup["wb"], fifo, params, setup["ops"])
    with pytest.raises(InputError, match="tube nommé"):
        rv.read_register(fifo, params)

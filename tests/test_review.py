"""The review round trip: export, fill, import; conflicts, backups, bad workbooks (isnote.review, isnote.cli)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from isnote import cli
from isnote import review as rv
from isnote.config import PROJECT_ROOT, load_params
from isnote.errors import InputError, ReviewConflictError
from isnote.screening import screen

from review_fixtures import small

TODAY = dt.date(2019, 4, 2)
NOW = dt.datetime(2019, 4, 2, 10, 30, 0)


@pytest.fixture(scope="module")
def params():
    return load_params(None)


@pytest.fixture()
def setup(tmp_path, params):
    ops = small.operations()
    reg_path = tmp_path / "registre.csv"
    rv.write_register(small.register(), reg_path)
    register = rv.read_register(reg_path, params, ops)
    result = screen(ops, small.survey(), small.lot5(), register, params)
    wb_path = tmp_path / "review" / "to_review.xlsx"
    rv.export_review(result.candidates, ops, register, wb_path, params, now=NOW)
    return {"ops": ops, "reg": reg_path, "wb": wb_path, "result": result, "tmp": tmp_path}


def _headers(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[1]}


def fill(path: Path, sheet: str, op_id: str, **values) -> None:
    """Write values (by header label) on the row of `op_id` of `sheet`, or a new row."""
    wb = load_workbook(path)
    ws = wb[sheet]
    h = _headers(ws)
    row = next((r for r in range(2, ws.max_row + 1) if str(ws.cell(r, h["N° opération"]).value) == op_id), None)
    if row is None:
        row = ws.max_row + 1
        ws.cell(row, h["N° opération"]).value = op_id
    for label, v in values.items():
        ws.cell(row, h[label]).value = v
    wb.save(path)


def _nothing_written(setup, before: bytes) -> None:
    assert setup["reg"].read_bytes() == before
    assert not list(setup["reg"].parent.glob("*.bak-*"))


# ------------------------------------------------------------------------------ register

def test_register_roundtrip_is_deterministic_and_sorted(tmp_path, params):
    reg = small.register().sample(frac=1, random_state=1)
    p1, p2 = tmp_path / "a.csv", tmp_path / "b.csv"
    rv.write_register(reg, p1)
    rv.write_register(rv.read_register(p1, params), p2)
    assert p1.read_bytes() == p2.read_bytes()
    text = p1.read_text(encoding="utf-8").splitlines()
    assert text[0] == ";".join(rv.REGISTER_COLUMNS)
    body = [l.split(";")[:3] for l in text[1:]]
    assert body == sorted(body, key=lambda r: (r[2], r[1], r[0]))


@pytest.mark.parametrize("column, value, message", [
    ("decision", "peut-être", "décision invalide"),
    ("categorie", "autre", "catégorie inconnue"),
    ("score_effets", "3", "score invalide"),
    ("date_decision", "02/04/2019", "date invalide"),
    ("emblematique", "peut-être", "valeur invalide"),
])
def test_read_register_rejects_invalid_values_with_line_and_column(tmp_path, params, column, value, message):
    reg = small.register()
    reg.loc[2, column] = value
    p = tmp_path / "r.csv"
    rv.write_register(reg, p)
    with pytest.raises(InputError) as err:
        rv.read_register(p, params)
    assert message in str(err.value) and err.value.column == column
    lines = p.read_text(encoding="utf-8").splitlines()
    assert value in lines[err.value.row - 1]


def test_read_register_retained_needs_category_and_no_duplicates(tmp_path, params):
    reg = small.register()
    reg.loc[0, "categorie"] = ""
    p = tmp_path / "r.csv"
    rv.write_register(reg, p)
    with pytest.raises(InputError, match="catégorie manquante"):
        rv.read_register(p, params)
    reg = pd.concat([small.register(), small.register().iloc[[1]]], ignore_index=True)
    rv.write_register(reg, p)
    with pytest.raises(InputError, match="plusieurs fois"):
        rv.read_register(p, params)


def test_read_register_flags_unknown_operations(tmp_path, params):
    p = tmp_path / "r.csv"
    rv.write_register(small.register(), p)
    ops = small.operations()
    reg = rv.read_register(p, params, ops[ops["op_id"] != "201700002"])
    assert len(reg) == len(small.REGISTER)                      # never dropped
    assert reg.set_index("op_id").loc["201700002", "statut"] == rv.STATUT_MISSING
    assert (reg.loc[reg["op_id"] != "201700002", "statut"] == "").all()


def test_read_register_errors(tmp_path, params):
    with pytest.raises(InputError, match="introuvable"):
        rv.read_register(tmp_path / "absent.csv", params)
    p = tmp_path / "latin1.csv"
    p.write_bytes("op_id;decision\n201900001;écartée\n".encode("cp1252"))
    with pytest.raises(InputError, match="UTF-8"):
        rv.read_register(p, params)
    p.write_text("numero;choix\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError, match="colonne"):
        rv.read_register(p, params)


# ------------------------------------------------------------------------------ export

def test_export_workbook_layout(setup, params):
    wb = load_workbook(setup["wb"])
    assert wb.sheetnames[:3] == [rv.SHEET_TODO, rv.SHEET_DONE, rv.SHEET_HELP]
    assert wb[rv.SHEET_META].sheet_state == "hidden"
    ws = wb[rv.SHEET_TODO]
    h = _headers(ws)
    ids = [str(ws.cell(r, h["N° opération"]).value) for r in range(2, ws.max_row + 1)]
    # candidates without a decision only (201900001, 201900003 and 201900101 are decided)
    assert sorted(ids) == ["201900004", "201900005", "201900006", "201900102"]
    for label in ("Éléments trouvés", "Catégorie suggérée", "Règle de la suggestion", "Besoin suggéré",
                  "Décision", "Catégorie", "Score besoin (0-2)", "Justification", "Relecteur",
                  "Emblématique (oui)", "Caractère innovant", "Intitulé", "Bénéficiaire", "OS", "Région"):
        assert label in h
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    validations = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    col = ws.cell(1, h["Décision"]).column_letter
    assert "retenue" in str(wb["listes"]["A2"].value) and f"{col}2" in validations
    cat_col = ws.cell(1, h["Catégorie"]).column_letter
    assert validations[f"{cat_col}2"].startswith("=listes!")
    assert [wb["listes"].cell(r, 2).value for r in range(2, 7)] == params.yaml("typology")["order"]
    assert ws.column_dimensions[ws.cell(1, h["Éléments trouvés"]).column_letter].width >= 40
    done = wb[rv.SHEET_DONE]
    dh = _headers(done)
    assert sorted(str(done.cell(r, dh["N° opération"]).value) for r in range(2, done.max_row + 1)) == \
        ["201900001", "201900003", "201900101"]
    meta = {r[0]: r[1] for r in wb[rv.SHEET_META].iter_rows(values_only=True)}
    assert meta["vague"] == "2019" and meta["run_name"] == "demo"
    help_text = "\n".join(str(c.value) for c in wb[rv.SHEET_HELP]["A"] if c.value)
    assert "review-import" in help_text and "2019" in help_text


def test_export_neutralises_formula_like_text(tmp_path, params):
    ops = small.operations()
    ops.loc[ops["op_id"] == "201900004", "title"] = "=HYPERLINK(\"http://x\",\"clic\")"
    ops.loc[ops["op_id"] == "201900004", "beneficiary"] = "@SUM(A1)"
    r = screen(ops, small.survey(), small.lot5(), None, params)
    p = tmp_path / "w.xlsx"
    rv.export_review(r.candidates, ops, None, p, params)
    ws = load_workbook(p)[rv.SHEET_TODO]
    h = _headers(ws)
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "201900004")
    title = ws.cell(row, h["Intitulé"])
    assert title.data_type == "s" and title.value.startswith("'=")
    assert ws.cell(row, h["Bénéficiaire"]).value.startswith("'@")


# ------------------------------------------------------------------------------ import

def test_round_trip_new_decisions_change_the_register(setup, params):
    fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": "retenue", "Catégorie": "entrepreneuriat_social",
         "Score besoin (0-2)": 2, "Justification": "Réponse nouvelle", "Relecteur": "CD", "Emblématique (oui)": "oui"})
    fill(setup["wb"], rv.SHEET_TODO, "201900006", **{"Décision": "Écartée", "Relecteur": "CD"})
    before = setup["reg"].read_bytes()
    rep = rv.import_review(setup["wb"], setup["reg"], params, setup["ops"], today=TODAY, now=NOW)
    assert sorted(rep.added) == ["201900004", "201900006"] and not rep.conflicts and rep.written
    reg = rv.read_register(setup["reg"], params).set_index("op_id")
    assert reg.loc["201900004", ["decision", "categorie", "score_besoin", "emblematique", "vague", "programme",
                                 "date_decision", "relecteur"]].tolist() == \
        ["retenue", "entrepreneuriat_social", "2", "oui", "2019", "fse", "2019-04-02", "CD"]
    assert reg.loc["201900006", "decision"] == "ecartee"
    # the backup holds the register as it was
    backups = list(setup["reg"].parent.glob("registre.bak-*.csv"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert backups[0].name == "registre.bak-20190402T103000.csv"
    # the retained list follows: screening now counts one more retained FSE operation
    r = screen(setup["ops"], small.survey(), small.lot5(), rv.read_register(setup["reg"], params), params)
    assert r.funnel["fse"]["retained"] == 2 and r.funnel["fse"]["reviewed"] == 4
    # importing the same workbook again changes nothing and writes nothing
    rep2 = rv.import_review(setup["wb"], setup["reg"], params, setup["ops"], today=TODAY, now=NOW)
    assert not rep2.written and rep2.unchanged == 5 and len(list(setup["reg"].parent.glob("*.bak-*"))) == 1


def test_conflicting_import_is_refused_and_register_unchanged(setup, params):
    fill(setup["wb"], rv.SHEET_DONE, "201900001", **{"Décision": "ecartee", "Catégorie": None})
    fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": "retenue", "Catégorie": "entrepreneuriat_social"})
    before = setup["reg"].read_bytes()
    with pytest.raises(ReviewConflictError) as err:
        rv.import_review(setup["wb"], setup["reg"], params, setup["ops"], today=TODAY)
    assert "201900001" in str(err.value) and "retenue" in str(err.value) and "--force" in str(err.value)
    assert {c.column for c in err.value.conflicts} == {"decision", "categorie"}
    _nothing_written(setup, before)


def test_stale_workbook_conflicts_with_a_decision_taken_since(setup, params):
    # someone decided 201900004 after the export; the workbook says otherwise
    reg = rv.read_register(setup["reg"], params)
    row = reg.iloc[[0]].copy()
    row[["op_id", "programme", "vague", "decision", "categorie"]] = ["201900004", "fse", "2019", "ecartee", ""]
    rv.write_register(pd.concat([reg, row], ignore_index=True), setup["reg"])
    fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": "retenue", "Catégorie": "entrepreneuriat_social"})
    before = setup["reg"].read_bytes()
    with pytest.raises(ReviewConflictError, match="201900004"):
        rv.import_review(setup["wb"], setup["reg"], params, setup["ops"])
    assert setup["reg"].read_bytes() == before


def test_forced_import_applies_and_keeps_a_backup(setup, params):
    fill(setup["wb"], rv.SHEET_DONE, "201900001", **{"Décision": "ecartee", "Catégorie": None,
                                                    "Justification": "Revu en comité"})
    before = setup["reg"].read_bytes()
    rep = rv.import_review(setup["wb"], setup["reg"], params, setup["ops"], force=True, today=TODAY, now=NOW)
    assert rep.forced == ["201900001"] and rep.written
    reg = rv.read_register(setup["reg"], params).set_index("op_id")
    assert reg.loc["201900001", ["decision", "categorie", "justification", "date_decision"]].tolist() == \
        ["ecartee", "", "Revu en comité", "2019-04-02"]
    backups = list(setup["reg"].parent.glob("registre.bak-*.csv"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    r = screen(setup["ops"], small.survey(), small.lot5(), rv.read_register(setup["reg"], params), params)
    assert r.funnel["fse"]["retained"] == 0


def test_disappeared_operation_keeps_its_row_flagged(setup, params):
    # 201900003 is listed in « Décisions prises » and disappears from the data before the import
    ops = setup["ops"][~setup["ops"]["op_id"].isin(["201700002", "201900003"])]
    fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": "ecartee"})
    rep = rv.import_review(setup["wb"], setup["reg"], params, ops, today=TODAY, now=NOW)
    assert rep.flagged_missing == ["201700002", "201900003"]
    reg = rv.read_register(setup["reg"], params).set_index("op_id")
    assert len(reg) == len(small.REGISTER) + 1
    assert reg.loc["201700002", "statut"] == rv.STATUT_MISSING and reg.loc["201700002", "decision"] == "ecartee"
    assert reg.loc["201900003", "statut"] == rv.STATUT_MISSING and reg.loc["201900003", "decision"] == "ecartee"
    # back in the data: the flag is cleared at the next import
    rv.import_review(setup["wb"], setup["reg"], params, setup["ops"], today=TODAY, now=NOW)
    assert (rv.read_register(setup["reg"], params)["statut"] == "").all()


def test_pending_entries_are_kept_and_shown_again(setup, params):
    fill(setup["wb"], rv.SHEET_TODO, "201900005", **{"Score effets (0-2)": 1, "Justification": "À discuter"})
    rv.import_review(setup["wb"], setup["reg"], params, setup["ops"], today=TODAY, now=NOW)
    reg = rv.read_register(setup["reg"], params).set_index("op_id")
    assert reg.loc["201900005", ["decision", "score_effets", "justification", "date_decision"]].tolist() == \
        ["", "1", "À discuter", ""]
    r = screen(setup["ops"], small.survey(), small.lot5(), rv.read_register(setup["reg"], params), params)
    p2 = setup["tmp"] / "again.xlsx"
    rv.export_review(r.candidates, setup["ops"], rv.read_register(setup["reg"], params), p2, params)
    ws = load_workbook(p2)[rv.SHEET_TODO]
    h = _headers(ws)
    row = next(x for x in range(2, ws.max_row + 1) if ws.cell(x, 1).value == "201900005")
    assert ws.cell(row, h["Justification"]).value == "À discuter"


# ------------------------------------------------------------------------------ bad workbooks

@pytest.mark.parametrize("label, value, message, column", [
    ("N° opération", "201999999", "opération inconnue", "N° opération"),
    ("Décision", "peut-être", "décision invalide", "Décision"),
    ("Catégorie", "catégorie inventée", "catégorie inconnue", "Catégorie"),
    ("Score implication (0-2)", 5, "score invalide", "Score implication (0-2)"),
    ("Emblématique (oui)", "bof", "valeur invalide", "Emblématique (oui)"),
])
def test_invalid_entries_name_sheet_row_and_column(setup, params, label, value, message, column):
    fill(setup["wb"], rv.SHEET_TODO, "201900006", **{"Décision": "retenue", "Catégorie": "entrepreneuriat_social"})
    if label == "N° opération":
        fill(setup["wb"], rv.SHEET_TODO, "201999999", **{"Décision": "retenue", "Catégorie": "entrepreneuriat_social"})
    else:
        fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": "retenue", "Catégorie": "entrepreneuriat_social",
                                                          label: value})
    before = setup["reg"].read_bytes()
    with pytest.raises(InputError) as err:
        rv.import_review(setup["wb"], setup["reg"], params, setup["ops"])
    e = err.value
    assert message in str(e) and "À revoir" in str(e) and e.column.startswith(column) and e.row >= 2
    ws = load_workbook(setup["wb"])[rv.SHEET_TODO]
    letter = e.column.split("colonne ")[1].rstrip(")")
    assert str(ws[f"{letter}{e.row}"].value) == str(value)
    _nothing_written(setup, before)


def test_retained_without_category_is_refused(setup, params):
    fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": "retenue"})
    before = setup["reg"].read_bytes()
    with pytest.raises(InputError, match="catégorie manquante"):
        rv.import_review(setup["wb"], setup["reg"], params, setup["ops"])
    _nothing_written(setup, before)


def test_workbook_of_another_wave_is_refused(setup, params):
    wb = load_workbook(setup["wb"])
    for row in wb[rv.SHEET_META].iter_rows():
        if row[0].value == "vague":
            row[1].value = "2017"
    wb.save(setup["wb"])
    fill(setup["wb"], rv.SHEET_TODO, "201900004", **{"Décision": "ecartee"})
    before = setup["reg"].read_bytes()
    with pytest.raises(InputError, match="autre vague") as err:
        rv.import_review(setup["wb"], setup["reg"], params, setup["ops"])
    assert err.value.value == "2017"
    _nothing_written(setup, before)


def test_unreadable_and_incomplete_workbooks(setup, params, tmp_path):
    before = setup["reg"].read_bytes()
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"this is not a workbook")
    with pytest.raises(InputError, match="illisible"):
        rv.import_review(junk, setup["reg"], params, setup["ops"])
    with pytest.raises(InputError, match="introuvable"):
        rv.import_review(tmp_path / "absent.xlsx", setup["reg"], params, setup["ops"])
    wb = load_workbook(setup["wb"])
    del wb[rv.SHEET_TODO]
    wb.save(tmp_path / "no_sheet.xlsx")
    with pytest.raises(InputError, match="feuille « À revoir » absente"):
        rv.import_review(tmp_path / "no_sheet.xlsx", setup["reg"], params, setup["ops"])
    wb = load_workbook(setup["wb"])
    del wb[rv.SHEET_META]
    wb.save(tmp_path / "foreign.xlsx")
    with pytest.raises(InputError, match="pas été produit"):
        rv.import_review(tmp_path / "foreign.xlsx", setup["reg"], params, setup["ops"])
    wb = load_workbook(setup["wb"])
    wb[rv.SHEET_TODO].cell(1, _headers(wb[rv.SHEET_TODO])["Décision"]).value = "Choix"
    wb.save(tmp_path / "renamed.xlsx")
    with pytest.raises(InputError, match="colonne « Décision » absente"):
        rv.import_review(tmp_path / "renamed.xlsx", setup["reg"], params, setup["ops"])
    _nothing_written(setup, before)


# ------------------------------------------------------------------------------ command line

@pytest.fixture()
def cli_params(tmp_path, setup):
    out = tmp_path / "out"
    clean = out / "clean"
    clean.mkdir(parents=True)
    setup["ops"].to_parquet(clean / "operations.parquet")
    small.survey().to_parquet(clean / "survey.parquet")
    small.lot5().to_parquet(clean / "lot5.parquet")
    data = yaml.safe_load((PROJECT_ROOT / "params" / "demo.yaml").read_text(encoding="utf-8"))
    data["output_dir"] = str(out)
    data["review_register"] = str(setup["reg"])
    p = tmp_path / "params.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p, out


def test_cli_export_then_import(cli_params, setup, capsys, monkeypatch):
    monkeypatch.delenv("ISNOTE_OUTPUT_DIR", raising=False)
    p, out = cli_params
    assert cli.main(["review-export", "--params", str(p)]) == 0
    wb = setup["reg"].parent / "revue" / f"a_relire_{setup['reg'].stem}.xlsx"    # outside the outputs
    assert wb.exists() and "4 à revoir" in capsys.readouterr().out
    assert not (out / "review" / "to_review.xlsx").exists()
    fill(wb, rv.SHEET_TODO, "201900102", **{"Décision": "retenue", "Catégorie": "socialement_innovantes"})
    assert cli.main(["review-import", "--params", str(p), "--file", str(wb)]) == 0
    assert "1 décision(s) ajoutée(s)" in capsys.readouterr().out
    assert "201900102" in setup["reg"].read_text(encoding="utf-8")


def test_cli_reports_errors_without_traceback(cli_params, setup, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("ISNOTE_OUTPUT_DIR", raising=False)
    p, _ = cli_params
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"nope")
    assert cli.main(["review-import", "--params", str(p), "--file", str(junk)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ERREUR : ") and "Traceback" not in err
    fill(setup["wb"], rv.SHEET_DONE, "201900001", **{"Décision": "ecartee", "Catégorie": None})
    assert cli.main(["review-import", "--params", str(p), "--file", str(setup["wb"])]) == 2
    err = capsys.readouterr().err
    assert "ERREUR : " in err and "201900001" in err and "Traceback" not in err
    assert cli.main(["review-import", "--params", str(p), "--file", str(setup["wb"]), "--force"]) == 0


def test_cli_is_extensible():
    calls = []

    @cli.command("hello-test", "test command")
    def _hello(args):
        calls.append(args)
        return 0
    try:
        assert cli.main(["hello-test"]) == 0 and calls
    finally:
        cli.COMMANDS.pop("hello-test")

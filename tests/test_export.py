"""Export: CSV format, formula neutralisation, XLSX workbook (typed cells, sheet names, byte-identical)."""

import time

import pandas as pd
import pytest
from openpyxl import load_workbook

from isnote import export
from isnote import typology as ty
from results_fixtures.builders import make_operations, make_params, make_register


def test_neutralise_text_but_not_numbers():
    df = pd.DataFrame({"t": ["=1+1", "+33", "-x", "@sum", "ok", None], "n": [-1.5, 2, 3, 4, 5, 6]})
    out = export.neutralise(df)
    assert out["t"].tolist()[:5] == ["'=1+1", "'+33", "'-x", "'@sum", "ok"]
    assert pd.isna(out["t"].iloc[5])
    assert out["n"].tolist() == [-1.5, 2, 3, 4, 5, 6]


def test_csv_format(tmp_path):
    df = pd.DataFrame({"op_id": ["001", "002"], "ct_meur": [1.25, 0.5], "libellé": ["a, b", "=HYPERLINK()"],
                       "n": [1, 2], "flag": [True, False]})
    path = export.write_table(df, tmp_path, "demo_table")
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0] == "op_id,ct_meur,libellé,n,flag"
    assert lines[1] == '001,1.25,"a, b",1,True'
    assert lines[2] == "002,0.5,'=HYPERLINK(),2,False"
    assert (tmp_path / ".schema" / "demo_table.json").exists()
    with pytest.raises(ValueError):
        export.write_table(df, tmp_path, "../evil")


def test_sheet_names_are_short_and_unique():
    names = export.sheet_names(["a" * 40, "a" * 40, "x[1]:y"])
    assert all(len(n) <= 31 for n in names)
    assert len(set(names)) == 3 and names[2] == "x_1__y"


def test_workbook_typed_cells_and_byte_identical(tmp_path):
    t1 = pd.DataFrame({"op_id": ["00123", "00456"], "os": ["3911", "1811"], "ct_meur": [1.5, 2.25],
                       "n_ops": [3, 4], "text": ["-danger", "ok"]})
    t2 = pd.DataFrame({"region": ["Bretagne"], "ratio": [1.2]})
    export.export_tables({"t1_first": t1, "a_second_table_with_a_really_long_name": t2}, tmp_path)
    x1 = export.build_workbook(tmp_path)
    b1 = x1.read_bytes()
    time.sleep(1.1)
    b2 = export.build_workbook(tmp_path).read_bytes()
    assert b1 == b2
    wb = load_workbook(x1)
    assert wb.sheetnames == ["a_second_table_with_a_really_lo", "t1_first"]
    ws = wb["t1_first"]
    assert [c.value for c in ws[1]] == ["op_id", "os", "ct_meur", "n_ops", "text"]
    assert ws["A2"].value == "00123" and ws["B2"].value == "3911"      # codes stay text
    assert ws["C3"].value == 2.25 and ws["D2"].value == 3              # numbers stay numbers
    assert ws["E2"].value == "'-danger"
    assert wb.properties.created.year == 2000


def test_retained_operations_csv(tmp_path):
    params = make_params(tmp_path)
    ret = ty.retained(make_operations(), make_register(), params)
    ro = export.retained_operations(ret)
    for col in ("op_id", "programme", "wave", "axe", "os", "region", "categorie", "ue", "ct", "participants"):
        assert col in ro.columns
    assert len(ro) == 13 and set(ro["wave"]) == {"2017", "2019"} and set(ro["programme"]) == {"fse", "iej"}
    assert ro.loc[ro["op_id"].eq("F05"), "ct"].iloc[0] == 500_000.0            # euros
    export.write_table(ro, tmp_path / "tables", "retained_operations")
    back = pd.read_csv(tmp_path / "tables" / "retained_operations.csv", dtype={"op_id": str, "os": str})
    assert back["ct"].sum() == pytest.approx(ret["ct"].sum())


# --------------------------------------------------------------------------------------------
# the three results notebooks on the small fixture (papermill)

NOTEBOOKS = ["03_typology", "04_resultats_fse", "05_resultats_iej"]


def _run_notebook(name, params, out_dir):
    import papermill as pm
    from isnote.config import NOTEBOOKS_DIR, PROJECT_ROOT
    out = out_dir / f"{name}.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"), str(out), kernel_name="isnote",
                        parameters={"params_path": str(params.source)}, cwd=str(PROJECT_ROOT),
                        progress_bar=False, log_output=False)
    return out


@pytest.mark.slow
def test_results_notebooks_end_to_end_and_decision_flip(tmp_path):
    import nbformat
    from results_fixtures.builders import make_register, setup_run, write_register

    params = setup_run(tmp_path)
    layout = params.layout
    for name in NOTEBOOKS:
        nb = nbformat.read(_run_notebook(name, params, tmp_path), as_version=4)
        for cell in nb.cells:
            for o in cell.get("outputs", []):      # no stray output: only HTML displays
                assert o["output_type"] == "display_data" and ({"text/html", "text/markdown"} & set(o["data"])), (name, o)
    kf = sorted(p.name for p in (layout.state / "key_figures").glob("*.json"))
    assert kf == ["by_type.json", "capture.json", "pon_totals.json", "ranking.json", "regions.json", "retained.fse.json", "retained.iej.json",
                  "screening.review.json", "survey.json", "volumes.json"]
    assert (layout.clean / "retained.parquet").exists()
    assert {p.name for p in layout.figures.glob("*")} >= {"enquete_gestionnaires.png", "enquete_gestionnaires.svg",
                                                          "regions_representation.png"}
    wb = export.build_workbook(layout.tables)
    assert "tableau3_axes_os" in load_workbook(wb).sheetnames
    t3_before = pd.read_csv(layout.tables / "tableau3_axes_os.csv", dtype={"os": str, "axe": str})
    ro_before = pd.read_csv(layout.tables / "retained_operations.csv", dtype=str)

    reg = make_register()
    reg.loc[reg["op_id"].eq("F05"), ["decision", "categorie"]] = ["ecartee", ""]
    write_register(params, reg)
    for name in NOTEBOOKS[:2]:
        _run_notebook(name, params, tmp_path)
    t3_after = pd.read_csv(layout.tables / "tableau3_axes_os.csv", dtype={"os": str, "axe": str})
    ro_after = pd.read_csv(layout.tables / "retained_operations.csv", dtype=str)
    assert set(ro_before["op_id"]) - set(ro_after["op_id"]) == {"F05"} and len(ro_after) == len(ro_before) - 1
    cols = [c for c in t3_before.columns if c.startswith(("n_ops_", "ct_meur_"))]
    diff = (t3_before[cols] - t3_after[cols]).abs() > 1e-12
    changed = {(t3_before.at[i, "label"], c) for i in diff.index for c in cols if diff.at[i, c]}
    assert changed == {(r, c) for r in ("3911", "Axe 3", "Total")
                       for c in ("n_ops_2019", "ct_meur_2019", "n_ops_cumulative", "ct_meur_cumulative")}


def test_neutralise_mixed_object_column():
    df = pd.DataFrame({"m": pd.Series([-3, "-3", "=x", 2.5], dtype=object)})
    assert export.neutralise(df)["m"].tolist() == [-3, "'-3", "'=x", 2.5]


def test_checks_over_a_whole_text_column_find_what_cell_by_cell_checks_find():
    """neutralise and excel_safe look at an all-text column in one search: a formula start after a
    line feed inside a cell is not a cell's start; control characters and long cells are still found."""
    long = "z" * (export.EXCEL_MAX_CHARS + 5)
    df = pd.DataFrame({"a": ["ok", "ligne\n=pas un début", None], "b": ["x", "=f()", "y"],
                       "c": ["ctrl\x0bz", "ok", None], "d": [long, "ok", "ok"], "e": [None, None, None],
                       "f": pd.Series([None, None, None], dtype="string")})     # text type, no text
    out = export.neutralise(df)
    assert out["a"].tolist()[:2] == ["ok", "ligne\n=pas un début"] and pd.isna(out["a"].iloc[2])
    assert out["b"].tolist() == ["x", "'=f()", "y"]
    safe, counts = export.excel_safe(out)
    assert counts == {"controle": 1, "tronque": 1}
    assert safe["c"].iloc[0] == "ctrl\nz" and safe["a"].iloc[1] == "ligne\n=pas un début"
    assert safe["d"].iloc[0].endswith(export.CUT_MARK) and len(safe["d"].iloc[0]) == export.EXCEL_MAX_CHARS
    assert safe["d"].tolist()[1:] == ["ok", "ok"] and safe["e"].isna().all() and safe["f"].isna().all()

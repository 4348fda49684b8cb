"""The ingest step end to end: small valid dataset, clean tables, key figures, Tableau 2,
real extract layouts (CSV and XLSX), optional inputs, the notebook, and the demo dataset."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from hostile import corpus as C
from isnote import ingest
from isnote.config import DEFAULT_PARAMS, load_params
from isnote.frnum import NNBSP, round_half_up

ROOT = C.ROOT
FIXTURES = ROOT / "tests" / "fixtures" / "published_figures.yaml"


@pytest.fixture()
def base(tmp_path):
    params = load_params(C.make_base(tmp_path))
    return params, ingest.run(params)


def test_base_scope_and_exclusions(base):
    _, r = base
    ops = r.operations
    assert ops.groupby("programme").size().to_dict() == C.BASE_IN_SCOPE
    assert r.excluded["reason"].value_counts().to_dict() == C.BASE_EXCLUDED
    # IEJ technical assistance (axis 2, titled so in the nomenclature) is excluded too
    assert set(r.excluded.loc[r.excluded["reason"] == "assistance technique", "programme"]) == {"fse", "iej"}
    # window bounds are inclusive
    waves = ops.set_index("op_id")["wave"]
    assert waves["201600088"] == "2017" and waves["201700055"] == "2019" and waves["201800077"] == "2019"


def test_base_joins(base):
    _, r = base
    ops = r.operations.set_index("op_id")
    assert ops.loc["201700044", "participants"] == 3 and ops.loc["201600022", "participants"] == 0
    assert r.excluded.set_index("op_id").loc["201700099", "participants"] == 2
    assert "\n" in ops.loc["201700044", "description"]
    assert ops.loc["201700202", "call_title"] == "Appel à projets IEJ 2017"
    assert pd.isna(ops.loc["201500011", "description"])
    assert r.survey["answer"].tolist() == ["oui", "non", "nsp", "oui", "oui", "non"]
    assert r.lot5["in_extract"].all()


def test_operations_schema(base):
    _, r = base
    assert list(r.operations.columns) == ingest.OPERATION_COLUMNS
    assert list(r.excluded.columns) == ingest.OPERATION_COLUMNS + ["reason"]
    dtypes = r.operations.dtypes.astype(str).to_dict()
    assert dtypes["programming_date"] == "datetime64[s]" and dtypes["ct"] == "float64"
    assert dtypes["participants"] == "int64" and dtypes["planned_participants"] == "Int64"
    assert r.operations["op_id"].is_unique


def test_quality_table(base):
    _, r = base
    q = r.quality.set_index("fichier")
    fse = q.loc[r.meta["operations.fse"]["path"]]
    assert (fse["lignes lues"], fse["retenues"], fse["exclues (AT)"], fse["exclues (hors vagues)"]) == (10, 8, 1, 1)
    assert list(r.quality.columns) == ingest.QUALITY_COLUMNS
    assert list(r.meta) == ["operations.fse", "operations.iej", "participants", "qualitative.fse",
                            "qualitative.iej", "survey", "lot5"]
    meta = r.meta["operations.fse"]
    assert meta["encoding"] == "cp1252" and meta["comment_lines"] == 1 and len(meta["sha256"]) == 64
    assert meta["rows"] == 10 and r.meta["participants"]["rows"] == sum(C.PARTICIPANTS.values())


def test_write_clean_deterministic_and_typed(base, tmp_path):
    params, r = base
    a = ingest.write_clean(r, params.layout)
    b = ingest.write_clean(ingest.run(params), ingest.Layout(tmp_path / "again"))
    for key in ("operations", "excluded", "survey", "lot5", "quality", "meta"):
        assert a[key].read_bytes() == b[key].read_bytes(), key
    schema = pq.read_schema(a["operations"])
    assert schema.field("programming_date").type == pa.date32()
    assert schema.field("participants").type == pa.int64() and schema.field("ct").type == pa.float64()
    assert schema.names == ingest.OPERATION_COLUMNS
    back = pd.read_parquet(a["operations"])
    assert len(back) == len(r.operations)
    assert pq.read_schema(a["excluded"]).names[-1] == "reason"
    assert json.loads(a["meta"].read_text(encoding="utf-8"))
    assert not list(params.layout.clean.glob(".*.tmp"))


def test_volumes_and_pon_totals_shapes(base):
    params, r = base
    vol = ingest.volumes(r.operations, params)
    assert set(vol) == {"fse", "iej"} and set(vol["fse"]) == {"2017", "2019"}
    assert vol["fse"]["2019"]["n_ops"] == 5
    assert vol["fse"]["2019"]["ct"] == pytest.approx((45500.5 + 210300 + 340000 + 64000 + 98000) / 1e6)
    assert vol["iej"]["2017"] == {"n_ops": 1, "ue": 0.36, "ct": 0.4}
    pt = ingest.pon_totals(r.operations, params)
    w = pt["fse"]["2019"]
    assert list(w) == ["axe1", "axe2", "axe3", "3911", "3912", "3913", "total"]
    assert w["3911"] == {"n_ops": 2, "ue": pytest.approx(0.27515), "ct": pytest.approx(0.5503), "participants": 7}
    assert w["total"]["n_ops"] == vol["fse"]["2019"]["n_ops"] and w["total"]["participants"] == 7
    assert sum(w[f"axe{a}"]["n_ops"] for a in "123") == w["total"]["n_ops"]


def test_tableau2_from_published_volumes():
    published = yaml.safe_load(FIXTURES.read_text(encoding="utf-8"))["volumes"]
    t2 = ingest.tableau2(published)
    assert list(t2.index) == ["fse", "iej", "total"]
    assert t2.loc["total", ("2019", "n_ops")] == 6646 + 102
    assert t2.loc["fse", ("total", "n_ops")] == 6843 + 6646
    assert t2.loc["total", ("total", "ct")] == pytest.approx(2234.3 + 1704.0 + 509.4 + 134.8)
    shown, formats = ingest.tableau2_display(t2, {"2019": "Vague 2019"})
    col = "Vague 2019 – opérations"
    assert formats[col](shown.loc[0, col]) == f"6{NNBSP}646"
    assert formats["Vague 2019 – coût total (M€)"](shown.loc[0, "Vague 2019 – coût total (M€)"]) == f"1{NNBSP}704,0"
    assert shown["Programme"].tolist() == ["PON FSE", "PON IEJ", "Total"]


def test_optional_inputs_absent(tmp_path):
    data = C.params_dict(tmp_path)
    C.make_base(tmp_path)
    for key in ("qualitative", "participants", "survey", "lot5"):
        data["inputs"].pop(key)
    r = ingest.run(load_params(C.write_params(tmp_path, data)))
    assert len(r.operations) == sum(C.BASE_IN_SCOPE.values())
    assert (r.operations["participants"] == 0).all() and r.operations["description"].isna().all()
    assert r.survey.empty and list(r.survey.columns) == ingest.SURVEY_COLUMNS
    assert r.lot5.empty and list(r.lot5.columns) == ingest.LOT5_COLUMNS


# ----------------------------------------------------------------------------- real layouts

REAL = ROOT / "tests" / "real_layouts"


def real_run(name: str, ext: str, tmp_path: Path):
    data = yaml.safe_load((ROOT / "params" / f"real_{name}.yaml").read_text(encoding="utf-8"))
    data["inputs"]["operations"] = str(REAL / f"{name}.{ext}")
    data["output_dir"] = str(tmp_path / "out")
    tmp_path.mkdir(parents=True, exist_ok=True)
    p = tmp_path / f"{name}_{ext}.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return ingest.run(load_params(p))


COMPARED = ["op_id", "programme", "wave", "axe", "pi", "os", "region", "title", "beneficiary", "ct", "ue",
            "programming_date", "start_date", "participants"]


def test_beneficiary_list_layout(tmp_path):
    r = real_run("beneficiaires_fse", "csv", tmp_path)
    ops = r.operations.set_index("op_id")
    assert ops.groupby("programme").size().to_dict() == {"fse": 5, "iej": 1}
    assert ops.loc["201700305", "os"] == "182"
    assert ops.loc["201800303", "os"] == "3913" and ops.loc["201800303", "ue"] == 30250.25
    assert ops.loc["201700301", "participants"] == 120                      # planned participants
    assert (ops["programming_date"] == ops["start_date"]).all()             # start date stands in
    reasons = r.excluded.set_index("op_id")["reason"]
    assert reasons["201700307"] == "assistance technique" and reasons["201900308"] == "hors fenêtre des vagues"
    assert reasons["201700306"].startswith("autre programme")
    assert r.meta["operations"]["encoding"] == "utf-8"
    assert r.meta["operations"]["path"] == "tests/real_layouts/beneficiaires_fse.csv"


def test_annex_xii_layout(tmp_path):
    r = real_run("annexe_xii", "csv", tmp_path)
    ops = r.operations
    assert len(ops) == 6 and ops["op_id"].str.fullmatch(r"AXII-[0-9A-F]{10}").all()
    by_title = ops.set_index("title")
    row = by_title.loc["Parcours d'insertion par le maraîchage"]
    assert (row["os"], row["axe"], row["pi"], row["ue"]) == ("3911", "3", "9.1", 75000.0)
    assert by_title.loc["Garantie jeunes renforcée", "programme"] == "iej"
    assert by_title.loc["Garantie jeunes renforcée", "ue"] == pytest.approx(101079.0)
    creation = by_title.loc["Accompagner les porteurs de projet en milieu rural"]
    assert creation["programming_date"] == creation["start_date"]           # no CRPE date: start date
    assert set(ops["region"]) == {"Bretagne"}
    assert sorted(r.excluded["reason"].str.slice(0, 12)) == ["assistance t", "catégorie d'", "hors fenêtre"]
    assert r.meta["operations"]["encoding"] == "cp1252"
    # identifiers do not depend on the run
    assert real_run("annexe_xii", "csv", tmp_path / "b").operations["op_id"].tolist() == ops["op_id"].tolist()


@pytest.mark.parametrize("name", ["beneficiaires_fse", "annexe_xii"])
def test_real_layout_xlsx_equals_csv(name, tmp_path):
    ra, rb = real_run(name, "csv", tmp_path / "csv"), real_run(name, "xlsx", tmp_path / "xlsx")
    a, b = ra.operations[COMPARED], rb.operations[COMPARED]
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    # everything the later steps read is the same, so the whole chain run on the CSV
    # (tests/test_chain.py::test_whole_chain_on_published_layouts) stands for the xlsx too
    for attr in ("operations", "excluded", "survey", "lot5"):
        pd.testing.assert_frame_equal(getattr(ra, attr).reset_index(drop=True), getattr(rb, attr).reset_index(drop=True))
    assert ra.perimeter == rb.perimeter and ra.os_labels == rb.os_labels
    # the data-quality tables differ by the file's name and by the CSV's thousand separators only
    # (an xlsx holds numbers: nothing to correct; that branch of the note is run by the xls chain
    # of tests/test_real_lists.py::test_chain_national_list)
    drop = ["fichier", "corrections", "détail des corrections"]
    pd.testing.assert_frame_equal(ra.quality.drop(columns=drop), rb.quality.drop(columns=drop))
    pd.testing.assert_frame_equal(ra.warnings.drop(columns="fichier"), rb.warnings.drop(columns="fichier"))
    assert rb.corrections.empty and set(ra.corrections["correction"]) == {"espace comme séparateur de milliers"}


def test_real_params_use_project_relative_paths():
    for name in ("beneficiaires_fse", "annexe_xii"):
        params = load_params(ROOT / "params" / f"real_{name}.yaml")
        r = ingest.run(params)
        assert all(not m["path"].startswith("/") for m in r.meta.values())
        assert params["output_dir"] != "outputs"


# ----------------------------------------------------------------------------- notebook

@pytest.mark.slow
def test_notebook_runs_on_fixture(tmp_path):
    params_path = C.make_base(tmp_path)
    out = tmp_path / "nb.ipynb"
    proc = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "01_ingest.ipynb"), str(out),
                           "-k", "isnote", "--cwd", str(ROOT), "-p", "params_path", str(params_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    nb = json.loads(out.read_text(encoding="utf-8"))
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert 'data-caption="Tableau – Volume' in html and "Qualité des données" in html
    assert str(tmp_path) not in html                     # no absolute paths in what the note shows
    kf = json.loads((tmp_path / "out" / ".state" / "key_figures" / "volumes.json").read_text(encoding="utf-8"))
    assert kf["volumes"]["fse"]["2019"]["n_ops"] == 5


# ----------------------------------------------------------------------------- demo dataset

def _demo_available() -> bool:
    try:
        params = load_params(DEFAULT_PARAMS)
    except Exception:  # noqa: BLE001
        return False
    ops = params["inputs"]["operations"]
    return all(params.path("inputs", "operations", k).exists() for k in ops)


demo = pytest.mark.skipif(not _demo_available(), reason="demo dataset not generated yet (make demo-data)")


def _round_tree(node):
    if isinstance(node, dict):
        return {k: _round_tree(v) for k, v in node.items()}
    return node if isinstance(node, int) else round_half_up(node, 1)


@demo
def test_demo_volumes_and_tableau2_match_published():
    params = load_params(DEFAULT_PARAMS)
    r = ingest.run(params)
    published = yaml.safe_load(FIXTURES.read_text(encoding="utf-8"))
    vol = ingest.volumes(r.operations, params)
    assert _round_tree(vol) == published["volumes"]
    t2 = ingest.tableau2(vol)
    assert t2.loc["fse", ("2019", "n_ops")] == published["volumes"]["fse"]["2019"]["n_ops"]
    pt = _round_tree(ingest.pon_totals(r.operations, params))
    for wave, block in published["pon_totals"]["fse"].items():
        for key, leaf in block.items():
            assert pt["fse"][wave][key] == leaf, (wave, key)



"""Screening report (isnote.screening_report, `make screening-report`) on the real samples and
their labelled sets (tests/real_samples/labels_*.csv, see LABELS.md there)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import yaml

import real_sample_ops as real
from isnote import cli
from isnote import screening_report as sr
from isnote.config import PROJECT_ROOT
from isnote.errors import InputError
from isnote.signals import compile_structured
from isnote.textsearch import compile_groups

LABELS = real.HERE


@pytest.fixture(scope="module")
def spec():
    kw = yaml.safe_load((PROJECT_ROOT / "params" / "keywords.yaml").read_text(encoding="utf-8"))
    act = yaml.safe_load((PROJECT_ROOT / "params" / "actors.yaml").read_text(encoding="utf-8"))
    return compile_groups(kw), compile_structured(kw), act


def test_report_national_sample(spec):
    labels = sr.read_labels(LABELS / "labels_liste_nationale_2014_2020.csv")
    summary, flagged, info = sr.signal_report(real.national(), *spec, labels)
    s = summary.set_index("signal")
    assert info["labelled"] == 183 and info["expected_yes"] == 17 and info["labelled_missing_from_data"] == 0
    assert s.loc["actor", "flagged"] == 8 and s.loc["actor", "precision"] == 1.0
    assert s.loc["kw_dla", "true_pos"] == 5 and s.loc["kw_dla", "false_pos"] == 0
    pre = s.loc["preidentification"]
    assert pre["true_pos"] == 12 and pre["false_pos"] == 0 and pre["recall"] == pytest.approx(12 / 17, abs=1e-4)
    # a weak signal flags operations that are not expected: it does not pre-identify
    assert s.loc["kw_recyclage_reemploi", "false_pos"] > 0 and s.loc["kw_recyclage_reemploi", "role"] == "faible"
    dla = flagged[flagged["signal"] == "kw_dla"]
    assert set(dla["op_id"]) == {"201702040", "201703096", "201703266", "201803718", "201804094"}
    assert (dla["expected"] == "oui").all()


def test_report_fse_plus_sample(spec):
    labels = sr.read_labels(LABELS / "labels_liste_2021_2027_fse_plus.csv")
    summary, _, info = sr.signal_report(real.fse_plus(), *spec, labels)
    s = summary.set_index("signal")
    assert info["expected_yes"] == 15
    assert s.loc["sig_categorie_economie_sociale", "flagged"] == 6
    assert s.loc["sig_categorie_economie_sociale", "precision"] == 1.0
    assert s.loc["preidentification", "true_pos"] == 13 and s.loc["preidentification", "false_pos"] == 0


def test_report_without_labels(spec):
    summary, flagged, info = sr.signal_report(real.national(), *spec)
    assert "precision" not in summary.columns and "expected" not in flagged.columns
    assert summary.set_index("signal").loc["preidentification", "flagged"] == 12
    text = sr.format_summary(summary, info)
    assert text.startswith("183 opération(s) analysée(s)") and "kw_dla" in text


@pytest.mark.parametrize("content, message", [
    ("op_id;attendu\n1;oui\n2;peut-être\n", "ligne 3, colonne « attendu » : valeur attendue inconnue"),
    ("op_id;attendu\n1;oui\n1;non\n", "ligne 3, colonne « op_id » : opération en double"),
    ("numero;attendu\n1;oui\n", "colonne op_id absente"),
    ("op_id;decision\n1;oui\n", "colonne attendu absente"),
])
def test_labels_errors(tmp_path, content, message):
    f = tmp_path / "labels.csv"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        sr.read_labels(f)


def test_labels_comma_and_yes_no(tmp_path):
    f = tmp_path / "labels.csv"
    f.write_text("op_id,expected\n 1 ,yes\n2,NON\n", encoding="utf-8")
    assert sr.read_labels(f).to_dict("list") == {"op_id": ["1", "2"], "expected": [True, False]}


def test_cli_reads_environment(tmp_path, monkeypatch, capsys):
    params = tmp_path / "p.yaml"
    params.write_text(yaml.safe_dump({
        "run_name": "t", "current_wave": "2014-2023", "waves": {"2014-2023": {"label": "x", "start": "2014-01-01", "end": "2023-12-31"}},
        "output_dir": str(tmp_path / "out"), "keywords": str(PROJECT_ROOT / "params" / "keywords.yaml"),
        "actors": str(PROJECT_ROOT / "params" / "actors.yaml"), "inputs": {}, "mapping": "params/mapping_mdfse.yaml",
        "review_register": str(tmp_path / "registre.csv")}), encoding="utf-8")
    monkeypatch.setattr(cli, "load_clean", lambda p: {"operations": real.national()})
    monkeypatch.setenv("ISNOTE_PARAMS", str(params))
    monkeypatch.setenv("ISNOTE_LABELS", str(LABELS / "labels_liste_nationale_2014_2020.csv"))
    assert cli.main(["screening-report"]) == 0
    out = capsys.readouterr().out
    assert "dont 17 attendue(s) « oui »" in out and "preidentification" in out
    table = pd.read_csv(tmp_path / "out" / "screening_report" / "signaux.csv")
    assert table.set_index("signal").loc["actor", "true_pos"] == 8


def test_cli_bad_labels_is_a_french_error(tmp_path):
    bad = tmp_path / "l.csv"
    bad.write_text("op_id;attendu\n1;peut-être\n", encoding="utf-8")
    code = "import sys; from isnote import cli; sys.exit(cli.main(sys.argv[1:]))"
    r = subprocess.run([sys.executable, "-c", code, "screening-report", "--labels", str(bad)],
                       capture_output=True, text=True, cwd=PROJECT_ROOT)
    last = (r.stderr.strip().splitlines() or [""])[-1]    # a warning line may come before it
    assert r.returncode == 2 and last.startswith("ERREUR : ") and "Traceback" not in r.stderr, r.stderr

"""Helpers of the note tests: a small run directory built from the fixtures (no real data needed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import yaml

from isnote.config import PROJECT_ROOT, load_params

HERE = Path(__file__).resolve().parent
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"


def retained_frame() -> pd.DataFrame:
    """A few retained operations, two of them emblematic, with planted hostile texts."""
    rows = [
        dict(op_id="201712345", programme="fse", wave="2019", title="La Cellule Emploi " + XSS_SCRIPT,
             beneficiary="CCAS de Valenciennes", legal_form="Collectivité territoriale", beneficiary_type="CCAS",
             axe="3", pi="9.1", os="3911", region="Nord-Pas-de-Calais", service="OI du Hainaut",
             place="Valenciennes", programming_date="2017-12-14", ct=238778.48, ue=112278.48,
             planned_participants=150, n_actions=3, call_title=None,
             description="Un guichet unique vers l'emploi " + XSS_IMG, actions="Accueil ; suivi",
             results="42 retours à l'emploi " + XSS_SCRIPT, participants=120,
             categorie="socialement_innovantes", emblematique="oui",
             caractere_innovant="Coordination inédite des acteurs locaux " + XSS_IMG),
        dict(op_id="201754321", programme="fse", wave="2019", title="Un lab' territorial pour l'emploi",
             beneficiary="VAL HORIZON", legal_form="Association", beneficiary_type="Autre", axe="3", pi="9.1",
             os="3912", region="Rhône-Alpes", service="Département de l'Ain", place=None,
             programming_date="2018-02-01", ct=120000.0, ue=60000.0, planned_participants=None, n_actions=None,
             call_title=None, description=None, actions=None, results=None, participants=0,
             categorie="innovation_sociale_territoriale", emblematique="oui",
             caractere_innovant="Un PTCE au service de l'emploi local"),
        dict(op_id="201600001", programme="fse", wave="2017", title="Opération de la vague précédente",
             beneficiary="Association Exemple", legal_form="Association", beneficiary_type="Autre", axe="1",
             pi="8.3", os="1831", region="Bretagne", service="DIRECCTE - Bretagne - Service Europe", place=None,
             programming_date="2016-05-03", ct=50000.0, ue=25000.0, planned_participants=10, n_actions=1,
             call_title=None, description="Texte", actions=None, results=None, participants=8,
             categorie="entrepreneuriat_social", emblematique="oui", caractere_innovant="Hors période"),
        dict(op_id="201800077", programme="iej", wave="2019", title="DynaNIT", beneficiary="ICAM Toulouse",
             legal_form="Association", beneficiary_type="Autre", axe="1", pi="8.2", os="182",
             region="Midi-Pyrénées", service="DIRECCTE", place="Toulouse", programming_date="2017-06-01",
             ct=400000.0, ue=350000.0, planned_participants=30, n_actions=2, call_title=None,
             description="École de production", actions=None, results=None, participants=0,
             categorie="socialement_innovantes", emblematique=None, caractere_innovant=None),
    ]
    df = pd.DataFrame(rows)
    df["programming_date"] = pd.to_datetime(df["programming_date"]).dt.date
    for col in ("planned_participants", "n_actions"):
        df[col] = df[col].astype("Int64")
    return df


def make_run(tmp_path: Path, *, synthetic: bool = True, notebooks: bool = True) -> tuple:
    """A run directory under tmp_path: params file, executed notebooks, key figures, clean tables."""
    out = tmp_path / "out"
    data = yaml.safe_load((PROJECT_ROOT / "params" / "demo.yaml").read_text(encoding="utf-8"))
    data["output_dir"] = str(out)
    data["synthetic"] = synthetic
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    params = load_params(params_file)
    layout = params.layout.ensure()
    if notebooks:
        for nb in sorted((HERE / "notebooks").glob("*.ipynb")):
            shutil.copy(nb, layout.notebooks / nb.name)
    shutil.copy(HERE / "key_figures.json", layout.key_figures)
    retained_frame().to_parquet(layout.clean / "retained.parquet", index=False)
    (layout.clean / "funnel.json").write_text(json.dumps({
        "fse": {"analysed": 6646, "preidentified": 224, "added_survey": 14, "reviewed": 238, "retained": 106},
        "iej": {"analysed": 102, "preidentified": 9, "added_lot5": 3, "reviewed": 12, "retained": 5},
    }), encoding="utf-8")
    (layout.clean / "checks.json").write_text(json.dumps([
        {"name": "totaux_tableau3", "description": "Les lignes du tableau 3 s'additionnent au total."},
        {"name": "xss", "description": XSS_SCRIPT},
    ]), encoding="utf-8")
    (layout.clean / "ingest_meta.json").write_text(json.dumps({
        "operations.fse": {"path": "data/demo/operations_pon_fse.csv", "sha256": "0" * 64,
                           "encoding": "cp1252", "rows": 13587},
    }), encoding="utf-8")
    return params, layout

"""Small hand-made inputs for the results tests (typology, tables, checks, charts, export)."""

from __future__ import annotations

from pathlib import Path

import json

import pandas as pd
import yaml

from isnote.config import load_params

ROOT = Path(__file__).resolve().parents[2]

# op_id, programme, wave, axe, os, region, ct (EUR), ue (EUR), participants
OPS = [
    ("F01", "fse", "2019", "1", "1811", "Bretagne", 100_000.0, 50_000.0, 10),
    ("F02", "fse", "2019", "1", "1831", "Bretagne", 200_000.0, 90_000.0, 0),
    ("F03", "fse", "2019", "1", "1831", "Picardie", 300_000.0, 150_000.0, 5),
    ("F04", "fse", "2019", "2", "2851", "Lorraine", 400_000.0, 200_000.0, 0),
    ("F05", "fse", "2019", "3", "3911", "Picardie", 500_000.0, 250_000.0, 40),
    ("F06", "fse", "2019", "3", "3911", "Bretagne", 600_000.0, 300_000.0, 0),
    ("F07", "fse", "2019", "3", "3913", "Lorraine", 700_000.0, 350_000.0, 3),
    ("F08", "fse", "2019", "3", "3912", "Alsace", 800_000.0, 400_000.0, 100),   # not retained
    ("F09", "fse", "2019", "3", "3911", "Alsace", 900_000.0, 450_000.0, 200),   # not retained
    ("F10", "fse", "2019", "1", "1811", "Alsace", 1_000_000.0, 500_000.0, 50),  # ecartee
    ("F11", "fse", "2017", "1", "1871", "Bretagne", 110_000.0, 55_000.0, 7),
    ("F12", "fse", "2017", "2", "2852", "Lorraine", 220_000.0, 110_000.0, 0),
    ("F13", "fse", "2017", "3", "3913", "Picardie", 330_000.0, 165_000.0, 12),
    ("F14", "fse", "2017", "3", "3911", "Alsace", 440_000.0, 220_000.0, 30),    # not retained
    ("F15", "fse", "2017", "3", "3912", "Alsace", 550_000.0, 275_000.0, 0),     # not retained
    ("I01", "iej", "2019", "1", "182", "Guyane", 120_000.0, 100_000.0, 0),
    ("I02", "iej", "2019", "1", "182", "Martinique", 80_000.0, 70_000.0, 0),
    ("I03", "iej", "2019", "1", "182", "Martinique", 1_000_000.0, 900_000.0, 0),  # not retained
    ("I04", "iej", "2017", "1", "2851", "Provence-Alpes-Côte d'Azur", 300_000.0, 280_000.0, 0),
    ("I05", "iej", "2017", "1", "182", "Corse", 700_000.0, 600_000.0, 0),          # not retained
]

# op_id, programme, vague, decision, categorie, emblematique
REGISTER = [
    ("F01", "fse", "2019", "retenue", "socialement_innovantes", "oui"),
    ("F02", "fse", "2019", "retenue", "entrepreneuriat_social", ""),
    ("F03", "fse", "2019", "retenue", "entrepreneuriat_social", ""),
    ("F04", "fse", "2019", "retenue", "ingenierie_outillage_etudes", ""),
    ("F05", "fse", "2019", "retenue", "socialement_innovantes", ""),
    ("F06", "fse", "2019", "retenue", "innovation_sociale_territoriale", ""),
    ("F07", "fse", "2019", "retenue", "evaluation_impact_social", ""),
    ("F10", "fse", "2019", "ecartee", "", ""),
    ("F11", "fse", "2017", "retenue", "socialement_innovantes", ""),
    ("F12", "fse", "2017", "retenue", "innovation_sociale_territoriale", ""),
    ("F13", "fse", "2017", "retenue", "innovation_sociale_territoriale", ""),
    ("F99", "fse", "2019", "retenue", "socialement_innovantes", ""),   # not in the data
    ("I01", "iej", "2019", "retenue", "socialement_innovantes", ""),
    ("I02", "iej", "2019", "retenue", "entrepreneuriat_social", ""),
    ("I04", "iej", "2017", "retenue", "socialement_innovantes", ""),
]

# respondent_id, body_type, answer, observations
SURVEY = [
    ("R01", "AGD", "oui", ""),
    ("R02", "AGD", "non", "Les règles de gestion du FSE sont trop lourdes."),
    ("R03", "AGD", "nsp", "La définition de l'innovation sociale reste floue."),
    ("R04", "OI CD", "oui", "Risque financier élevé en cas de sous-réalisation."),
    ("R05", "OI CD", "oui", ""),
    ("R06", "OI CD", "non", "Le cadre de performance pousse aux volumes de participants ; contrôles lourds."),
    ("R07", "OI PLIE pivot", "oui", ""),
    ("R08", "OI PLIE", "oui", "=cmd|' /C calc'!A0"),
    ("R09", "OI PLIE", "nsp", ""),
    ("R10", "Autre OI", "non", ""),
]


def make_params(tmp_path: Path, **extra):
    data = {
        "run_name": "test", "output_dir": str(tmp_path / "out"),
        "current_wave": "2019", "previous_wave": "2017",
        "waves": {"2017": {"label": "Vague 2017", "start": "2014-01-01", "end": "2017-03-04"},
                  "2019": {"label": "Vague 2019", "start": "2017-03-05", "end": "2018-12-31"}},
        "inputs": {}, "mapping": str(ROOT / "params/mapping_mdfse.yaml"),
        "nomenclature": str(ROOT / "params/nomenclature.yaml"),
        "typology": str(ROOT / "params/typology.yaml"),
        "survey_themes": str(ROOT / "params/survey_themes.yaml"),
        "review_register": str(tmp_path / "registre.csv"),
        "exclude_axes": ["4"],
    }
    data.update(extra)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_params(path)


def make_operations() -> pd.DataFrame:
    df = pd.DataFrame(OPS, columns=["op_id", "programme", "wave", "axe", "os", "region", "ct", "ue", "participants"])
    df["participants"] = df["participants"].astype("int64")
    df["title"] = "Opération " + df["op_id"]
    df["beneficiary"] = "Porteur " + df["op_id"]
    df["service"] = "Service " + df["region"]
    df["description"] = ("Une description assez longue de l'opération " + df["op_id"] + " ") * 20
    df["pi"] = ""
    df["programming_date"] = pd.to_datetime(df["wave"].map({"2017": "2016-06-01", "2019": "2018-06-01"}))
    return df


def make_register(rows=REGISTER) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["op_id", "programme", "vague", "decision", "categorie", "emblematique"])
    for c in ("score_besoin", "score_experimentation", "score_implication", "score_effets", "caractere_innovant",
              "justification", "relecteur", "date_decision", "statut"):
        df[c] = ""
    return df


def write_register(params, df: pd.DataFrame) -> Path:
    path = params.path("review_register")
    df.to_csv(path, sep=";", index=False)
    return path


def make_survey() -> pd.DataFrame:
    df = pd.DataFrame(SURVEY, columns=["respondent_id", "body_type", "answer", "observations"])
    df["respondent"] = "Structure " + df["respondent_id"]
    df["operations_named"] = ""
    return df


def volumes_from(ops: pd.DataFrame) -> dict:
    g = ops.groupby(["programme", "wave"]).agg(n_ops=("op_id", "size"), ue=("ue", "sum"), ct=("ct", "sum"))
    out: dict = {}
    for (p, w), r in g.iterrows():
        out.setdefault(p, {})[w] = {"n_ops": int(r["n_ops"]), "ue": r["ue"] / 1e6, "ct": r["ct"] / 1e6}
    return out


def setup_run(tmp_path: Path):
    """A run folder with the clean tables, register and `volumes` block the results notebooks read."""
    from isnote import export
    from isnote.keyfigures import KeyFigures

    p = make_params(tmp_path, dataset_label="Jeu de test", extract_date="2019-03-09", survey_date="2019-02")
    layout = p.layout.ensure()
    ops = make_operations()
    export.write_parquet(ops, layout.clean / "operations.parquet")
    export.write_parquet(make_survey(), layout.clean / "survey.parquet")
    export.write_parquet(pd.DataFrame({"op_id": ["I01", "I04", "I77"], "title": ["", "", "Inconnue"]}),
                         layout.clean / "lot5.parquet")
    cand = pd.DataFrame({"op_id": ["F05", "F06"], "programme": ["fse", "fse"], "wave": ["2019", "2019"],
                         "continuation": [True, False], "continuation_of": ["F13", ""]})
    export.write_parquet(cand, layout.clean / "candidates.parquet")
    cur = ops[ops["wave"] == "2019"]
    funnel = {"wave": "2019", **{prog: {"analysed": int((cur["programme"] == prog).sum()), "preidentified": 0,
                                        "candidates": int((cand["programme"] == prog).sum()), "lot5_listed": 0,
                                        "added_survey": 0, "added_lot5": 0, "continuations": 0, "lot5_in_wave": 0}
                                 for prog in ("fse", "iej")}}
    (layout.clean / "funnel.json").write_text(json.dumps(funnel), encoding="utf-8")
    write_register(p, make_register())
    KeyFigures(layout.state).write("volumes", volumes_from(ops))
    from isnote.ingest import pon_totals
    KeyFigures(layout.state).write("pon_totals", pon_totals(ops, p))
    # the screening step's ranking block (no earlier decisions: fixed weights)
    KeyFigures(layout.state).write("ranking", {"method": "regles", "weights": [], "operations": len(cur),
                                               "scored": len(cur), "evaluation": None})
    return p

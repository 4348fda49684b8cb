"""Operations frames read directly from the real samples of tests/real_samples (see PROVENANCE.md),
with the columns the screening needs, for library-level tests (no mapping, no ingest)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from isnote.config import PROJECT_ROOT, Params

HERE = Path(__file__).resolve().parent / "real_samples"
NATIONAL = HERE / "liste_operations_fse_2014_2020_extrait.xls"
FSE_PLUS = HERE / "liste_operations_2021_2027_extrait.xlsx"
PROGRAMMES = {"Programme Opérationnel National FSE": "fse", "Programme Opérationnel IEJ": "iej"}


def national() -> pd.DataFrame:
    """The 2014-2020 national list: PON FSE and PON IEJ rows, technical assistance (OT 0) left
    out, one wave "2014-2023"; os = AXE + OT + PI + OS (3913 = axis 3, PI 9.1, OS 3)."""
    raw = pd.read_excel(NATIONAL, engine="calamine")
    raw = raw[raw["Libellé_po"].isin(PROGRAMMES) & (raw["OT"] != 0)]
    return pd.DataFrame({
        "op_id": raw["num_dossier"].astype(str),
        "programme": raw["Libellé_po"].map(PROGRAMMES),
        "wave": "2014-2023",
        "title": raw["Lib_opé"].astype(str),
        "beneficiary": raw["Lib_org"].astype(str),
        "os": raw["AXE"].astype(str) + raw["OT"].astype(str) + raw["PI"].astype(str) + raw["OS"].astype(str),
    }).reset_index(drop=True)


def fse_plus() -> pd.DataFrame:
    """The FSE+ rows of the 2021-2027 list, one wave "2021-2027", with the intervention category
    (code and label) and the specific objective."""
    raw = pd.read_excel(FSE_PLUS, engine="calamine")
    raw = raw[raw["Fonds"].astype(str).str.contains("FSE", regex=False)]
    cat = raw["Type d'intervention"].astype(str).str.extract(r"^\s*(\d{3})\s*-\s*(.*)$")
    return pd.DataFrame({
        "op_id": raw["Numéro Opération"].astype(str),
        "programme": "fse",
        "wave": "2021-2027",
        "title": raw["Intitulé du projet"].astype(str),
        "beneficiary": raw["Nom du bénéficiaire"].astype(str),
        "description": raw["Objectifs et réalisations escomptés et effectifs"].astype("string"),
        "category_code": cat[0].astype("string"),
        "category_label": cat[1].str.replace("\u00a0", " ").astype("string"),
        "os": raw["Objectif spécifique"].astype(str),
    }).reset_index(drop=True)


def params(wave: str, **extra) -> Params:
    """Run parameters with the real-list keyword and actor sets and one wave."""
    data = {"run_name": "echantillon", "current_wave": wave, "waves": {wave: {"label": wave}},
            "keywords": "params/keywords.yaml", "actors": "params/actors.yaml", "typology": "params/typology.yaml",
            **extra}
    return Params(data, PROJECT_ROOT / "params" / "echantillon.yaml")

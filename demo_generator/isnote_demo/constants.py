"""Every constant of the demo generator in one place: file names, encodings, banner, register
columns, retained categories, participant profiles, size limit, where the specs live.

Tunable choices live in the specs (specs/*.yaml); what is here is the fixed shape of the dataset.
"""

from __future__ import annotations

from pathlib import Path

from isnote import register_schema as _register_schema

SPECS_DIR = Path(__file__).resolve().parent / "specs"

BANNER = "# DONNÉES SYNTHÉTIQUES – jeu de démonstration isnote, aucune opération réelle"

FILES = {
    "ops_fse": "operations_pon_fse.csv", "ops_iej": "operations_pon_iej.csv",
    "qual_fse": "qualitatif_pon_fse.csv", "qual_iej": "qualitatif_pon_iej.csv",
    "participants": "participants_pon_fse.parquet", "survey": "enquete_gestionnaires_axe3.csv",
    "lot5": "iej_lot5.csv", "register": "registre_revue.csv", "readme": "LISEZMOI.md",
}
ENCODING = {"ops_fse": "cp1252", "ops_iej": "cp1252", "qual_fse": "utf-8", "qual_iej": "utf-8",
            "survey": "utf-8", "lot5": "utf-8", "register": "utf-8"}
MAX_BYTES = 25 * 1024 * 1024

# the review register's columns and scores: the runtime owns them (isnote.register_schema)
REGISTER_COLUMNS = list(_register_schema.REGISTER_COLUMNS)
SCORE_COLUMNS = list(_register_schema.SCORE_COLUMNS)
DEMO_DECISION = "décision de démonstration (données synthétiques)"
ABSENT_STATUS = "absente des données"

# retained categories of the typology, in the order the generator fills them
CATS = ["socialement_innovantes", "entrepreneuriat_social", "innovation_sociale_territoriale",
        "ingenierie_outillage_etudes", "evaluation_impact_social"]

# column order of the files the generator writes (the headers come from the demo mapping)
OPS_FIELDS = ["op_id", "title", "beneficiary", "legal_form", "beneficiary_type", "axe", "pi", "os", "region", "service",
              "programming_date", "start_date", "end_date", "ct", "ue", "planned", "place", "n_actions"]
QUAL_FIELDS = ["op_id", "call_title", "description", "actions", "results"]
SURVEY_FIELDS = ["respondent_id", "respondent", "body_type", "answer", "operations_named", "observations"]
LOT5_FIELDS = ["op_id", "title"]

# participant records: columns, values, and attributes by OS:
# P(F), age bands (<25, 25-54, 55+), status (DE, DELD, inactive, employed)
PARQUET_COLUMNS = ["N° dossier", "Sexe", "Tranche d'âge", "Statut à l'entrée"]
SEXES = ["F", "H"]
AGES = ["moins de 25 ans", "25 à 54 ans", "55 ans et plus"]
STATUSES = ["Demandeur d'emploi", "Demandeur d'emploi de longue durée", "Inactif", "En emploi"]
PARTICIPANT_PROFILE = {
    "11011": (0.45, (0.99, 0.01, 0.0), (0.08, 0.0, 0.92, 0.0)),
    "1811": (0.52, (0.34, 0.55, 0.11), (0.55, 0.22, 0.18, 0.05)),
    "1831": (0.42, (0.10, 0.78, 0.12), (0.58, 0.22, 0.10, 0.10)),
    "1832": (0.45, (0.10, 0.75, 0.15), (0.40, 0.15, 0.10, 0.35)),
    "1871": (0.52, (0.25, 0.62, 0.13), (0.55, 0.25, 0.15, 0.05)),
    "2851": (0.44, (0.10, 0.72, 0.18), (0.04, 0.01, 0.01, 0.94)),
    "2852": (0.76, (0.12, 0.73, 0.15), (0.04, 0.01, 0.02, 0.93)),
    "2853": (0.48, (0.12, 0.70, 0.18), (0.03, 0.01, 0.01, 0.95)),
    "2861": (0.45, (0.01, 0.36, 0.63), (0.02, 0.01, 0.01, 0.96)),
    "3911": (0.50, (0.16, 0.71, 0.13), (0.33, 0.37, 0.27, 0.03)),
    "3912": (0.46, (0.22, 0.66, 0.12), (0.38, 0.32, 0.20, 0.10)),
    "3913": (0.50, (0.15, 0.70, 0.15), (0.35, 0.35, 0.25, 0.05)),
}
PARQUET_META = {"isnote:synthetic": "true"}

"""A small, hand-made screening fixture: operations of two waves and two programmes, a survey,
a lot-5 list and a review register (shared by test_screening.py and test_review.py)."""

from __future__ import annotations

import pandas as pd

from isnote.review import REGISTER_COLUMNS

# op_id, programme, wave, title, beneficiary, description
OPS = [
    # wave 2019, FSE
    ("201900001", "fse", "2019", "Projet d’INNOVATION SOCIALE pour l’emploi", "Association Les Amis", "Expérimentation et essaimage."),
    ("201900002", "fse", "2019", "Rénovation énergétique des logements", "Régie du Sud", "Chantier d'insertion."),
    ("201900003", "fse", "2019", "Accompagnement vers l'emploi", "CRESS Pays de la Loire", "Animation du réseau."),
    ("201900004", "fse", "2019", "Parcours d'insertion", "Mission locale du Nord", "Suivi individualisé."),
    ("201900005", "fse", "2019", "Chantier école innovant", "Compagnon Batisseurs Aquitaine", "Travaux de second œuvre."),
    ("201900006", "fse", "2019", "Mesure de l’impact social des SIAE", "Atelier Vert", "Étude d'impact et diagnostic."),
    ("201900007", "fse", "2019", "Clauses sociales", "Maison de l'emploi de l'Est", "Coordination des acteurs."),
    ("201900008", "fse", "2019", "Atelier couture", "SAVEUR & CO", "Ateliers collectifs."),  # retained in 2017, no source
    # wave 2019, IEJ
    ("201900101", "iej", "2019", "Garantie jeunes renforcée", "BGE Guyane", "Accompagnement des jeunes NEET."),
    ("201900102", "iej", "2019", "Démarche innovante pour les NEET", "ICAM Toulouse", "Projet pilote."),
    # wave 2017
    ("201700001", "fse", "2017", "Innovation sociale dans les quartiers", "Compagnons Bâtisseurs Aquitaine", ""),
    ("201700002", "fse", "2017", "Insertion", "Régie du Sud", ""),
    ("201700101", "iej", "2017", "Jeunes et numérique", "Saveur and Co", ""),
]

SURVEY = [
    ("R01", "oui", "n° 201900004 et MDFSE-2017 00002"),
    ("R02", "oui", "dossier 999999999, 2019 00004"),
    ("R03", "non", None),
]

LOT5 = [("201900101", "Garantie jeunes renforcée"), ("201700101", "Jeunes et numérique"), ("201500999", "Ailleurs")]

# op_id, programme, vague, decision, categorie
REGISTER = [
    ("201700001", "fse", "2017", "retenue", "socialement_innovantes"),
    ("201700002", "fse", "2017", "ecartee", ""),
    ("201700101", "iej", "2017", "retenue", "socialement_innovantes"),
    ("201900001", "fse", "2019", "retenue", "socialement_innovantes"),
    ("201900003", "fse", "2019", "ecartee", ""),
    ("201900101", "iej", "2019", "retenue", "innovation_sociale_territoriale"),
]


def operations() -> pd.DataFrame:
    df = pd.DataFrame(OPS, columns=["op_id", "programme", "wave", "title", "beneficiary", "description"])
    df["call_title"] = None
    df["actions"] = None
    df["results"] = None
    df["os"] = "3911"
    df["region"] = "Bretagne"
    df["ct"] = 1000.0
    return df


def survey() -> pd.DataFrame:
    return pd.DataFrame(SURVEY, columns=["respondent_id", "answer", "operations_named"])


def lot5() -> pd.DataFrame:
    return pd.DataFrame(LOT5, columns=["op_id", "title"])


def register() -> pd.DataFrame:
    rows = [dict(zip(["op_id", "programme", "vague", "decision", "categorie"], r)) for r in REGISTER]
    reg = pd.DataFrame(rows).reindex(columns=REGISTER_COLUMNS).astype(object).fillna("")
    reg.loc[reg["decision"] != "", "date_decision"] = "2019-03-01"
    reg.loc[reg["decision"] != "", "relecteur"] = "AB"
    return reg.astype(object)

"""Screening of the real samples (tests/real_samples) with the real-list parameter sets:
precise actor matching, social-economy signals, structured signals, ranking."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

import real_sample_ops as real
from isnote import screening as sc
from isnote import textsearch as ts
from isnote.config import PROJECT_ROOT
from isnote.errors import InputError
from isnote.signals import canonical_code, compile_structured, structured_hits


@pytest.fixture(scope="module")
def actors():
    return yaml.safe_load((PROJECT_ROOT / "params" / "actors.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def national():
    ops = real.national()
    return ops, sc.screen(ops, None, None, None, real.params("2014-2023"))


@pytest.fixture(scope="module")
def fse_plus():
    ops = real.fse_plus()
    return ops, sc.screen(ops, None, None, None, real.params("2021-2027"))


# ------------------------------------------------------------------------------ acceptance

def test_national_sample_acceptance(national):
    """France Active network, CAE and couveuse networks, DLA, Territoire zéro chômeur are
    candidates; no Pôle emploi regional direction, chamber of trades or prefecture is."""
    ops, res = national
    cand = set(res.candidates["op_id"])
    ben = ops["beneficiary"].str.upper()
    title = ops["title"].str.upper()
    def ids(mask):
        return set(ops.loc[mask, "op_id"])
    france_active = ids(ben.str.contains(r"FRANCE ACTIVE|BOURGOGNE ACTIVE|LIMOUSIN ACTIF|INITIACTIVE"))
    cae = ids(ben.str.contains(r"TEC GE COOP|COUVEUSE|COOP[ÉE]RATIVE D'ACTIVIT"))
    dla = ids(title.str.contains(r"DISPOSITIF LOCAL D'ACCOMPAGNEMENT|\bDLA\b"))
    tzc = ids(title.str.contains(r"Z[ÉE]RO CH[ÔO]MEUR"))
    must = france_active | cae | dla | tzc
    assert len(france_active) == 6 and len(cae) == 1 and len(dla) == 5          # what the sample holds
    assert must <= cand, sorted(must - cand)
    never = ids(ben.str.contains(r"P[ÔO]LE EMPLOI|CHAMBRES? DE M[ÉE]TIERS|PR[ÉE]FECTURE|CHAMBRE CONSULAIRE"))
    assert len(never) >= 10
    assert not (never & cand), sorted(never & cand)


def test_national_sample_evidence(national):
    _, res = national
    c = res.candidates.set_index("op_id")
    assert c.loc["201500210", "actor"] == "France Active"
    assert c.loc["201500210", "actor_key"] == "bourgogne active"
    assert c.loc["201500053", "actor_key"] == "limousin actif"
    assert c.loc["201702040", "actor_key"] == "tec ge coop"
    assert "Dispositif local d'accompagnement" in c.loc["201804094", "evidence"]
    assert "Porteur : acteur de l'écosystème" in c.loc["201500210", "signals"]


def test_fse_plus_sample(fse_plus):
    ops, res = fse_plus
    c = res.candidates.set_index("op_id")
    assert c.loc["COR009354", "actor"] == "France Active"                  # Corse Active pour l'initiative
    assert c.loc["OCC000615", "actor"] == "URSCOP"
    assert c.loc["OCC000615", "actor_key"] == "regionale societes cooperatives"
    assert c.loc["IDF001334", "actor"] == "CRESS"
    assert c.loc["00160887-1", "actor"] == "Couveuse d'entreprises"
    assert "SUD000260" not in c.index          # Fédération régionale des CIDFF
    # category 138 is a structured strong signal, shown in the evidence
    n138 = set(ops.loc[ops["category_code"] == "138", "op_id"])
    assert len(n138) == 6 and n138 <= set(c.index)
    assert "catégorie d'intervention" in c.loc[sorted(n138)[0], "evidence"]
    # the candidates come first in the ranking of the wave
    r = res.ranking
    assert r["rank"].tolist() == list(range(1, len(r) + 1))
    assert r["score"].is_monotonic_decreasing
    assert r.head(5)["candidate"].all()


# ------------------------------------------------------------------------------ actors

@pytest.mark.parametrize("name, actor, key", [
    ("Bretagne Active", "France Active", "bretagne active"),
    ("CORSE ACTIVE POUR L'INITIATIVE", "France Active", "corse active pour initiative"),
    ("LIMOUSIN ACTIF", "France Active", "limousin actif"),
    ("Association Bourgogne Active", "France Active", "bourgogne active"),
    ("FRANCE ACTIVE PROVENCE-ALPES-COTE D'AZUR", "France Active", "france active"),
    ("Initiactive 26.07", "France Active", "initiactive 26 07"),
    ("BGE Landes Tec Ge Coop", "Coopérative d'activité et d'emploi (CAE)", "tec ge coop"),
    ("COODÉMARRAGE 53", "Coopérative d'activité et d'emploi (CAE)", "coodemarrage"),
    ("Coopérative d'activités et d'emploi Oxalis", "Coopérative d'activité et d'emploi (CAE)", None),
    ("Couveuse d'entreprises Interface", "Couveuse d'entreprises", None),
    ("URSCOP OCCITANIE POLE PYRENEES", "URSCOP", "urscop"),
    ("Union régionale des SCOP de Bretagne", "URSCOP", "union regionale des scop"),
    ("UNION REGIONALE DES SOCIETES COOPERATIVES OCCITANIE", "URSCOP", "regionale societes cooperatives"),
    ("CHAMBRE REGIONALE DE L'ECONOMIE SOCIALE ET SOLIDAIRE ILE DE FRANCE", "CRESS", None),
    ("Adie", "Adie", "adie"),
    ("EBE 58 La Fabrique", "Territoires zéro chômeur de longue durée", "ebe"),
    ("Jardins de Cocagne du Haut-Anjou", "Réseau Cocagne", None),
    ("Tiers-lieu La Quincaillerie", "Tiers-lieux", "tiers lieu"),
    ("RONALPIA", "Ronalpia", "ronalpia"),
    ("sensecube", "Makesense", "sensecube"),
])
def test_actor_positive(actors, name, actor, key):
    got = ts.match_actors_detail(pd.Series([name]), actors).iloc[0]
    assert got["actor"] == actor
    if key:
        assert got["actor_key"] == key


@pytest.mark.parametrize("name", [
    # false matches of the former key "regionale" (6 of 9 URSCOP matches on the real list)
    "Direction régionale Pôle emploi", "POLE EMPLOI DR ILE DE FRANCE", "Pôle emploi Centre-Val de Loire",
    "Union régionale du syndicat de l'artisanat", "Fédération régionale des CIDFF",
    "FEDERATION REGIONALE DES CENTRES D INFORMATION SUR LES DROITS DES FEMMES ET DES FAMILLES DE PACA",
    "ASSOCIATION REGIONALE POUR LE DEVELOPPEMENT DE L EMPLOI AGRICOLE ET RURAL DE PROVENCE-ALPES-COTE D AZUR",
    "Chambre de Métiers et de l'Artisanat d'Eure et Loir", "Chambres de métiers et de l'artisanat France",
    "Préfecture de la région Bretagne", "Confédération générale du travail", "CG 54",
    "MISSION LOCALE DU PAYS DE FOUGERES", "Equipe Entreprise et Prospection Active", "Maison de l'emploi",
    "Conseil départemental du Finistère", "REGION CENTRE-VAL DE LOIRE", "CRESSIDA Conseil", "Avisée formation",
    "Ecole active", "Les Ruchers du Sud", None,
])
def test_actor_negative(actors, name):
    got = ts.match_actors_detail(pd.Series([name], dtype=object), actors).iloc[0]
    assert pd.isna(got["actor"]) and pd.isna(got["actor_key"])


@pytest.mark.parametrize("alias", ["Union régionale", "Fédération départementale", "Direction régionale de Bretagne",
                                   "Association du Finistère", "Comité", "CG"])
def test_generic_key_refused(alias):
    spec = {"legal_form_words": ["association", "union", "federation"],
            "actors": [{"name": "Réseau X", "aliases": ["Réseau X coopératif", alias]}]}
    with pytest.raises(InputError, match="Réseau X") as exc:
        ts.compile_actors(spec)
    assert "génériques" in str(exc.value)


def test_generic_pattern_refused():
    with pytest.raises(InputError, match="mot générique"):
        ts.compile_actors({"actors": [{"name": "Yggdrasil", "patterns": ["{territory}"]}]})


def test_demo_actor_file_still_loads():
    spec = yaml.safe_load((PROJECT_ROOT / "params" / "actors_note_2019.yaml").read_text(encoding="utf-8"))
    keys = ts.actor_keys(spec)
    assert "regionale" not in keys and "cg" not in keys
    assert keys["union regionale des scop"] == "URSCOP"


# ------------------------------------------------------------------------------ keywords, roles

@pytest.fixture(scope="module")
def groups():
    return ts.compile_groups(PROJECT_ROOT / "params" / "keywords.yaml")


@pytest.mark.parametrize("text, group", [
    ("Soutien aux entreprises sociales", "economie_sociale"),
    ("Entrepreneuriat social en Bretagne", "economie_sociale"),
    ("Entreprendre dans l'ESS avec makesense", "economie_sociale"),
    ("Prom'ESS Europe", "economie_sociale"),
    ("Coopératives éphémères dans les quartiers", "cooperatives"),
    ("Essaimage intrapreneurial coopératif", "cooperatives"),
    ("Accompagnement dans une coopérative d'activité et d'emploi", "cooperatives"),
    ("Création d'une SCIC", "cooperatives"),
    ("Territoire zéro chômeur de longue durée", "territoire_zero_chomeur"),
    ("Jardin de Cocagne de Limoges", "cocagne_tiers_lieux"),
    ("Un tiers-lieu rural", "cocagne_tiers_lieux"),
    ("DISPOSITIF LOCAL D'ACCOMPAGNEMENT (DLA) DU CHER", "dla"),
    ("Vélos recyclés", "recyclage_reemploi"),
    ("mobilier recyclé et réemploi", "recyclage_reemploi"),
    ("une ressourcerie", "recyclage_reemploi"),
    ("Les roues solidaires", "solidaire"),
    ("projets innovants", "innovation"),
])
def test_social_economy_groups(groups, text, group):
    hits = ts.find_hits(pd.DataFrame({"op_id": ["1"], "title": [text]}), ["title"], groups)
    assert group in set(hits["group"]), (text, list(hits["group"]))


@pytest.mark.parametrize("text", ["Essonne", "process", "Coopérations territoriales", "Revenu de Solidarité Active",
                                  "Dispositif territorial d'accompagnement", "Cessation d'activité"])
def test_strong_groups_negative(groups, text):
    hits = ts.find_hits(pd.DataFrame({"op_id": ["1"], "title": [text]}), ["title"], groups)
    strong = {g.name for g in groups if g.preidentify}
    assert not (set(hits["group"]) & strong), (text, list(hits["group"]))


def test_roles():
    g = ts.compile_groups({"groups": {"a": {"patterns": ["x"]}, "b": {"patterns": ["y"], "role": "weak"},
                                      "c": {"patterns": ["z"], "preidentify": False},
                                      "d": {"patterns": ["w"], "role": "strong", "weight": 5}}})
    assert [x.preidentify for x in g] == [True, False, False, True]
    assert [x.rank_weight for x in g] == [2.0, 1.0, 1.0, 5.0]
    with pytest.raises(InputError, match="rôle inconnu"):
        ts.compile_groups({"groups": {"a": {"patterns": ["x"], "role": "maybe"}}})


def test_demo_keyword_file_roles_unchanged():
    g = ts.compile_groups(PROJECT_ROOT / "params" / "keywords_note_2019.yaml")
    assert [x.name for x in g if x.preidentify] == ["innovation_sociale", "innovation", "besoins_sociaux",
                                                     "impact_social", "ptce"]


# ------------------------------------------------------------------------------ structured signals

def test_canonical_codes():
    got = canonical_code(pd.Series(["ESO4.01", "ESO4.1", "4.1", "138 - Soutien", "3913", None, "ESO4.12", "0138"]))
    assert got.tolist() == ["4.1", "4.1", "4.1", "138", "3913", "", "4.12", "138"]


def test_structured_signals():
    sig = compile_structured({"structured_signals": {
        "cat": {"column": "category_code", "codes": [138]},
        "os": {"column": "os", "codes": ["ESO4.1"], "role": "weak"}}})
    assert [s.preidentify for s in sig] == [True, False]
    ops = pd.DataFrame({"category_code": ["138", "137", None], "os": ["ESO4.01", "4.1", "ESO4.11"]})
    flags = structured_hits(ops, sig)
    assert flags["sig_cat"].tolist() == [1, 0, 0] and flags["sig_os"].tolist() == [1, 1, 0]
    assert structured_hits(ops.drop(columns="os"), sig)["sig_os"].tolist() == [0, 0, 0]
    with pytest.raises(InputError, match="colonne inconnue"):
        compile_structured({"structured_signals": {"x": {"column": "nope", "codes": ["1"]}}})
    with pytest.raises(InputError, match="sans code"):
        compile_structured({"structured_signals": {"x": {"column": "os", "codes": []}}})


# ------------------------------------------------------------------------------ review workbook

def test_review_workbook_by_decreasing_score_with_actor_key(fse_plus, tmp_path):
    from openpyxl import load_workbook

    from isnote.review import export_review
    ops, res = fse_plus
    target = export_review(res.candidates, ops, None, tmp_path / "revue.xlsx", real.params("2021-2027"))
    ws = load_workbook(target, read_only=True)["À revoir"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    for label in ("Rang", "Score de classement", "Indices du classement (poids)", "Acteur reconnu",
                  "Mots reconnus dans le nom du porteur"):
        assert label in head
    body = [dict(zip(head, r)) for r in rows[1:]]
    assert len(body) == len(res.candidates)
    scores = [r["Score de classement"] for r in body]
    assert scores == sorted(scores, reverse=True)
    urscop = next(r for r in body if r["N° opération"] == "OCC000615")
    assert urscop["Acteur reconnu"] == "URSCOP"
    assert urscop["Mots reconnus dans le nom du porteur"] == "regionale societes cooperatives"
    assert "Porteur : acteur de l'écosystème" in urscop["Indices du classement (poids)"]


def test_named_operations_absent_from_the_sample():
    """Operations named as in the full lists but absent from the sample: Territoire zéro chômeur,
    a DLA of the ESS, and a prefecture, a regional direction of Pôle emploi, a chamber of trades."""
    extra = pd.DataFrame({
        "op_id": ["X1", "X2", "X3", "X4", "X5", "X6"], "programme": "fse", "wave": "2014-2023",
        "title": ["Expérimentation Territoire zéro chômeur de longue durée", "DLA 2019 - appui aux structures de l'ESS",
                  "Accompagnement vers l'emploi", "Mixité des métiers", "Apprentissage", "Fonds d'appui"],
        "beneficiary": ["EBE Pré-Saint-Gervais", "Ligue de l'enseignement", "Préfecture de la région Occitanie",
                        "Direction régionale Pôle emploi Bretagne", "Chambre de métiers et de l'artisanat du Cher",
                        "Union régionale du syndicat de l'artisanat"]})
    ops = pd.concat([real.national(), extra], ignore_index=True)
    cand = set(sc.screen(ops, None, None, None, real.params("2014-2023")).candidates["op_id"])
    assert {"X1", "X2"} <= cand and not ({"X3", "X4", "X5", "X6"} & cand)


def test_signals_table():
    from isnote.signals import signals_table
    t = signals_table(compile_structured(yaml.safe_load((PROJECT_ROOT / "params" / "keywords.yaml").read_text(encoding="utf-8"))))
    assert t["Codes"].tolist() == ["138", "3913"]
    assert t["Rôle"].tolist() == ["pré-identification", "classement seulement"]

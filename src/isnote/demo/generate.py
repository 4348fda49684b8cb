"""Seeded generator of the SYNTHETIC demo dataset of isnote.

    python -m isnote.demo.generate --out data/demo        (make demo-data)

Writes, byte for byte identical for a given seed: the operations of the PON FSE and the PON IEJ
(cp1252 CSV), their qualitative texts (UTF-8 CSV), the participant records (parquet), the survey
of axis-3 managing bodies, the IEJ lot-5 list, the review register and LISEZMOI.md.

Calibration targets (aggregates of the 2019 note) are in calibration.yaml, the operations the
note names in named_operations.yaml, our own design choices in design.yaml. Every text is written
for isnote (texts.py). Before anything is written, the files are generated in a temporary
folder and checked (isnote.demo.verify): generation FAILS if a target is missed.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ..config import PROJECT_ROOT, load_params, load_yaml
from ..errors import IsnoteError
from . import alloc, geo, texts
from .textcheck import ActorMatcher
from .verify import headers

HERE = Path(__file__).resolve().parent
BANNER = "# DONNÉES SYNTHÉTIQUES – jeu de démonstration isnote, aucune opération réelle"
CATS = ["socialement_innovantes", "entrepreneuriat_social", "innovation_sociale_territoriale",
        "ingenierie_outillage_etudes", "evaluation_impact_social"]
FILES = {
    "ops_fse": "operations_pon_fse.csv", "ops_iej": "operations_pon_iej.csv",
    "qual_fse": "qualitatif_pon_fse.csv", "qual_iej": "qualitatif_pon_iej.csv",
    "participants": "participants_pon_fse.parquet", "survey": "enquete_gestionnaires_axe3.csv",
    "lot5": "iej_lot5.csv", "register": "registre_revue.csv", "readme": "LISEZMOI.md",
}
REGISTER_COLUMNS = ["op_id", "programme", "vague", "decision", "categorie", "score_besoin", "score_experimentation",
                    "score_implication", "score_effets", "emblematique", "caractere_innovant", "justification",
                    "relecteur", "date_decision", "statut"]
DEMO_DECISION = "décision de démonstration (données synthétiques)"


class GenerationError(IsnoteError):
    """The generated data misses a calibration target (a bug of the generator or of its specs)."""


def _as_date(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def cents(meur: float) -> int:
    return int(round(float(meur) * 1e8))


def eur_cents(eur: float) -> int:
    return int(round(float(eur) * 100))


@dataclass(eq=False)
class Op:
    programme: str
    kind: str                 # scope | ta | after
    wave: str | None          # "2017" | "2019" | None (programmed after the windows)
    os: str
    axe: str
    pi: str = ""
    op_id: str = ""
    region: str = ""
    service: str = ""
    place: str = ""
    title: str = ""
    beneficiary: str = ""
    legal_form: str = ""
    beneficiary_type: str = ""
    prog_date: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    ct: int = 0
    ue: int = 0
    ct_fixed: bool = False
    ue_fixed: bool = False
    planned: int | None = None
    n_actions: int | None = None
    participants: int = 0
    call_title: str = ""
    description: str = ""
    actions: str = ""
    results: str = ""
    retained: bool = False
    category: str | None = None
    route: str | None = None          # text | actor | survey | lot5 (how the screening finds it)
    setaside: bool = False            # register decision "ecartee"
    hit: str | None = None            # keyword family of a set-aside candidate
    named: dict | None = None
    cont_2017: "Op | None" = None     # wave-2017 retained operation this one continues
    cont_name: str | None = None      # wave-2017 spelling of the beneficiary (continuations)
    survey_tag: str | None = None
    lot5: bool = False
    has_participants: bool | None = None
    fixed_participants: int | None = None
    emblematique: bool = False
    caractere_innovant: str = ""
    special_name: str | None = None   # beneficiary imposed by the design (actors, continuations)
    setaside_2017: bool = False


# ====================================================================================== builder

class Builder:
    def __init__(self, seed: int | None = None):
        self.cal = load_yaml(HERE / "calibration.yaml")
        self.des = load_yaml(HERE / "design.yaml")
        self.named = load_yaml(HERE / "named_operations.yaml")
        params = load_params(PROJECT_ROOT / "params" / "demo.yaml")
        self.params = params
        self.nomen = params.yaml("nomenclature")
        self.mapping = params.yaml("mapping")
        self.actors = ActorMatcher.from_yaml(params.yaml("actors"))
        self.seed = int(seed if seed is not None else self.des["seed"])
        # wave windows and the extract date come from the parameters of the demo run
        self.waves = {str(k): (_as_date(v["start"]), _as_date(v["end"])) for k, v in params["waves"].items()}
        last = max(e for _, e in self.waves.values())
        self.after = (last + timedelta(days=1), _as_date(params["extract_date"]) - timedelta(days=1))
        self.rng = np.random.default_rng(self.seed)
        self.R = random.Random(self.seed)
        self.ops: list[Op] = []
        self.respondents: list[dict] = []
        self.absent_numbers: list[str] = []

    # ------------------------------------------------------------------ helpers
    def pick(self, seq):
        return seq[self.R.randrange(len(seq))]

    def fse_groups(self, wave: str) -> dict[str, dict]:
        """OS -> {n_ops, ue, ct, participants} of all in-scope FSE operations of a wave."""
        tot = self.cal["programme_totals"]["fse"][wave]
        split = self.des["fse_os_split"][wave]
        out: dict[str, dict] = {}
        for axe, osmap in split.items():
            for os_, v in osmap.items():
                out[os_] = dict(v, axe=axe)
        if wave == "2019":
            for os_, v in tot["by_os_axe3"].items():
                out[os_] = dict(v, axe="3")
        for axe, v in tot["by_axe"].items():
            members = [g for g in out.values() if g["axe"] == axe]
            for k in ("n_ops", "participants"):
                if sum(g[k] for g in members) != v[k]:
                    raise GenerationError(f"design split of FSE {wave} axis {axe}: {k} does not add up")
            for k in ("ue", "ct"):
                if sum(cents(g[k]) for g in members) != cents(v[k]):
                    raise GenerationError(f"design split of FSE {wave} axis {axe}: {k} does not add up")
        return out

    def os_info(self, programme: str, os_: str) -> dict:
        return self.nomen[programme]["os"][os_]

    def new_op(self, programme: str, kind: str, wave: str | None, os_: str) -> Op:
        info = self.os_info(programme, os_)
        op = Op(programme=programme, kind=kind, wave=wave, os=os_, axe=str(info["axe"]), pi=str(info.get("pi") or ""))
        self.ops.append(op)
        return op

    # ------------------------------------------------------------------ 1. skeleton
    def skeleton(self) -> None:
        cal, des = self.cal, self.des
        named_fse = {n["id"]: n for n in self.named["fse"]}
        self.by_key: dict[str, Op] = {}
        for wave in ("2019", "2017"):
            groups = self.fse_groups(wave)
            matrix = des["retained_matrix"][wave]
            self._check_matrix(wave, matrix)
            for os_ in self.nomen["fse"]["os_order"]:
                g = groups[os_]
                ops = [self.new_op("fse", "scope", wave, os_) for _ in range(g["n_ops"])]
                free = list(ops)
                for cat in CATS:
                    k = matrix.get(os_, {}).get(cat, 0)
                    cell = [free.pop() for _ in range(k)]
                    for op in cell:
                        op.retained, op.category = True, cat
                    if wave == "2019":
                        wanted = [n for n in named_fse.values() if n["os"] == os_ and n["category"] == cat]
                        if len(wanted) > k:
                            raise GenerationError(f"named operations exceed retained cell {os_} x {cat}")
                        for n, op in zip(wanted, cell):
                            self._apply_named(op, n)
                if wave == "2019":
                    for _ in range(des["setaside_by_os"].get(os_, 0)):
                        op = free.pop()
                        op.setaside, op.route, op.hit = True, "text", "innovation"
        # wave 2019 roles of unnamed retained and set-aside operations
        fse19 = [o for o in self.ops if o.programme == "fse" and o.wave == "2019"]
        un_ret = [o for o in fse19 if o.retained and not o.named]
        for o in un_ret:
            o.route = "text"
        self.R.shuffle(un_ret)

        def take(pool, n, cond):
            got = [o for o in pool if cond(o)][:n]
            if len(got) < n:
                raise GenerationError("not enough operations for a design role")
            for o in got:
                pool.remove(o)
            return got

        pool = list(un_ret)
        # actor-only retained (beneficiary = an ecosystem actor, texts without keywords)
        actor_specs = [("1831", "entrepreneuriat_social", "France Active Picardie", "Picardie"),
                       ("1832", "entrepreneuriat_social", "Alter'Incub Languedoc-Roussillon", "Languedoc-Roussillon"),
                       ("3913", "entrepreneuriat_social", "Ronalpia", "Rhône-Alpes")]
        for os_, cat, name, region in actor_specs[: des["retained_actor_only"]]:
            o = take(pool, 1, lambda x, os_=os_, cat=cat: x.os == os_ and x.category == cat)[0]
            o.route, o.special_name, o.region = "actor", name, region
        # actors also found by their texts
        for os_, cat, name, region in [("3913", "entrepreneuriat_social", "URSCOP Grand Est", "Lorraine"),
                                       ("1832", "entrepreneuriat_social", "Pro Bono Lab", "Ile-de-France"),
                                       ("3913", "ingenierie_outillage_etudes", "CRESS Bretagne", "Bretagne"),
                                       ("3911", "ingenierie_outillage_etudes", "Maison de l'ESS de Poitiers", "Poitou-Charentes")]:
            o = take(pool, 1, lambda x, os_=os_, cat=cat: x.os == os_ and x.category == cat)[0]
            o.special_name, o.region = name, region
        # survey-only retained (axis 3, no keyword, no actor)
        plan = [("3911", "socialement_innovantes"), ("3911", "socialement_innovantes"),
                ("3911", "innovation_sociale_territoriale"), ("3912", "innovation_sociale_territoriale"),
                ("3913", "innovation_sociale_territoriale")][: des["survey_only_unnamed_retained"]]
        self.survey_only_ret = []
        for os_, cat in plan:
            o = take(pool, 1, lambda x, os_=os_, cat=cat: x.os == os_ and x.category == cat)[0]
            o.route, o.survey_tag = "survey", "survey_only_retained"
            self.survey_only_ret.append(o)
        # retained also named in the survey
        self.survey_also_ret = []
        for os_ in ["3911", "3911", "3912", "3913"][: des["survey_also_text"]["retained"]]:
            o = take(pool, 1, lambda x, os_=os_: x.os == os_)[0]
            o.survey_tag = "survey_also_text"
            self.survey_also_ret.append(o)
        # continuations among retained (TZCLD + unnamed)
        self.cont_ops = [o for o in fse19 if o.named and o.named.get("continuation")]
        for os_ in ["3911", "3911", "3911", "3913", "3913", "3912", "1831"][: des["continuations"]["retained"] - len(self.cont_ops)]:
            self.cont_ops.append(take(pool, 1, lambda x, os_=os_: x.os == os_)[0])
        # set-aside candidates: hit families, survey, continuations
        sa = [o for o in fse19 if o.setaside]
        self.R.shuffle(sa)
        sa_pool = list(sa)
        actor_sa = [("1831", "France Active Lorraine", "Lorraine"), ("1831", "France Active Aquitaine", "Aquitaine"),
                    ("3913", "Maison de l'économie sociale et solidaire de Poitiers", "Poitou-Charentes")]
        for os_, name, region in actor_sa[: des["setaside_groups"]["actor"]]:
            o = take(sa_pool, 1, lambda x, os_=os_: x.os == os_)[0]
            o.route, o.hit, o.special_name, o.region = "actor", "actor", name, region
        self.survey_also_sa = take(sa_pool, des["survey_also_text"]["setaside"], lambda x: x.os == "3911")
        for o in self.survey_also_sa:
            o.survey_tag = "survey_also_text"
        for os_ in ["3911", "3911", "3913", "2851"][: des["continuations"]["setaside"]]:
            self.cont_ops.append(take(sa_pool, 1, lambda x, os_=os_: x.os == os_)[0])
        for fam in ("impact", "besoins", "ptce"):
            for o in sa_pool[: des["setaside_groups"][fam]]:
                o.hit = fam
            sa_pool = sa_pool[des["setaside_groups"][fam]:]
        # survey-only set aside (axis 3, ordinary operations)
        ordinary = [o for o in fse19 if not o.retained and not o.setaside]
        self.R.shuffle(ordinary)
        self.survey_only_rej = []
        for os_ in ["3911", "3911", "3911", "3913"][: des["survey_only_rejected"]]:
            o = take(ordinary, 1, lambda x, os_=os_: x.os == os_)[0]
            o.setaside, o.route, o.survey_tag = True, "survey", "survey_only_rejected"
            self.survey_only_rej.append(o)
        # wave 2017: continuation counterparts, survey numbers out of the window, set-aside rows
        fse17 = [o for o in self.ops if o.programme == "fse" and o.wave == "2017"]
        ret17 = [o for o in fse17 if o.retained]
        self.R.shuffle(ret17)
        for o in self.cont_ops:
            cands = [x for x in ret17 if x.os == o.os and x.category == (o.category or x.category)] or \
                    [x for x in ret17 if x.os == o.os]
            c = cands[0]
            ret17.remove(c)
            o.cont_2017 = c
        ord17 = [o for o in fse17 if not o.retained]
        self.R.shuffle(ord17)
        self.oow_ops = take(ord17, des["survey_out_of_window"], lambda x: x.axe == "3")
        for o in self.oow_ops:
            o.survey_tag = "survey_out_of_window"
        for o in ord17[: des["fse_register_setaside_2017"]]:
            o.setaside_2017 = True
        # IEJ
        self._iej_skeleton()
        # excluded operations
        exc = self.cal["excluded"]
        for i in range(exc["fse"]["technical_assistance"]):
            op = self.new_op("fse", "ta", None, "4AT1" if i % 3 else "4AT2")
        weights = {os_: g["n_ops"] for os_, g in self.fse_groups("2019").items()}
        os_list = list(weights)
        counts = alloc.largest_remainder(exc["fse"]["after_window"], [weights[k] for k in os_list])
        for os_, n in zip(os_list, counts):
            for _ in range(int(n)):
                self.new_op("fse", "after", None, os_)
        for i in range(exc["iej"]["technical_assistance"]):
            self.new_op("iej", "ta", None, "4AT1")
        for i in range(exc["iej"]["after_window"]):
            self.new_op("iej", "after", None, "182")

    def _check_matrix(self, wave: str, matrix: dict) -> None:
        ret = self.cal["retained"]["fse"][wave]
        for os_, v in ret["by_os"].items():
            if sum(matrix.get(os_, {}).values()) != v["n_ops"]:
                raise GenerationError(f"retained matrix {wave}: row {os_} != {v['n_ops']}")
        for cat, v in ret["by_category"].items():
            if sum(row.get(cat, 0) for row in matrix.values()) != v["n_ops"]:
                raise GenerationError(f"retained matrix {wave}: column {cat} != {v['n_ops']}")

    def _apply_named(self, op: Op, n: dict) -> None:
        op.named = n
        op.route = n["route"]
        op.region = n["region"]
        op.service = n["service"]
        op.place = n.get("place", "")
        if n.get("ct") is not None:
            op.ct, op.ct_fixed = eur_cents(n["ct"]), True
        if n.get("ue") is not None:
            op.ue, op.ue_fixed = eur_cents(n["ue"]), True
        p = n.get("participants")
        if p is False:
            op.has_participants = False
        elif p is True:
            op.has_participants = True
        elif isinstance(p, int):
            op.has_participants, op.fixed_participants = True, p
        op.emblematique = bool(n.get("emblematique"))
        op.caractere_innovant = " ".join(str(n.get("caractere_innovant") or "").split())
        if n.get("continuation"):
            op.cont_name = n["continuation"]
        if n["route"] == "survey":
            op.survey_tag = "survey_only_retained"

    def _iej_skeleton(self) -> None:
        d = self.des["iej"]
        named = self.named["iej"]
        for wave in ("2019", "2017"):
            tot = self.cal["programme_totals"]["iej"][wave]
            ops = []
            if wave == "2019":
                for n in named:
                    op = self.new_op("iej", "scope", wave, n["os"])
                    self._apply_named(op, n)
                    op.retained, op.category = True, n["category"]
                    op.lot5 = n["route"] == "lot5"
                    ops.append(op)
            while len(ops) < tot["n_ops"]:
                ops.append(self.new_op("iej", "scope", wave, "182"))
            free = [o for o in ops if not o.named]
            self.R.shuffle(free)
            if wave == "2019":
                for o in free[: d["retained_2019_unnamed_text"]]:
                    o.retained, o.category, o.route = True, "innovation_sociale_territoriale", "text"
                free = free[d["retained_2019_unnamed_text"]:]
                for o in free[: d["setaside_2019"]]:
                    o.setaside, o.route, o.hit = True, "text", "innovation"
            else:
                n_ret = self.cal["retained"]["iej"]["2017"]["n_ops"]
                cats = (["socialement_innovantes"] * 6 + ["entrepreneuriat_social"] * 3
                        + ["innovation_sociale_territoriale"] * 2)
                for o, cat in zip(free[:n_ret], cats):
                    o.retained, o.category = True, cat
                for o in free[: d["lot5_2017_retained"]]:
                    o.lot5 = True
                rest = free[n_ret:]
                for o in rest[: d["lot5_2017_other"]]:
                    o.lot5 = True
                rest = rest[d["lot5_2017_other"]:]
                for o in rest[: d["register_setaside_2017"]]:
                    o.setaside_2017 = True

    # ------------------------------------------------------------------ 2. survey respondents
    def survey_respondents(self) -> None:
        specs = []   # (type, name, region, link key)
        agd_regions = ["Bretagne", "Nord-Pas-de-Calais", "Picardie", "Lorraine", "Alsace", "Aquitaine", "Auvergne",
                       "Bourgogne", "Centre", "Champagne-Ardenne", "Franche-Comté", "Haute-Normandie",
                       "Languedoc-Roussillon", "Limousin", "Midi-Pyrénées"]
        for r in agd_regions:
            specs.append(("AGD", geo.REGIONS[r]["agd"], r))
        self.cd_service: dict[tuple[str, str], str] = {}
        cd_named = [("Centre", "Indre-et-Loire", "Conseil départemental d'Indre-et-Loire"),
                    ("Aquitaine", "Landes", "Conseil départemental des Landes"),
                    ("Auvergne", "Haute-Loire", "Conseil départemental de la Haute-Loire"),
                    ("Franche-Comté", "Doubs", "Département du Doubs - DASLI-SAD-FSE"),
                    ("Picardie", "Oise", "Conseil départemental de l'Oise"),
                    ("Picardie", "Somme", "Conseil départemental de la Somme"),
                    ("Haute-Normandie", "Seine-Maritime", "Conseil départemental de la Seine-Maritime"),
                    ("Nord-Pas-de-Calais", "Nord", "Conseil départemental du Nord"),
                    ("Rhône-Alpes", "Ain", "Département de l'Ain - Direction Europe et transfrontalier"),
                    ("Bretagne", "Ille-et-Vilaine", "Département d'Ille-et-Vilaine - Services Gestion FSE"),
                    ("Provence-Alpes-Côte d'Azur", "Var", "CD83 - Service Suivi de projets - AAP OI FSE"),
                    ("Auvergne", "Puy-de-Dôme", "Conseil départemental du Puy De Dôme - Cellule FSE"),
                    ("Limousin", "Creuse", "Conseil départemental de la Creuse"),
                    ("Aquitaine", "Lot-et-Garonne", "Conseil départemental du Lot-et-Garonne"),
                    ("Franche-Comté", "Jura", "Conseil départemental du Jura")]
        for region, dept, name in cd_named:
            self.cd_service[(region, dept)] = name
        k = 0
        for region, info in geo.REGIONS.items():
            for dept, prep in info["depts"]:
                if (region, dept) not in self.cd_service:
                    style = geo.CD_SERVICE_STYLES[k % len(geo.CD_SERVICE_STYLES)]
                    self.cd_service[(region, dept)] = style.format(de=prep)
                    k += 1
        cd_more = [("Nord-Pas-de-Calais", "Pas-de-Calais"), ("Aquitaine", "Gironde"), ("Pays de la Loire", "Loire-Atlantique"),
                   ("Rhône-Alpes", "Isère"), ("Languedoc-Roussillon", "Hérault"), ("Midi-Pyrénées", "Haute-Garonne"),
                   ("Lorraine", "Moselle"), ("Lorraine", "Meurthe-et-Moselle"), ("Picardie", "Aisne"),
                   ("Champagne-Ardenne", "Marne"), ("Alsace", "Bas-Rhin"), ("Bretagne", "Finistère"),
                   ("Ile-de-France", "Seine-Saint-Denis"), ("Provence-Alpes-Côte d'Azur", "Bouches-du-Rhône"),
                   ("Basse-Normandie", "Calvados")]
        for region, dept, name in cd_named:
            specs.append(("OI CD", name, region))
        for region, dept in cd_more:
            specs.append(("OI CD", self.cd_service[(region, dept)], region))
        pivots = [("Lorraine", "AGIL - Association pour la gestion inter-PLIE Lorraine"),
                  ("Pays de la Loire", "AGPLIE Anjou-Mayenne-Sarthe"),
                  ("Ile-de-France", "Association de gestion des fonds européens de l'Essonne"),
                  ("Nord-Pas-de-Calais", "OI du Hainaut")]
        for region, dept in [("Aquitaine", "de la Gironde"), ("Rhône-Alpes", "du Rhône"), ("Rhône-Alpes", "de l'Isère"),
                             ("Languedoc-Roussillon", "de l'Hérault"), ("Haute-Normandie", "de l'Eure"),
                             ("Lorraine", "de la Moselle"), ("Centre", "du Loiret"), ("Nord-Pas-de-Calais", "du Pas-de-Calais")]:
            pivots.append((region, f"Association inter-PLIE {dept}"))
        self.plie_services: dict[str, list[str]] = {r: [] for r in geo.REGIONS}
        for region, name in pivots:
            specs.append(("OI PLIE pivot", name, region))
            self.plie_services[region].append(name)
        plie_towns = [("Nord-Pas-de-Calais", "Roubaix"), ("Nord-Pas-de-Calais", "Lens"), ("Nord-Pas-de-Calais", "Dunkerque"),
                      ("Picardie", "Amiens"), ("Picardie", "Creil"), ("Ile-de-France", "Montreuil"),
                      ("Ile-de-France", "Argenteuil"), ("Rhône-Alpes", "Grenoble"), ("Rhône-Alpes", "Saint-Étienne"),
                      ("Provence-Alpes-Côte d'Azur", "Marseille"), ("Provence-Alpes-Côte d'Azur", "Toulon"),
                      ("Aquitaine", "Bordeaux"), ("Midi-Pyrénées", "Toulouse"), ("Bretagne", "Rennes"),
                      ("Pays de la Loire", "Nantes"), ("Alsace", "Mulhouse"), ("Lorraine", "Nancy"),
                      ("Languedoc-Roussillon", "Nîmes"), ("Centre", "Tours"), ("Bourgogne", "Dijon"),
                      ("Champagne-Ardenne", "Reims"), ("Haute-Normandie", "Rouen"), ("Poitou-Charentes", "Poitiers"),
                      ("Basse-Normandie", "Caen"), ("Franche-Comté", "Besançon")]
        for region, town in plie_towns:
            name = f"PLIE {geo.de_town(town)}"
            specs.append(("OI PLIE", name, region))
            self.plie_services[region].append(name)
        for region, info in geo.REGIONS.items():
            for town in info["towns"][:3]:
                name = f"PLIE {geo.de_town(town)}"
                if name not in self.plie_services[region]:
                    self.plie_services[region].append(name)
        others = [("Nord-Pas-de-Calais", "Métropole européenne de Lille"), ("Rhône-Alpes", "Métropole de Lyon"),
                  ("Alsace", "Eurométropole de Strasbourg"), ("Ile-de-France", "Ville de Paris"),
                  ("Provence-Alpes-Côte d'Azur", "Métropole Aix-Marseille-Provence"), (geo.NATIONAL, "AVISE (organisme intermédiaire)"),
                  ("Picardie", "Communauté d'agglomération du Beauvaisis"), ("Lorraine", "Communauté d'agglomération d'Épinal"),
                  ("Bretagne", "Brest métropole"), ("Languedoc-Roussillon", "Montpellier Méditerranée Métropole"),
                  ("Centre", "Orléans Métropole"), ("Aquitaine", "Communauté d'agglomération Pau Béarn Pyrénées")]
        self.other_oi: dict[str, list[str]] = {}
        for region, name in others:
            specs.append(("Autre OI", name, region))
            self.other_oi.setdefault(region, []).append(name)
        by_type = self.cal["survey"]["by_type"]
        if len(specs) != self.cal["survey"]["respondents"]:
            raise GenerationError(f"survey: {len(specs)} respondents, expected {self.cal['survey']['respondents']}")
        self.respondents = [{"id": i + 1, "type": t, "name": n, "region": r, "answer": None, "numbers": [],
                             "named_text": "", "observation": ""} for i, (t, n, r) in enumerate(specs)]
        # which respondents name operations (they answer "oui")
        def resp(name):
            return next(x for x in self.respondents if x["name"] == name)
        naming = {
            "DIRECCTE - Bretagne - Service Europe": ["sato", "rej"],
            "Conseil départemental d'Indre-et-Loire": ["mobilite37", "ret"],
            "Conseil départemental des Landes": ["landes_ressourcerie", "also_sa", "oow"],
            "Conseil départemental de la Haute-Loire": ["regie_puy", "nf"],
            "Département du Doubs - DASLI-SAD-FSE": ["abape", "oow"],
            "AGIL - Association pour la gestion inter-PLIE Lorraine": ["ret", "ret", "also_ret"],
            "Conseil départemental de la Somme": ["ret", "also_ret", "nf"],
            "PLIE de Roubaix": ["ret", "rej"],
            "Conseil départemental du Nord": ["also_ret", "oow", "rej"],
            "Association de gestion des fonds européens de l'Essonne": ["also_ret", "also_sa", "nf"],
            "Conseil départemental du Puy De Dôme - Cellule FSE": ["rej", "oow"],
        }
        queues = {"ret": list(self.survey_only_ret), "rej": list(self.survey_only_rej),
                  "also_ret": list(self.survey_also_ret), "also_sa": list(self.survey_also_sa),
                  "oow": list(self.oow_ops)}
        named_ops = {o.named["id"]: o for o in self.ops if o.named and o.programme == "fse"}
        self.survey_links: list[tuple[dict, object]] = []
        for name, items in naming.items():
            r = resp(name)
            r["answer"] = "oui"
            for it in items:
                if it == "nf":
                    r["numbers"].append("NOT_FOUND")
                    continue
                op = named_ops[it] if it in named_ops else queues[it].pop(0)
                if not op.named:
                    op.region = r["region"]
                    op.service = r["name"]
                r["numbers"].append(op)
        if any(queues.values()):
            raise GenerationError("survey plan does not use every survey-linked operation")
        # answers per type
        for t, counts in by_type.items():
            members = [r for r in self.respondents if r["type"] == t]
            fixed_oui = sum(1 for r in members if r["answer"] == "oui")
            rest = [r for r in members if r["answer"] is None]
            answers = ["oui"] * (counts["oui"] - fixed_oui) + ["non"] * counts["non"] + ["nsp"] * counts["nsp"]
            if len(answers) != len(rest):
                raise GenerationError(f"survey: answers of {t} do not add up")
            self.R.shuffle(answers)
            for r, a in zip(rest, answers):
                r["answer"] = a
        # prose for some other "oui" respondents, observations
        prose_targets = [r for r in self.respondents if r["answer"] == "oui" and not r["numbers"]]
        self.R.shuffle(prose_targets)
        for r, text in zip(prose_targets[:8], texts.SURVEY_PROSE + texts.SURVEY_PROSE):
            r["named_text"] = text
        order = list(self.respondents)
        self.R.shuffle(order)
        # observations: a mix of types, at least a few from each
        obs_resp = sorted(order[: self.cal["survey"]["with_observations"]], key=lambda r: r["id"])
        obs = list(range(len(texts.OBSERVATIONS)))
        self.R.shuffle(obs)
        for r, i in zip(obs_resp, obs):
            r["observation"] = texts.OBSERVATIONS[i]
            r["obs_index"] = i
        odd = {"oui": [" Oui", "OUI", "oui "], "non": ["NON", "Non"], "nsp": ["Ne se prononce pas", "NE SE PRONONCE PAS "]}
        self.odd_answers = 0
        for r in order[25:31]:
            r["answer_text"] = self.pick(odd[r["answer"]])
            self.odd_answers += 1
        for r in self.respondents:
            r.setdefault("answer_text", {"oui": "oui", "non": "non", "nsp": "ne se prononce pas"}[r["answer"]])

    # ------------------------------------------------------------------ 3. regions, services, places
    def regions(self) -> None:
        R = self.R
        # unnamed retained FSE 2019 still without region: boost regions first, then capped spread
        fse19 = [o for o in self.ops if o.programme == "fse" and o.wave == "2019"]
        # all non-retained FSE operations get quota-based regions
        groups: dict[tuple, list[Op]] = {}
        for o in self.ops:
            if o.programme == "fse" and not o.region and not (o.retained and o.wave == "2019"):
                groups.setdefault((o.kind, o.wave, o.os), []).append(o)
        weights = geo.REGION_WEIGHTS
        regions = list(weights)
        nat = self.des["national_share"]
        for key, ops in groups.items():
            os_ = key[2]
            share = nat.get(os_, 0.1 if os_.startswith("4") else 0.05)
            n_nat = int(round(share * len(ops)))
            counts = alloc.largest_remainder(len(ops) - n_nat, [weights[r] for r in regions])
            labels = [geo.NATIONAL] * n_nat + [r for r, c in zip(regions, counts) for _ in range(int(c))]
            R.shuffle(labels)
            for o, lab in zip(ops, labels):
                o.region = lab
        # retained wave 2019 without region
        todo = [o for o in fse19 if o.retained and not o.region]
        boost = dict(self.des["retained_region_boost"])
        for reg in boost:
            have = sum(1 for o in fse19 if o.retained and not o.named and o.region == reg)
            need = boost[reg] - have
            cands = [o for o in todo if o.axe == "3"] + [o for o in todo if o.axe != "3"]
            for o in cands[: max(0, need)]:
                o.region = reg
                todo.remove(o)
        all_counts: dict[str, int] = {}
        for o in fse19:
            if o.region:
                all_counts[o.region] = all_counts.get(o.region, 0) + 1
        total = len(fse19)
        n_ret = self.cal["retained"]["fse"]["2019"]["by_os"]
        n_ret = sum(v["n_ops"] for v in n_ret.values())
        ret_counts: dict[str, int] = {}
        for o in fse19:
            if o.retained and o.region:
                ret_counts[o.region] = ret_counts.get(o.region, 0) + 1

        def ratio(reg, extra=0):
            return ((ret_counts.get(reg, 0) + extra) / n_ret) / (all_counts.get(reg, 1) / total)

        top = min(ratio(r) for r in self.cal["regions_well_represented"])
        limit = 0.8 * top
        cands = [r for r in regions if r not in boost] + [geo.NATIONAL]
        for o in todo:
            allowed = [r for r in cands if (o.axe != "3" or r != geo.NATIONAL) and ratio(r, 1) < limit]
            if not allowed:
                raise GenerationError("cannot place retained operations without out-ranking the regions of the note")
            best = min(allowed, key=lambda r: (ratio(r, 1), r))
            o.region = best
            ret_counts[best] = ret_counts.get(best, 0) + 1
            all_counts[best] = all_counts.get(best, 0) + 1
        # IEJ regions
        iej = [o for o in self.ops if o.programme == "iej" and not o.region]
        iw = geo.IEJ_REGION_WEIGHTS
        ir = list(iw)
        counts = alloc.largest_remainder(len(iej), [iw[r] for r in ir])
        labels = [r for r, c in zip(ir, counts) for _ in range(int(c))]
        R.shuffle(labels)
        for o, lab in zip(iej, labels):
            o.region = lab
        # region spelling variants (ingest normalises them): a few ordinary operations
        self.region_variants = 0
        ordinary = [o for o in self.ops if o.kind == "scope" and not o.named and not o.retained
                    and not o.setaside and not o.survey_tag and o.region in geo.REGIONS]
        R.shuffle(ordinary)
        for o in ordinary[: self.des["texture"]["region_variants"]]:
            o.region_raw = self.pick([o.region.upper(), " " + o.region, o.region.lower(),
                                      o.region.replace("é", "e").replace("ô", "o")])
            if o.region_raw != o.region:
                self.region_variants += 1

    def services(self) -> None:
        for o in self.ops:
            if not o.service:
                o.service = self._service(o)
            if not o.place:
                o.place = self._place(o)

    def _service(self, o: Op) -> str:
        R = self.R
        if o.region == geo.NATIONAL:
            if o.kind == "ta":
                return "DGEFP - Sous-direction du FSE"
            return self.pick(geo.NATIONAL_SERVICES[:4])
        info = geo.region_info(o.region)
        if o.programme == "iej":
            if o.region in geo.OVERSEAS:
                return info["agd"]
            return info["agd"] if R.random() < 0.9 else self._cd(o.region)
        if o.kind == "ta":
            return info["agd"]
        u = R.random()
        if o.axe in ("1", "2"):
            if u < 0.88:
                return info["agd"]
            if u < 0.94 and self.plie_services.get(o.region):
                return self.pick(self.plie_services[o.region])
            if self.other_oi.get(o.region):
                return self.pick(self.other_oi[o.region])
            return info["agd"]
        if u < 0.55:
            return self._cd(o.region)
        if u < 0.83 and self.plie_services.get(o.region):
            return self.pick(self.plie_services[o.region])
        if u < 0.95 or not self.other_oi.get(o.region):
            return info["agd"]
        return self.pick(self.other_oi[o.region])

    def _cd(self, region: str) -> str:
        depts = geo.region_info(region)["depts"]
        dept = self.pick(depts)[0]
        return self.cd_service.get((region, dept)) or f"Conseil départemental {self.pick(depts)[1]}"

    def _place(self, o: Op) -> str:
        if o.region == geo.NATIONAL:
            return self.pick(["National", "France entière", "National"])
        if o.programme == "iej" and o.region in geo.IEJ_DEPT_ONLY:
            return self.pick({"Ile-de-France": ["Saint-Denis", "Montreuil", "Aubervilliers", "Bobigny"],
                              "Provence-Alpes-Côte d'Azur": ["Marseille", "Aix-en-Provence", "Arles"],
                              "Midi-Pyrénées": ["Toulouse", "Colomiers", "Muret"]}[o.region])
        return self.pick(geo.region_info(o.region)["towns"])

    # ------------------------------------------------------------------ 4. dates and numbers
    def dates_and_ids(self) -> None:
        R = self.R

        def rand_day(a: date, b: date) -> date:
            while True:
                d = a + timedelta(days=R.randrange((b - a).days + 1))
                if d.weekday() < 5:
                    return d

        for o in self.ops:
            n = o.named or {}
            if n.get("programming_date"):
                o.prog_date = date.fromisoformat(str(n["programming_date"]))
            elif o.kind == "after":
                o.prog_date = rand_day(*self.after)
            elif o.kind == "ta":
                o.prog_date = rand_day(date(2015, 1, 5), date(2018, 12, 20))
                o.wave = next(k for k, (a, b) in self.waves.items() if a <= o.prog_date <= b)
            else:
                a, b = self.waves[o.wave]
                if o.wave == "2017":
                    a = date(2014, 9, 1) if o.programme == "fse" else date(2014, 5, 1)
                o.prog_date = rand_day(a, b)
            if n.get("start_date"):
                o.start_date = date.fromisoformat(str(n["start_date"]))
                o.end_date = date.fromisoformat(str(n["end_date"]))
            else:
                p = o.prog_date
                u = R.random()
                if u < 0.45:
                    start = date(p.year if p.month < 10 else p.year + 1, 1, 1)
                elif u < 0.8:
                    start = p - timedelta(days=R.randrange(0, 200))
                else:
                    start = p + timedelta(days=R.randrange(0, 75))
                start = max(start, date(2014, 1, 1))
                months = self.pick([12, 12, 12, 12, 18, 24, 24, 24, 36])
                y, m = divmod(start.month - 1 + months, 12)
                end = date(start.year + y, m + 1, 1) - timedelta(days=1)
                if start.day != 1:
                    end = end + timedelta(days=min(start.day - 1, 27))
                o.start_date, o.end_date = start, end
        # operation numbers: YYYY (deposit year <= programming year) + 5-digit sequence
        by_year: dict[int, list[Op]] = {}
        for o in self.ops:
            p = o.prog_date
            back = R.random()
            year = p.year if (back < 0.5 or p.year == 2014 or (p.month >= 6 and back < 0.8)) else p.year - 1
            by_year.setdefault(year, []).append(o)
        used: set[str] = set()
        for year in sorted(by_year):
            ops = sorted(by_year[year], key=lambda x: (x.prog_date, x.programme))
            sample = self.rng.choice(np.arange(1, 99999), size=len(ops) + 3, replace=False).tolist()
            extra = sample[:3]
            seqs = sorted(sample[3:])
            for o, s in zip(ops, seqs):
                o.op_id = f"{year}{s:05d}"
                used.add(o.op_id)
            if year in (2017, 2018):
                for s in extra:
                    self.absent_numbers.append(f"{year}{s:05d}")
        self.absent_numbers = [x for x in self.absent_numbers if x not in used]
        R.shuffle(self.absent_numbers)
        if len({o.op_id for o in self.ops}) != len(self.ops):
            raise GenerationError("duplicate operation numbers")

    # ------------------------------------------------------------------ 5. amounts
    def amounts(self) -> None:
        rng = self.rng
        cal = self.cal
        for wave in ("2019", "2017"):
            self._retained_ct_fse(wave)
            self._retained_ue_fse(wave)
        for wave in ("2019", "2017"):
            ret = [o for o in self.ops if o.programme == "iej" and o.wave == wave and o.kind == "scope" and o.retained]
            tgt = cal["retained"]["iej"][wave]
            self._split_ct(ret, cents(tgt["ct"]), sigma=0.5, minimum=15_000_00)
            self._split_ue(ret, cents(tgt["ue"]), base=0.91, sd=0.025, hi=0.97)
        # non-retained operations, per group
        for wave in ("2019", "2017"):
            groups = self.fse_groups(wave)
            for os_, g in groups.items():
                ops = [o for o in self.ops if o.programme == "fse" and o.kind == "scope" and o.wave == wave and o.os == os_]
                ret = [o for o in ops if o.retained]
                rest = [o for o in ops if not o.retained]
                ct_left = cents(g["ct"]) - sum(o.ct for o in ret)
                ue_left = cents(g["ue"]) - sum(o.ue for o in ret)
                sigma = 1.15 if g["axe"] == "2" else 0.95
                self._split_ct(rest, ct_left, sigma=sigma, minimum=3_000_00)
                base = np.array([0.5 if o.region == geo.NATIONAL else geo.REGIONS[o.region]["rate"] for o in rest])
                self._split_ue(rest, ue_left, base=base, sd=0.06, hi=0.85)
            tot = cal["programme_totals"]["iej"][wave]
            ops = [o for o in self.ops if o.programme == "iej" and o.kind == "scope" and o.wave == wave]
            rest = [o for o in ops if not o.retained]
            self._split_ct(rest, cents(tot["ct"]) - sum(o.ct for o in ops if o.retained), sigma=0.9, minimum=8_000_00)
            self._split_ue(rest, cents(tot["ue"]) - sum(o.ue for o in ops if o.retained), base=0.91, sd=0.025, hi=0.97)
        # excluded operations: plausible amounts, no target
        for o in self.ops:
            if o.kind in ("ta", "after"):
                o.ct = int(round(float(rng.lognormal(math.log(180_000), 0.8)) * 100))
                rate = 0.91 if o.programme == "iej" else float(np.clip(rng.normal(0.5, 0.05), 0.35, 0.6))
                o.ue = int(o.ct * rate)

    def _split_ct(self, ops: list[Op], total: int, sigma: float, minimum: int) -> None:
        free = [o for o in ops if not o.ct_fixed]
        left = total - sum(o.ct for o in ops if o.ct_fixed)
        if not free:
            if left:
                raise GenerationError("fixed amounts do not add up to the target")
            return
        w = self.rng.lognormal(0.0, sigma, len(free))
        w *= np.array([3.0 if o.region == geo.NATIONAL else 1.0 for o in free])
        cap = min(12_000_000_00 / max(left, 1), 10.0 / len(free))
        w = alloc.cap_weights(w, cap)
        capped = w >= cap * 0.999
        w[capped] *= self.rng.uniform(0.6, 1.0, int(capped.sum()))
        parts = alloc.largest_remainder(left, w, minimum)
        for o, c in zip(free, parts):
            o.ct = int(c)

    def _split_ue(self, ops: list[Op], total: int, base, sd: float, hi: float) -> None:
        free = [o for o in ops if not o.ue_fixed]
        left = total - sum(o.ue for o in ops if o.ue_fixed)
        if not free:
            if left:
                raise GenerationError("fixed EU amounts do not add up to the target")
            return
        base = np.broadcast_to(np.asarray(base, dtype="float64"), (len(ops),))
        base = np.array([b for o, b in zip(ops, base) if not o.ue_fixed])
        ct = np.array([o.ct for o in free], dtype="float64")
        rate = np.clip(base + self.rng.normal(0, sd, len(free)), 0.2, hi)
        for _ in range(50):
            s = left / float((ct * rate).sum())
            rate = np.clip(rate * s, 0.05, hi)
            if abs(float((ct * rate).sum()) - left) < 1:
                break
        raw = ct * rate
        parts = np.floor(raw).astype("int64")
        rem = int(left - parts.sum())
        order = np.argsort(-(raw - parts), kind="stable")
        i = 0
        while rem > 0:
            j = order[i % len(order)]
            if parts[j] < ct[j]:
                parts[j] += 1
                rem -= 1
            i += 1
        while rem < 0:
            j = order[i % len(order)]
            if parts[j] > 0:
                parts[j] -= 1
                rem += 1
            i += 1
        if (parts > ct).any() or (parts <= 0).any():
            raise GenerationError("EU amount out of (0, total cost]")
        for o, c in zip(free, parts):
            o.ue = int(c)

    def _retained_ct_fse(self, wave: str) -> None:
        ret = self.cal["retained"]["fse"][wave]
        rows = list(ret["by_os"])
        cols = CATS
        ops = [o for o in self.ops if o.programme == "fse" and o.wave == wave and o.kind == "scope" and o.retained]
        fixed = np.zeros((len(rows), len(cols)), dtype="int64")
        nfree = np.zeros((len(rows), len(cols)))
        for o in ops:
            i, j = rows.index(o.os), cols.index(o.category)
            if o.ct_fixed:
                fixed[i, j] += o.ct
            else:
                nfree[i, j] += 1
        rt = np.array([cents(ret["by_os"][r]["ct"]) for r in rows]) - fixed.sum(axis=1)
        ctg = np.array([cents(ret["by_category"][c]["ct"]) for c in cols]) - fixed.sum(axis=0)
        size = {"socialement_innovantes": 1.0, "entrepreneuriat_social": 1.1, "innovation_sociale_territoriale": 0.8,
                "ingenierie_outillage_etudes": 1.2, "evaluation_impact_social": 1.0}
        avg = np.divide(rt, nfree.sum(axis=1), out=np.zeros(len(rows)), where=nfree.sum(axis=1) > 0)
        seed = nfree * avg[:, None] * np.array([size[c] for c in cols])[None, :]
        x = alloc.ipf(seed, rt.astype("float64"), ctg.astype("float64"))
        cell = alloc.integer_matrix(x, rt, ctg)
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                free = [o for o in ops if o.os == r and o.category == c and not o.ct_fixed]
                if not free:
                    if cell[i, j]:
                        raise GenerationError(f"retained {wave}: amount without operation in {r} x {c}")
                    continue
                w = self.rng.lognormal(0, 0.45, len(free))
                parts = alloc.largest_remainder(int(cell[i, j]), w, 12_000_00 if int(cell[i, j]) >= 12_000_00 * len(free) else 0)
                for o, v in zip(free, parts):
                    o.ct = int(v)
                if min(parts) < 12_000_00:
                    raise GenerationError(f"retained {wave}: operation below 12 k€ in {r} x {c}")

    def _retained_ue_fse(self, wave: str) -> None:
        ret = self.cal["retained"]["fse"][wave]
        ops = [o for o in self.ops if o.programme == "fse" and o.wave == wave and o.kind == "scope" and o.retained]
        groups = []
        for axe, v in ret["by_axe"].items():
            groups.append(([o for o in ops if o.axe == axe], v["ue"]))
        if wave == "2019":
            for os_ in ("3911", "3912", "3913"):
                groups.append(([o for o in ops if o.os == os_], ret["by_os"][os_]["ue"]))
        if sum(len(g) for g, _ in groups) != len(ops):
            raise GenerationError(f"retained UE groups of {wave} do not cover every operation")
        for members, ue in groups:
            base = np.array([0.6 if o.region in geo.REGIONS and geo.REGIONS[o.region]["rate"] > 0.55 else 0.5
                             for o in members])
            self._split_ue(members, cents(ue), base=base, sd=0.05, hi=0.75)

    # ------------------------------------------------------------------ 6. participants
    def participants(self) -> None:
        rng = self.rng
        ret_cal = self.cal["retained"]["fse"]
        # retained 2019: per axis 1, 2 and per OS of axis 3
        plans = []
        r19 = [o for o in self.ops if o.programme == "fse" and o.wave == "2019" and o.retained]
        for axe in ("1", "2"):
            v = ret_cal["2019"]["by_axe"][axe]
            plans.append(([o for o in r19 if o.axe == axe], v["participants"], v["ops_with_participants"]))
        for os_ in ("3911", "3912", "3913"):
            v = ret_cal["2019"]["by_os"][os_]
            plans.append(([o for o in r19 if o.os == os_], v["participants"], v["ops_with_participants"]))
        r17 = [o for o in self.ops if o.programme == "fse" and o.wave == "2017" and o.retained]
        for axe, v in ret_cal["2017"]["by_axe"].items():
            k = self.des["retained_with_participants_2017"].get(axe, 0)
            plans.append(([o for o in r17 if o.axe == axe], v["participants"], k))
        for members, total, k in plans:
            yes = [o for o in members if o.has_participants]
            maybe = [o for o in members if o.has_participants is None]
            maybe.sort(key=lambda o: (o.route == "actor", -o.ct))
            chosen = yes + maybe[: max(0, k - len(yes))]
            if len(chosen) != k:
                raise GenerationError("cannot choose the retained operations with participants")
            fixed = sum(o.fixed_participants or 0 for o in chosen)
            free = [o for o in chosen if o.fixed_participants is None]
            for o in chosen:
                if o.fixed_participants is not None:
                    o.participants = o.fixed_participants
            if free:
                w = np.array([o.ct for o in free], dtype="float64") ** 0.6
                parts = alloc.largest_remainder(total - fixed, w, 4)
                for o, p in zip(free, parts):
                    o.participants = int(p)
            elif total != fixed:
                raise GenerationError("fixed participants do not add up")
        # non-retained
        for wave in ("2019", "2017"):
            for os_, g in self.fse_groups(wave).items():
                ops = [o for o in self.ops if o.programme == "fse" and o.kind == "scope" and o.wave == wave
                       and o.os == os_]
                rest = [o for o in ops if not o.retained]
                left = g["participants"] - sum(o.participants for o in ops if o.retained)
                share = self.des["with_participants"][os_]
                k = max(1, int(round(share * len(rest))))
                score = np.array([o.ct for o in rest], dtype="float64") * rng.uniform(0.3, 1.0, len(rest))
                idx = np.argsort(-score, kind="stable")[:k]
                w = np.array([rest[i].ct for i in idx], dtype="float64") ** 0.8 * rng.lognormal(0, 0.35, k)
                parts = alloc.largest_remainder(left, w, 1)
                for i, p in zip(idx, parts):
                    rest[int(i)].participants = int(p)
        # planned participants and number of actions
        for o in self.ops:
            n = o.named or {}
            if "planned" in n:
                o.planned = n["planned"]
            elif o.participants:
                o.planned = int(round(o.participants * self.R.uniform(0.85, 1.35)))
            elif o.programme == "iej" and o.kind == "scope":
                o.planned = self.pick([None, 20, 30, 40, 60, 80, 120, 150])
            else:
                o.planned = self.pick([None, None, 0, 0, 0])
            if "n_actions" in n:
                o.n_actions = n["n_actions"]
            else:
                o.n_actions = self.pick([1, 1, 1, 1, 1, 2, 2, 3, 4, None])

    # ------------------------------------------------------------------ 7. names and texts
    def names(self) -> None:
        R = self.R
        fam_by_os = {
            "3911": {"aci": 30, "asso": 25, "ccas": 6, "cd": 3, "plie": 6, "ei": 10, "cs": 6, "epci": 3, "commune": 3, "ml": 5, "mde": 3},
            "3912": {"geiq": 15, "mde": 20, "plie": 20, "asso": 20, "ei": 10, "epci": 10, "reseau": 5},
            "3913": {"plie": 35, "cd": 10, "mde": 15, "reseau": 15, "asso": 15, "epci": 10},
            "1811": {"ml": 25, "mde": 15, "asso": 30, "egal": 5, "form": 10, "ccas": 5, "spe": 5, "epci": 5},
            "1831": {"crea": 70, "consul": 15, "asso": 10, "epci": 5},
            "1832": {"crea": 60, "consul": 25, "reseau": 15},
            "1871": {"mde": 35, "ml": 25, "spe": 20, "asso": 10, "form": 10},
            "11011": {"school": 60, "asso": 30, "ml": 10},
            "2851": {"aract": 15, "opca": 20, "consul": 20, "mde": 20, "asso": 15, "ent": 10},
            "2852": {"egal": 45, "asso": 30, "aract": 10, "ent": 15},
            "2853": {"opca": 40, "form": 30, "ent": 20, "consul": 10},
            "2861": {"aract": 35, "opca": 25, "ent": 40},
            "182": {"ml": 45, "e2c": 15, "asso": 15, "form": 10, "epide": 5, "school": 5, "rsma": 5},
            "2851i": {"asso": 50, "form": 50},
            "4AT1": {"etat": 70, "cd": 15, "plie": 15}, "4AT2": {"etat": 100},
        }
        cat_fam = {"entrepreneuriat_social": {"crea": 60, "asso": 25, "reseau": 15},
                   "innovation_sociale_territoriale": {"plie": 25, "mde": 20, "epci": 20, "asso": 25, "reseau": 10},
                   "ingenierie_outillage_etudes": {"cd": 35, "epci": 30, "reseau": 35}}
        for o in self.ops:
            if o.named:
                o.title = o.named["title"]
                o.beneficiary = o.named["beneficiary"]
                o.legal_form = o.named.get("legal_form", "")
                o.beneficiary_type = o.named.get("beneficiary_type", "")
                continue
            key = o.os if not (o.programme == "iej" and o.os == "2851") else "2851i"
            fams = fam_by_os[key]
            if o.retained and o.category in cat_fam:
                fams = cat_fam[o.category]
            if o.programme == "iej":
                fams = dict(fams)
                if o.region in geo.OVERSEAS:
                    fams.pop("epide", None)
                else:
                    fams.pop("rsma", None)
            fam = self._weighted(fams)
            name, legal, btype = self._beneficiary(fam, o)
            if o.special_name:
                name = o.special_name
                legal, btype = "Association", "Têtes de réseau"
            o.beneficiary, o.legal_form, o.beneficiary_type = name, legal, btype
        self._continuation_names()
        self._guard_names()

    def _weighted(self, weights: dict) -> str:
        keys = list(weights)
        tot = sum(weights.values())
        u = self.R.random() * tot
        for k in keys:
            u -= weights[k]
            if u < 0:
                return k
        return keys[-1]

    def _slots(self, o: Op) -> dict:
        """Place and name fillers of an operation, drawn once so that its texts agree."""
        if not hasattr(self, "_slot_cache"):
            self._slot_cache: dict[int, dict] = {}
        if id(o) not in self._slot_cache:
            self._slot_cache[id(o)] = self._draw_slots(o)
        return self._slot_cache[id(o)]

    def _draw_slots(self, o: Op) -> dict:
        if o.region == geo.NATIONAL:
            town, region = self.pick(["Paris", "Lyon", "Lille", "Nantes"]), "France"
            dept, prep = "Paris", "de Paris"
        else:
            info = geo.region_info(o.region)
            town = o.place if o.place and o.place in info["towns"] else self.pick(info["towns"])
            dept, prep = self.pick(info["depts"])
            region = o.region
        return {"town": town, "de_town": geo.de_town(town), "dept": dept, "dept_de": prep, "region": region,
                "nm": self.pick(texts.NAMES), "person": self.pick(texts.PEOPLE), "surname": self.pick(texts.SURNAMES),
                "trade": self.pick(texts.TRADES), "sector": self.pick(texts.SECTORS), "opca": self.pick(texts.OPCAS),
                "year": str(o.prog_date.year if o.prog_date else 2018), "activity": self.pick(texts.ACTIVITIES),
                "public": self.pick(texts.PUBLICS), "ptce": self.pick(texts.PTCE_NAMES)}

    def _beneficiary(self, fam: str, o: Op) -> tuple[str, str, str]:
        s = self._slots(o)
        if o.kind == "ta" and o.region == geo.NATIONAL:
            return "DGEFP - Sous-direction du FSE", "Services de l'Etat", "Services de l'Etat"
        if o.region == geo.NATIONAL and fam not in ("etat",):
            return " ".join(self.pick(texts.NATIONAL_BENEFICIARIES).format(**s).split()), "Association", "Têtes de réseau"
        tpls, legal, btype = texts.FAMILIES[fam]
        name = self.pick(tpls).format(**s)
        if fam == "ei" and name.startswith("Association"):
            legal = "Association"
        return " ".join(name.split()), legal, btype

    def _continuation_names(self) -> None:
        """Give each continuation pair a 2017 / 2019 spelling of the same beneficiary."""
        variants = [
            lambda n: ("Association " + n, n.upper()),
            lambda n: (n, n.upper().replace("É", "E").replace("È", "E").replace("Ê", "E").replace("À", "A")),
            lambda n: (n.replace(" ", "  ", 1), n),
            lambda n: ("SCIC " + n, n),
            lambda n: (n.replace(" ", "-", 1), n),
            lambda n: (n, "Association " + n.lower()),
        ]
        bases = ["Régie de quartier Nord-Est {town}", "Les Ateliers du Bocage", "Envol Insertion {town}",
                 "Le Fil d'Ariane {town}", "Chantier École Vallée {town}", "Épicerie Solidaire des Coteaux",
                 "Les Jardins d'Émeraude", "Atelier Éco-Logis {town}", "Trajectoires Solidaires {town}",
                 "Le Relais des Côteaux", "Amitié Emploi {town}", "L'Équipage {town}"]
        i = 0
        for o in self.cont_ops:
            c = o.cont_2017
            if o.named:
                c.beneficiary = o.cont_name
                c.region, c.service, c.place = o.region, o.service, o.place
                c.legal_form, c.beneficiary_type = o.legal_form, o.beneficiary_type
                continue
            town = self.pick(geo.region_info(o.region)["towns"]) if o.region != geo.NATIONAL else "Paris"
            base = bases[i % len(bases)].format(town=town)
            v17, v19 = variants[i % len(variants)](base)
            i += 1
            o.beneficiary, c.beneficiary = v19, v17
            c.region, c.service, c.place = o.region, o.service, o.place
            c.legal_form, c.beneficiary_type = o.legal_form or "Association", o.beneficiary_type
            if self.actors.key(v17) != self.actors.key(v19):
                raise GenerationError(f"continuation variants differ: {v17!r} / {v19!r}")

    def _guard_names(self) -> None:
        """Keep beneficiary names of non-candidates away from every actor, and make sure that no
        candidate accidentally shares its beneficiary with a wave-2017 retained operation."""
        pair_ids = {id(o) for o in self.cont_ops} | {id(o.cont_2017) for o in self.cont_ops}
        for o in self.ops:
            preid = (o.wave == "2019" and o.kind == "scope" and o.route in ("text", "actor")
                     and (o.retained or o.setaside))
            if preid:
                continue
            if o.named or id(o) in pair_ids:
                if self.actors.loose(o.beneficiary):
                    raise GenerationError(f"beneficiary {o.beneficiary!r} looks like an ecosystem actor")
                continue
            tries = 0
            while self.actors.loose(o.beneficiary):
                self._slot_cache.pop(id(o), None)
                o.beneficiary, o.legal_form, o.beneficiary_type = self._beneficiary("asso", o)
                tries += 1
                if tries > 50:
                    raise GenerationError(f"cannot find a non-actor name for {o.beneficiary}")
        keys17 = {self.actors.key(o.beneficiary) for o in self.ops if o.wave == "2017" and o.retained}
        for o in self.ops:
            if o.wave != "2019" or id(o) in pair_ids or not (o.retained or o.setaside or o.lot5):
                continue
            n = 0
            while self.actors.key(o.beneficiary) in keys17:
                if o.named:
                    raise GenerationError(f"named beneficiary {o.beneficiary} equals a wave-2017 retained one")
                o.beneficiary = f"{o.beneficiary} {self.pick(texts.NAMES)}"
                n += 1
                if n > 20:
                    raise GenerationError("cannot make a candidate name distinct")

    # ---- texts
    def write_texts(self) -> None:
        tx = self.des["texture"]
        for o in self.ops:
            if o.named:
                self._named_texts(o)
            else:
                self._texts(o)
            if not o.call_title and not o.named and self.R.random() > tx["call_title_empty"]:
                self._call_title(o)
        # texture: case, spacing, apostrophes, empty descriptions
        R = self.R
        self.n_empty_desc = 0
        for o in self.ops:
            plain = not (o.named or o.retained or o.setaside or o.survey_tag or o.lot5)
            if not o.named:
                u = R.random()
                if u < tx["title_upper"]:
                    o.title = o.title.upper()
                elif u < tx["title_upper"] + tx["title_double_space"]:
                    o.title = o.title.replace(" ", "  ", 1)
                elif u < tx["title_upper"] + tx["title_double_space"] + 0.01:
                    o.title = o.title + " "
                if not o.special_name and id(o) not in self._pair_ids():
                    u = R.random()
                    if u < tx["beneficiary_upper"]:
                        o.beneficiary = o.beneficiary.upper()
                    elif u < tx["beneficiary_upper"] + tx["beneficiary_double_space"]:
                        o.beneficiary = o.beneficiary.replace(" ", "  ", 1)
            if R.random() < tx["typographic_apostrophe"]:
                for f in ("description", "actions", "results", "call_title") + (() if o.named else ("title",)):
                    setattr(o, f, getattr(o, f).replace("'", "\u2019"))
            if plain and o.description and R.random() < tx["empty_description"]:
                o.description = ""
                self.n_empty_desc += 1

    def _pair_ids(self) -> set[int]:
        if not hasattr(self, "_pairs"):
            self._pairs = {id(o) for o in self.cont_ops} | {id(o.cont_2017) for o in self.cont_ops}
        return self._pairs

    def _named_texts(self, o: Op) -> None:
        n = o.named
        norm = lambda t: " ".join(str(t or "").split())  # noqa: E731
        o.description = norm(n.get("description"))
        o.actions = norm(n.get("actions")) or self._actions(o)
        o.results = norm(n.get("results"))
        o.call_title = norm(n.get("call_title"))
        if not o.call_title:
            self._call_title(o)

    def _texts(self, o: Op) -> None:
        R = self.R
        s = self._slots(o)
        key = o.os if o.programme == "fse" or o.os == "182" else "182"
        if o.kind == "ta":
            key = o.os
        grp = {"1": "1", "2": "2", "3": "3"}.get(o.axe, "3") if o.programme == "fse" else "iej"
        if o.kind == "ta":
            grp = "at"
        # title and opening sentence
        intro_bank = texts.INTROS[key]
        idea, need = self.pick(texts.IDEAS), self.pick(texts.NEEDS)
        cat = o.category if o.retained else None
        if o.programme == "fse" and cat in texts.CAT_INTROS:
            o.title = self.pick(texts.RETAINED_TITLES[cat]).format(**s)
            intro_bank = texts.CAT_INTROS[cat]
        elif (o.programme == "fse" and cat == "socialement_innovantes" and o.axe != "2"
              and R.random() < 0.6):
            i = R.randrange(len(texts.IDEAS))
            o.title = texts.RETAINED_TITLES[cat][i].format(**s)
            idea = texts.IDEAS[i]
        else:
            o.title = self.pick(texts.TITLES[key]).format(**s)
        if o.axe == "2" and o.programme == "fse":
            idea = self.pick(texts.IDEAS_AXIS2)
        parts = [self.pick(intro_bank).format(**s)]
        if R.random() < 0.7:
            parts.append(self.pick(texts.METHODS[grp]))
        if R.random() < 0.45:
            p = R.sample(texts.PARTNERS, 3)
            parts.append(self.pick(texts.PARTNER_SENTENCES).format(p1=p[0], p2=p[1], p3=p[2]))
        if o.retained:
            plain = o.route in ("survey", "actor", "lot5") or o.wave == "2017"
            bank = texts.RETAINED_PLAIN if plain else texts.RETAINED_HITS
            c = cat if cat in bank else "socialement_innovantes"
            de_idea = ("d'" if idea[0] in "aeiouéh" else "de ") + idea
            parts.insert(1, self.pick(bank[c]).format(idea=idea, de_idea=de_idea, need=need, ptce=s["ptce"]))
        elif o.setaside and o.route == "text":
            hit = o.hit or "innovation"
            pool = list(texts.SETASIDE[hit])
            if hit == "innovation":
                for extra in texts.SETASIDE_BY_OS.get(key, []):
                    pool += texts.SETASIDE[extra] * 2
            sent = self.pick(pool)
            if hit == "innovation" and o.axe in ("1", "3") and R.random() < 0.12:
                o.title = self.pick(texts.SETASIDE_TITLES).format(**s)
            else:
                parts.insert(R.randrange(1, len(parts) + 1), sent)
        if R.random() < self.des["texture"]["criterion_sentence"]:
            parts.append(self.pick(texts.CRITERIA))
        if R.random() < self.des["texture"]["decoy_sentence"]:
            parts.append(self.pick(texts.DECOYS))
        o.description = " ".join(parts)
        o.actions = self._actions(o)
        o.results = self._results(o)

    def _actions(self, o: Op) -> str:
        R = self.R
        if o.kind == "ta":
            bank = texts.ACTIONS["at"]
        elif o.programme == "iej":
            bank = texts.ACTIONS["iej"]
        elif o.os in texts.ACTIONS:
            bank = texts.ACTIONS[o.os]
        else:
            bank = texts.ACTIONS[o.axe]
        k = min(len(bank), self.pick([2, 3, 3, 4]))
        items = R.sample(bank, k)
        if R.random() < self.des["texture"]["multiline_actions"]:
            return "\n".join("- " + x for x in items)
        return " ; ".join(items)

    def _results(self, o: Op) -> str:
        R = self.R
        if o.kind != "scope" or R.random() < self.des["texture"]["empty_results"]:
            return ""
        if o.prog_date and o.prog_date > date(2018, 6, 30):
            return self.pick(texts.RESULTS["none"])
        n = max(o.participants, o.planned or 0)
        if n:
            m = max(1, int(n * R.uniform(0.2, 0.55)))
            return self.pick(texts.RESULTS["participants"]).format(n=n, m=m, f=int(n * R.uniform(0.35, 0.6)),
                                                                   p=R.randrange(70, 121))
        if o.axe == "2":
            n = R.randrange(8, 60)
            return self.pick(texts.RESULTS["firms"]).format(n=n, m=max(1, n // 2))
        return self.pick(texts.RESULTS["none"])

    def _call_title(self, o: Op) -> None:
        themes = texts.CALL_THEMES.get(o.os if o.programme == "fse" or o.kind == "ta" else "182", ["Appel à projets"])
        year = o.prog_date.year if o.prog_date else 2018
        t = self.pick(texts.CALL_FORMS).format(year=year, theme=self.pick(themes))
        if o.region == geo.NATIONAL:
            t = t.replace("Appel à projets", "Appel à projets national", 1)
        o.call_title = t

    # ------------------------------------------------------------------ 8. register
    def register_rows(self) -> list[dict]:
        R = self.R
        rows = []
        for o in self.ops:
            if o.kind != "scope":
                continue
            dec = None
            if o.retained:
                dec = "retenue"
            elif (o.wave == "2019" and o.setaside) or o.setaside_2017:
                dec = "ecartee"
            elif o.wave == "2019" and o.programme == "iej" and o.setaside:
                dec = "ecartee"
            if dec is None:
                continue
            wave = o.wave
            day = date(2019, 4, 1) if wave == "2019" else date(2017, 5, 2)
            d = day + timedelta(days=R.randrange(0, 28))
            if dec == "retenue":
                scores = [R.choice([1, 2, 2]), R.choice([0, 1, 2, 2]), R.choice([1, 1, 2]), R.choice([0, 1, 1, 2])]
                if sum(scores) < 5:
                    scores[0] = 2
                    scores[2] = 2
                reason = self.pick(texts.REVIEW_REASONS_RETAINED)
                if o.route == "survey":
                    reason = "signalée par le service gestionnaire dans l'enquête ; " + reason
                if o.lot5:
                    reason = "projet du lot 5 de l'évaluation de l'IEJ ; " + reason
                if o.cont_2017 is not None:
                    reason = "poursuite d'une opération retenue en 2017 ; " + reason
            else:
                scores = [R.choice([0, 0, 1]), R.choice([0, 0, 1]), R.choice([0, 1]), R.choice([0, 0, 1])]
                if o.route == "survey":
                    reason = texts.REVIEW_REASONS_SETASIDE[-1]
                elif o.hit == "impact":
                    reason = texts.REVIEW_REASONS_SETASIDE[4]
                else:
                    reason = self.pick(texts.REVIEW_REASONS_SETASIDE[:4])
            rows.append({
                "op_id": o.op_id, "programme": o.programme, "vague": wave, "decision": dec,
                "categorie": o.category if dec == "retenue" else "",
                "score_besoin": scores[0], "score_experimentation": scores[1], "score_implication": scores[2],
                "score_effets": scores[3], "emblematique": "oui" if o.emblematique else "",
                "caractere_innovant": o.caractere_innovant, "justification": f"{DEMO_DECISION} : {reason}",
                "relecteur": self.pick(texts.REVIEWERS[wave]), "date_decision": d.isoformat(), "statut": "",
            })
        # one decision of 2017 about an operation no longer in the extract (kept by isnote)
        gone = next(x for x in self.absent_numbers if x.startswith("2017"))
        self.absent_numbers.remove(gone)
        gone = "2016" + gone[4:]
        rows.append({"op_id": gone, "programme": "fse", "vague": "2017", "decision": "ecartee", "categorie": "",
                     "score_besoin": 0, "score_experimentation": 0, "score_implication": 1, "score_effets": 0,
                     "emblematique": "", "caractere_innovant": "",
                     "justification": f"{DEMO_DECISION} : opération déprogrammée depuis la décision",
                     "relecteur": "J.P.", "date_decision": "2017-05-19", "statut": "absente des données"})
        if gone in {o.op_id for o in self.ops}:
            raise GenerationError("the 'absent' register number exists in the data")
        rows.sort(key=lambda r: (r["vague"], r["programme"], r["op_id"]))
        return rows

    # ------------------------------------------------------------------ 9. survey text
    def survey_rows(self) -> list[dict]:
        R = self.R
        forms = [lambda n: n, lambda n: f"{n[:4]} {n[4:]}", lambda n: f"n°{n}", lambda n: f"n° {n[:4]} {n[4:]}",
                 lambda n: f"dossier {n}", lambda n: f"MDFSE-{n}", lambda n: f"{n[:3]} {n[3:6]} {n[6:]}",
                 lambda n: f"N°{n}"]
        seps = [", ", " et ", " / ", ", "]
        nf = list(self.absent_numbers)
        self.survey_not_found = []
        k = 0
        rows = []
        for r in self.respondents:
            text = r["named_text"]
            if r["numbers"]:
                nums = []
                for x in r["numbers"]:
                    if x == "NOT_FOUND":
                        num = nf.pop(0)
                        self.survey_not_found.append(num)
                    else:
                        num = x.op_id
                    nums.append(forms[k % len(forms)](num))
                    k += 1
                if len(nums) == 1:
                    body = nums[0]
                else:
                    sep = seps[r["id"] % len(seps)]
                    body = sep.join(nums[:-1]) + (" et " if sep != " et " else sep) + nums[-1]
                text = self.pick(["", "Opérations ", "Les dossiers ", "Projets : "]) + body
            rows.append({"respondent_id": f"R{r['id']:03d}", "respondent": r["name"], "body_type": r["type"],
                         "answer": r["answer_text"], "operations_named": text if r["answer"] == "oui" else "",
                         "observations": r["observation"]})
        return rows


# ====================================================================================== writing

def fmt_amount(c: int, sep: str | None = None) -> str:
    euros, cts = divmod(int(c), 100)
    e = str(euros)
    if sep:
        groups = []
        while len(e) > 3:
            groups.insert(0, e[-3:])
            e = e[:-3]
        e = sep.join([e] + groups)
    return f"{e},{cts:02d}"


def fmt_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def csv_text(header: list[str], rows: list[list], banner: bool = True) -> str:
    buf = io.StringIO()
    if banner:
        buf.write(BANNER + "\n")
    w = csv.writer(buf, delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def write_dataset(b: Builder, out: Path, skip_participants: bool = False) -> dict:
    """Write every file of the dataset into `out` (an existing folder). Returns statistics."""
    tx = b.des["texture"]
    R = random.Random(b.seed + 1)
    ops_hdr = headers(b.mapping, "operations")
    qual_hdr = headers(b.mapping, "qualitative")
    stats = {"space": 0, "nbsp": 0, "empty_pi": 0}
    scope_ops = [o for o in b.ops]
    # which amounts get a thousands separator, which PI is left empty
    cand = [o for o in scope_ops if not o.named and o.ct >= 1_000_00 * 100]
    R.shuffle(cand)
    space_ops = {id(o): " " for o in cand[: tx["amount_space_thousands"]]}
    space_ops.update({id(o): "\u00a0" for o in cand[tx["amount_space_thousands"]: tx["amount_space_thousands"] + tx["amount_nbsp_thousands"]]})
    for prog in ("fse", "iej"):
        ops = sorted([o for o in b.ops if o.programme == prog], key=lambda o: o.op_id)
        rows, qrows = [], []
        for o in ops:
            sep = space_ops.get(id(o))
            if sep == " ":
                stats["space"] += 1
            elif sep:
                stats["nbsp"] += 1
            pi = o.pi
            if pi and not o.named and o.kind == "scope" and R.random() < tx["empty_pi"]:
                pi = ""
                stats["empty_pi"] += 1
            rows.append([o.op_id, o.title, o.beneficiary, o.legal_form, o.beneficiary_type, o.axe, pi, o.os,
                         getattr(o, "region_raw", o.region), o.service, fmt_date(o.prog_date), fmt_date(o.start_date),
                         fmt_date(o.end_date), fmt_amount(o.ct, sep), fmt_amount(o.ue), o.planned, o.place, o.n_actions])
            qrows.append([o.op_id, o.call_title, o.description, o.actions, o.results])
        text = csv_text(ops_hdr, rows)
        (out / FILES[f"ops_{prog}"]).write_bytes(text.encode("cp1252"))
        (out / FILES[f"qual_{prog}"]).write_bytes(csv_text(qual_hdr, qrows).encode("utf-8"))
    # survey
    srows = b.survey_rows()
    s_hdr = headers(b.mapping, "survey")
    keys = ["respondent_id", "respondent", "body_type", "answer", "operations_named", "observations"]
    (out / FILES["survey"]).write_bytes(csv_text(s_hdr, [[r[k] for k in keys] for r in srows]).encode("utf-8"))
    # lot 5
    lot5 = sorted([o for o in b.ops if o.lot5], key=lambda o: o.op_id)
    (out / FILES["lot5"]).write_bytes(csv_text(headers(b.mapping, "lot5"),
                                               [[o.op_id, " ".join(o.title.split())] for o in lot5]).encode("utf-8"))
    # register
    reg = b.register_rows()
    (out / FILES["register"]).write_bytes(csv_text(REGISTER_COLUMNS, [[r[c] for c in REGISTER_COLUMNS] for r in reg],
                                                   banner=False).encode("utf-8"))
    # participants
    if not skip_participants:
        write_participants(b, out / FILES["participants"])
    stats["n_ops"] = {p: sum(1 for o in b.ops if o.programme == p) for p in ("fse", "iej")}
    stats["participants"] = sum(o.participants for o in b.ops)
    stats["empty_desc"] = b.n_empty_desc
    stats["region_variants"] = b.region_variants
    stats["odd_answers"] = b.odd_answers
    stats["register_rows"] = len(reg)
    (out / FILES["readme"]).write_bytes(readme_text(b, stats).encode("utf-8"))
    return stats


# participant attributes by OS: P(F), age bands (<25, 25-54, 55+), status (DE, DELD, inactive, employed)
_PROFILE = {
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
SEXES = ["F", "H"]
AGES = ["moins de 25 ans", "25 à 54 ans", "55 ans et plus"]
STATUSES = ["Demandeur d'emploi", "Demandeur d'emploi de longue durée", "Inactif", "En emploi"]


def write_participants(b: Builder, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(b.seed + 7)
    ops = sorted([o for o in b.ops if o.programme == "fse" and o.participants > 0], key=lambda o: o.op_id)
    ids = [o.op_id for o in ops]
    counts = np.array([o.participants for o in ops], dtype="int64")
    op_idx = np.repeat(np.arange(len(ops), dtype="int32"), counts)
    n = len(op_idx)
    os_codes = list(_PROFILE)
    os_of_op = np.array([os_codes.index(o.os) for o in ops], dtype="int16")
    row_os = os_of_op[op_idx]
    sex = np.zeros(n, dtype="int8")
    age = np.zeros(n, dtype="int8")
    status = np.zeros(n, dtype="int8")
    u1, u2, u3 = rng.random(n), rng.random(n), rng.random(n)
    for k, code in enumerate(os_codes):
        m = row_os == k
        if not m.any():
            continue
        pf, ages, st = _PROFILE[code]
        sex[m] = np.where(u1[m] < pf, 0, 1)
        age[m] = np.searchsorted(np.cumsum(ages)[:-1], u2[m], side="right")
        status[m] = np.searchsorted(np.cumsum(st)[:-1], u3[m], side="right")

    def dict_col(idx, values, itype):
        return pa.DictionaryArray.from_arrays(pa.array(idx, type=itype), pa.array(values, type=pa.string()))

    table = pa.table({
        "N° dossier": dict_col(op_idx, ids, pa.int32()),
        "Sexe": dict_col(sex, SEXES, pa.int8()),
        "Tranche d'âge": dict_col(age, AGES, pa.int8()),
        "Statut à l'entrée": dict_col(status, STATUSES, pa.int8()),
    })
    table = table.replace_schema_metadata({"isnote:synthetic": "true"})
    pq.write_table(table, path, compression="zstd", compression_level=9, row_group_size=1 << 20,
                   use_dictionary=True, write_statistics=True)


def readme_text(b: Builder, stats: dict) -> str:
    from .readme import render
    return render(b, stats)


# ====================================================================================== main

def generate(out: str | Path, seed: int | None = None, skip_participants: bool = False,
             check: bool = True) -> dict:
    """Build the dataset, check it in a temporary folder, then move the files into `out`."""
    from . import verify

    b = Builder(seed)
    b.skeleton()
    b.survey_respondents()
    b.regions()
    b.services()
    b.dates_and_ids()
    b.amounts()
    b.participants()
    b.names()
    b.write_texts()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=out.parent))
    try:
        stats = write_dataset(b, tmp, skip_participants=skip_participants)
        if check:
            problems = verify.verify(tmp, participants=not skip_participants)
            if problems:
                raise GenerationError("le jeu de démonstration ne respecte pas la calibration :\n- "
                                      + "\n- ".join(problems[:30]))
        for f in sorted(tmp.iterdir()):
            os.replace(f, out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m isnote.demo.generate",
                                 description="Génère le jeu de données de démonstration SYNTHÉTIQUE d'isnote.")
    ap.add_argument("--out", default="data/demo", help="dossier de sortie (défaut : data/demo)")
    ap.add_argument("--seed", type=int, default=None, help="graine (défaut : celle de design.yaml)")
    ap.add_argument("--skip-participants", action="store_true",
                    help="ne pas écrire le fichier des participants (tests rapides)")
    ap.add_argument("--no-check", action="store_true", help="ne pas vérifier la calibration (débogage)")
    args = ap.parse_args(argv)
    try:
        stats = generate(args.out, seed=args.seed, skip_participants=args.skip_participants, check=not args.no_check)
    except IsnoteError as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 2
    print(f"Jeu de démonstration écrit dans {args.out} : {stats['n_ops']['fse']} opérations PON FSE, "
          f"{stats['n_ops']['iej']} opérations PON IEJ, {stats['participants']} participants.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

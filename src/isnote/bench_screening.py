"""Benchmark of the text screening at scale (not a test): `python -m isnote.bench_screening`.

Builds N synthetic operations (default 1,000,000) of about 450 characters spread over the six
text fields, by sampling from a few hundred French text fragments (accents, typographic
apostrophes, dashes, capitals, irregular spaces; the ordinary fragments carry no keyword of either
keyword set, and a small share of the fragments (--keyword-rate) carry screening keywords
or ecosystem actor names, an intervention category and a specific objective). Then times what
`isnote.screening` does on the texts: normalisation, keyword search with evidence, hits per
operation and group, actor matching (with the key that matched), structured signals and the
rule-based ranking of every operation, with the real-list sets (params/keywords.yaml,
params/actors.yaml, unless --keywords/--actors say otherwise); and reports the peak
resident memory of the process (ru_maxrss). Prints one JSON line: {n_ops, chars_per_op, seconds,
peak_mb, ...}. Target: <= 15 s and <= 3 GB on the project machine (2 cores).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .config import load_params

_OPENINGS = ["Accompagnement", "Mise en œuvre", "Développement", "Renforcement", "Création",
             "Animation", "Coordination", "Déploiement", "Soutien", "Consolidation", "Préparation",
             "Organisation", "Structuration", "Professionnalisation", "Évaluation"]
_OBJECTS = ["d’un parcours d’insertion", "des bénéficiaires du RSA", "de l'offre de services",
            "d’ateliers collectifs", "du réseau des employeurs", "d'un chantier d’insertion",
            "des jeunes éloignés de l'emploi", "de la plateforme mobilité", "du suivi individualisé",
            "des personnes en situation de handicap", "d’une équipe pluridisciplinaire",
            "des SIAE du territoire", "de la clause sociale", "de l’accueil de jour",
            "de la rénovation énergétique", "d'un atelier vélo", "d’une épicerie sociale"]
_TAILS = ["vers l’emploi stable.", "sur le territoire — zone rurale.", "en lien avec Pôle emploi ;",
          "(année 2018).", "pour 120 participants.", "avec les partenaires locaux…",
          "au sein du quartier prioritaire.", "dans le cadre du PLIE.", "« pas à pas ».",
          "en 2017-2018 !", "pour  lever  les freins périphériques.", "et la levée des freins."]
_KEYWORD_FRAGMENTS = [
    "Projet d’innovation sociale co-construit avec les habitants.",
    "Une démarche INNOVANTE d'accompagnement.",
    "Réponse aux besoins sociaux mal satisfaits du territoire.",
    "Mesure de l’impact social du dispositif.",
    "Animation du PTCE local (pôle territorial de coopération économique).",
    "Expérimentation et essaimage de l'action.",
    "Implication des usagers et des parties prenantes.",
    "Économie circulaire et réemploi des matériaux.",
    "Soutien aux entreprises sociales et à l’ESS du territoire.",
    "Vélos recyclés, tiers-lieu coopératif.",
    "Expérimentation Territoire zéro chômeur de longue durée.",
]
_NAMES = ["Association", "ASS", "SARL", "Régie de quartier", "Mission locale", "Centre social",
          "Maison de l'emploi", "CCAS", "Conseil départemental", "Atelier", "Chantier école", "SCIC"]
_PLACES = ["du Nord", "de Lyon", "de l'Oise", "Pays de la Loire", "d’Aquitaine", "de Bretagne",
           "du Val-de-Marne", "de la Creuse", "Sud", "Ouest", "de Valenciennes", "Auvergne"]
_NAMES += ["Direction régionale Pôle emploi", "Fédération régionale des CIDFF", "Union régionale de l'artisanat"]
_ACTOR_NAMES = ["CRESS Pays de la Loire", "AVISE", "France Active Bretagne", "Fonda",
                "Pôle de l'économie solidaire", "Antropia ESSEC", "Bretagne Active", "Limousin Actif",
                "URSCOP Occitanie", "Union régionale des SCOP de Bretagne", "Coopérative d'activité et d'emploi Oxalis"]
_CATEGORIES = ["137", "136", "140", "149", "138", "153", ""]
_OBJECTIVES = ["ESO4.1", "ESO4.01", "4.1", "ESO4.6", "ESO4.7", "3913", "3911", ""]


def _fragments(rng: np.random.Generator) -> tuple[pa.Array, pa.Array]:
    """A few hundred ordinary fragments and a few keyword-bearing ones (as Arrow arrays)."""
    plain = [f"{o} {b} {t}" for o in _OPENINGS for b in _OBJECTS for t in _TAILS]
    plain = list(rng.choice(np.array(plain, dtype=object), size=400, replace=False))
    names = [f"{n} {p}" for n in _NAMES for p in _PLACES] + _ACTOR_NAMES
    return (pa.array(plain + _KEYWORD_FRAGMENTS, type=pa.large_string()),
            pa.array(names, type=pa.large_string()))


def build_operations(n: int, seed: int = 0, keyword_rate: float = 0.01) -> pd.DataFrame:
    """N synthetic operations (op_id + the six text fields), vectorised."""
    rng = np.random.default_rng(seed)
    frags, names = _fragments(rng)
    n_plain = len(frags) - len(_KEYWORD_FRAGMENTS)

    def pick(k: int) -> np.ndarray:
        idx = rng.integers(0, n_plain, size=(n, k))
        kw = rng.random((n, k)) < keyword_rate
        idx[kw] = n_plain + rng.integers(0, len(_KEYWORD_FRAGMENTS), size=int(kw.sum()))
        return idx

    def field(k: int) -> pa.ChunkedArray:
        idx = pick(k)
        out = frags.take(pa.array(idx[:, 0]))
        for j in range(1, k):
            out = pc.binary_join_element_wise(out, frags.take(pa.array(idx[:, j])),
                                              pa.scalar(" ", pa.large_string()))
        return pa.chunked_array([out])

    actor_share = 0.002
    name_idx = rng.integers(0, len(names) - len(_ACTOR_NAMES), size=n)
    is_actor = rng.random(n) < actor_share
    name_idx[is_actor] = len(names) - len(_ACTOR_NAMES) + rng.integers(0, len(_ACTOR_NAMES), int(is_actor.sum()))
    cols = {
        "op_id": pa.chunked_array([pc.cast(pa.array(201700000 + np.arange(n)), pa.large_string())]),
        "category_code": pa.chunked_array([pa.array(_CATEGORIES, type=pa.large_string()).take(
            pa.array(rng.integers(0, len(_CATEGORIES), size=n)))]),
        "os": pa.chunked_array([pa.array(_OBJECTIVES, type=pa.large_string()).take(
            pa.array(rng.integers(0, len(_OBJECTIVES), size=n)))]),
        "title": field(1),
        "beneficiary": pa.chunked_array([names.take(pa.array(name_idx))]),
        "call_title": field(1),
        "description": field(2),
        "actions": field(2),
        "results": field(1),
    }
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    return pd.DataFrame({k: pd.Series(pd.array(v, dtype=dtype), copy=False) for k, v in cols.items()})


def run(n: int = 1_000_000, params_path: str | None = None, seed: int = 0, keyword_rate: float = 0.01,
        keywords_path: str | None = None, actors_path: str | None = None) -> dict:
    from . import ranking as rk
    from .config import load_yaml, resolve
    from .screening import TEXT_FIELDS, evidence_hits, text_screen
    from .signals import compile_structured, structured_hits
    from .textsearch import _tables, compile_groups

    params = load_params(params_path) if params_path else None
    kw = params.yaml("keywords") if params else load_yaml(resolve(keywords_path or "params/keywords.yaml"))
    actors = params.yaml("actors") if params else load_yaml(resolve(actors_path or "params/actors.yaml"))
    groups = compile_groups(kw)
    signals = compile_structured(kw)
    t0 = time.perf_counter()
    ops = build_operations(n, seed=seed, keyword_rate=keyword_rate)
    build_s = time.perf_counter() - t0
    chars = float(sum(pc.sum(pc.utf8_length(pa.array(ops[f]))).as_py() for f in TEXT_FIELDS if f in ops)) / max(n, 1)
    _tables()                                   # one-off table building, not per row (0.1 s)
    t = time.perf_counter()
    cpu = time.process_time()
    # as isnote.screening.screen does: hits and actors for every operation, structured signals,
    # ranking of all, evidence (context of each hit) for the pre-identified operations only
    res = text_screen(ops, groups, actors, evidence=False)
    sflags = structured_hits(ops, signals)
    feats = rk.build_features(res.counts, groups, sflags, signals, res.actor)
    ranked = rk.rank(feats, rk.fit(None, None, feats))
    ev = evidence_hits(ops, np.flatnonzero(feats.strong), groups, res.encoded)
    seconds = time.perf_counter() - t
    cpu_seconds = time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "n_ops": n,
        "chars_per_op": round(chars, 1),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),      # user + sys of the process over the measured section
        "peak_mb": round(peak_mb, 1),
        "build_seconds": round(build_s, 2),
        "keyword_rate": keyword_rate,
        "hit_rows": int(len(res.hits)),
        "ops_with_hits": int(res.hits["row"].nunique()),
        "evidence_rows": int(len(ev)),
        "ops_with_actor": int(res.actor.notna().sum()),
        "ops_strong": int(feats.strong.sum()),
        "ops_scored": int((ranked["score"] > 0).sum()),
        "groups": len(groups), "structured_signals": len(signals),
        "targets": {"seconds": 15.0, "peak_mb": 3072.0},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m isnote.bench_screening", description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of synthetic operations")
    ap.add_argument("--params", default=None, help="parameters file (its keywords and actors; default: the "
                    "real-list sets params/keywords.yaml and params/actors.yaml)")
    ap.add_argument("--keywords", default=None, help="keywords file (default params/keywords.yaml)")
    ap.add_argument("--actors", default=None, help="actors file (default params/actors.yaml)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keyword-rate", type=float, default=0.01,
                    help="share of text fragments carrying a keyword (default 0.01: ~7%% of operations hit)")
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    args = ap.parse_args(argv)
    result = run(args.n, args.params, args.seed, args.keyword_rate, args.keywords, args.actors)
    if not args.json:
        ok = result["seconds"] <= 15.0 and result["peak_mb"] <= 3072.0
        print(f"{result['n_ops']:,} opérations de {result['chars_per_op']:.0f} caractères : "
              f"{result['seconds']:.1f} s, mémoire de pointe {result['peak_mb']:.0f} Mo "
              f"({'objectif atteint' if ok else 'objectif NON atteint'})", file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

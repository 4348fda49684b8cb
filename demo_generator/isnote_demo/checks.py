"""Checks of the demo dataset, on the files as written (used by the generator and by the tests).

Each `check_*` function takes the files as read back (`Written`) and returns the list of its
violations (French sentences, empty when it passes), as the runtime's `isnote.checks` does.
`verify(folder)` reads the folder once, runs every check of `CHECKS` and returns all the
violations: totals per programme / wave / axis / OS, excluded rows, the review register's
retained sets, the named operations, the screening counts of wave 2019 (keywords, actors, survey,
lot 5, continuations), the survey shares and themes, the regions the note singles out, formats
and size. The generator runs it on a temporary folder before anything is written to the output.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from isnote.config import PROJECT_ROOT, load_params, load_yaml

from .constants import (ABSENT_STATUS, AGES, BANNER, ENCODING, FILES, LOT5_FIELDS, MAX_BYTES, PARQUET_COLUMNS,
                        PARQUET_META, REGISTER_COLUMNS, SCORE_COLUMNS, SEXES, SPECS_DIR, STATUSES, SURVEY_FIELDS)
from .layout import headers, load_ops, read_csv
from .state import cents
from .textcheck import ActorMatcher, normalise_series, survey_numbers, theme_hits, token_set_similarity

SCREENED_FIELDS = ["title", "beneficiary", "call_title", "description", "actions", "results"]


def _region_key(s: str) -> str:
    # TODO(issue 13): the runtime's region normaliser (ingest) could be imported here once it has one owner.
    t = unicodedata.normalize("NFKD", s)
    t = "".join(c for c in t if not unicodedata.combining(c))
    return " ".join(t.split()).casefold()


class _Hits:
    """Pre-identifying keyword search with two whole-word conventions (lookarounds and \\b)."""

    def __init__(self, keywords: dict):
        pats = [p for g in keywords["groups"].values() if g.get("preidentify") for p in g["patterns"]]
        alt = "|".join(f"(?:{p})" for p in pats)
        self.a = re.compile(r"(?<![0-9a-z])(?:" + alt + r")(?![0-9a-z])")
        self.b = re.compile(r"\b(?:" + alt + r")\b")

    def both(self, text: str) -> tuple[bool, bool]:
        return bool(self.a.search(text)), bool(self.b.search(text))


# ====================================================================================== reading

@dataclass(eq=False)
class Written:
    """The dataset as written, read back once, with what several checks share."""
    folder: Path
    participants: bool        # whether the participants file was written (and is checked)
    cal: dict
    named: dict
    params: object
    mapping: dict
    actors: ActorMatcher
    ops: pd.DataFrame         # every row of both programmes, with region_c, wave and the screening columns
    scope: pd.DataFrame       # rows in the scope of the analysis, with their participants
    counts: pd.Series         # participant records per operation number
    reg: pd.DataFrame         # the review register
    retained: pd.DataFrame    # retained rows of the register about known operations, with *_op columns
    in19: pd.Series           # rows of ops in the scope of wave 2019
    pre_ids: dict             # programme -> operation numbers pre-identified in wave 2019
    survey: pd.DataFrame
    survey_nums: list         # every operation number cited in the survey
    survey_only: list         # numbers cited in the survey, in wave 2019 and not pre-identified
    lot5: pd.DataFrame
    lot5_in_wave: list        # lot-5 numbers of wave-2019 IEJ operations

    @property
    def decisions(self) -> pd.Series:
        return self.reg.set_index("op_id")["decision"]


def _with_waves(ops: pd.DataFrame, params) -> pd.DataFrame:
    ops["wave"] = ""
    waves = {str(k): (str(v["start"]), str(v["end"])) for k, v in params["waves"].items()}
    for w, (a, b) in waves.items():
        ops.loc[(ops["programming_date_d"] >= a) & (ops["programming_date_d"] <= b), "wave"] = w
    return ops


def _participant_counts(folder: Path) -> pd.Series:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    col = pq.read_table(folder / FILES["participants"], columns=[PARQUET_COLUMNS[0]]).column(0).cast(pa.string())
    vc = pc.value_counts(col)
    return pd.Series(vc.field("counts").to_numpy(), index=vc.field("values").to_pylist())


def _with_screening(ops: pd.DataFrame, keywords: dict, actors: ActorMatcher) -> pd.DataFrame:
    """hit_a / hit_b (keywords under both whole-word conventions, on two normalisations), actor
    columns, hit_any (any trace of a keyword or actor) and preid (pre-identified)."""
    hits = _Hits(keywords)
    joined = ops[SCREENED_FIELDS[0]].astype("str")
    for f_ in SCREENED_FIELDS[1:]:
        joined = joined + " | " + ops[f_].astype("str")
    joined = normalise_series(joined)
    # variant: every other punctuation turned into a space as well (fields kept apart by "|")
    joined2 = joined.str.replace(r"[^a-z0-9| ]", " ", regex=True).str.replace(r" +", " ", regex=True)
    ab = joined.map(hits.both)
    ab2 = joined2.map(hits.both)
    ops["hit_a"] = ab.str[0] & ab2.str[0]
    ops["hit_b"] = ab.str[1] & ab2.str[1]
    ops["hit_text_any"] = ab.str[0] | ab.str[1] | ab2.str[0] | ab2.str[1]
    ops["actor_strict"] = ops["beneficiary"].map(lambda b: actors.strict(b) is not None)
    ops["actor_loose"] = ops["beneficiary"].map(lambda b: actors.loose(b) is not None)
    ops["hit_any"] = ops["hit_text_any"] | ops["actor_loose"] | ops["actor_strict"]
    ops["preid"] = (ops["hit_a"] & ops["hit_b"]) | ops["actor_strict"]
    return ops


def read_written(folder: str | Path, participants: bool = True) -> Written:
    folder = Path(folder)
    params = load_params(PROJECT_ROOT / "params" / "demo.yaml")
    mapping = params.yaml("mapping")
    actors = ActorMatcher.from_yaml(params.yaml("actors"))
    canon = {_region_key(r): r for r in params.yaml("nomenclature")["regions"]}
    ops = load_ops(folder)
    ops["region_c"] = ops["region"].map(lambda r: canon.get(_region_key(r), "?"))
    ops = _with_waves(ops, params)
    ta = ops["os"].str.startswith("4AT")
    scope = ops[~ta & (ops["wave"] != "")].copy()
    counts = _participant_counts(folder) if participants else pd.Series(dtype="int64")
    scope["participants"] = scope["op_id"].map(counts).fillna(0).astype("int64")
    ops = _with_screening(ops, params.yaml("keywords"), actors)
    in19 = ops["op_id"].isin(scope.loc[scope["wave"] == "2019", "op_id"])
    pre_ids = {prog: set(ops.loc[in19 & (ops["programme"] == prog) & ops["preid"], "op_id"]) for prog in ("fse", "iej")}

    reg = read_csv(folder / FILES["register"], "utf-8", banner=False)
    known = set(scope["op_id"])
    ret = reg[reg["decision"] == "retenue"]
    retained = ret[ret["op_id"].isin(known)].copy()
    sc = scope.set_index("op_id")
    for c in ("programme", "wave", "axe", "os", "ue_c", "ct_c", "participants", "region_c"):
        retained[c + "_op"] = retained["op_id"].map(sc[c])

    sv = read_csv(folder / FILES["survey"], "utf-8")
    sv.columns = SURVEY_FIELDS
    nums = [n for t in sv["operations_named"] for n in survey_numbers(t)]
    fse19 = set(scope.loc[(scope["programme"] == "fse") & (scope["wave"] == "2019"), "op_id"])
    only = [n for n in nums if n in fse19 and n not in pre_ids["fse"]]

    l5 = read_csv(folder / FILES["lot5"], "utf-8")
    l5.columns = LOT5_FIELDS
    iej = scope[scope["programme"] == "iej"].set_index("op_id")
    lot5_in_wave = [n for n in l5["op_id"] if n in iej.index and iej.loc[n, "wave"] == "2019"]
    return Written(folder=folder, participants=participants, cal=load_yaml(SPECS_DIR / "calibration.yaml"),
                   named=load_yaml(SPECS_DIR / "named_operations.yaml"), params=params, mapping=mapping,
                   actors=actors, ops=ops, scope=scope, counts=counts, reg=reg, retained=retained, in19=in19,
                   pre_ids=pre_ids, survey=sv, survey_nums=nums, survey_only=only, lot5=l5,
                   lot5_in_wave=lot5_in_wave)


# ====================================================================================== helpers

def _agg(df: pd.DataFrame) -> dict:
    return {"n_ops": len(df), "ue": int(df["ue_c"].sum()), "ct": int(df["ct_c"].sum()),
            "participants": int(df["participants"].sum())}


def _compare(label: str, got: dict, want: dict, keys: list[str]) -> list[str]:
    out = []
    for k in keys:
        w = cents(want[k]) if k in ("ue", "ct") else int(want[k])
        if got[k] != w:
            out.append(f"{label} : {k} = {got[k]} au lieu de {w}")
    return out


# ====================================================================================== checks

def check_files(folder: Path, participants: bool = True) -> list[str]:
    """Every file is there (the other checks need them)."""
    return [f"fichier manquant : {name}" for key, name in FILES.items()
            if (key != "participants" or participants) and not (folder / name).exists()]


def check_size_encodings_headers(w: Written) -> list[str]:
    P = []
    total = sum((w.folder / n).stat().st_size for n in FILES.values() if (w.folder / n).exists())
    if total >= MAX_BYTES:
        P.append(f"jeu de données trop gros : {total} octets")
    for key, enc in ENCODING.items():
        raw = (w.folder / FILES[key]).read_bytes()
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            P.append(f"{FILES[key]} : pas en {enc}")
            continue
        first = text.split("\n", 1)[0]
        if key == "register":
            if first != ";".join(REGISTER_COLUMNS):
                P.append("registre : en-tête inattendu")
        elif first != BANNER:
            P.append(f"{FILES[key]} : première ligne (bandeau synthétique) absente")
    for kind, key in (("operations", "ops_fse"), ("operations", "ops_iej"), ("qualitative", "qual_fse"),
                      ("qualitative", "qual_iej"), ("survey", "survey"), ("lot5", "lot5")):
        got = list(read_csv(w.folder / FILES[key], ENCODING[key]).columns)
        if got != headers(w.mapping, kind):
            P.append(f"{FILES[key]} : en-têtes {got}")
    return P


def check_formats(w: Written) -> list[str]:
    P = []
    ops = w.ops
    if not ops["op_id"].str.fullmatch(r"\d{9}").all():
        P.append("numéros d'opération : 9 chiffres attendus")
    if ops["op_id"].duplicated().any():
        P.append("numéros d'opération en double")
    dep_year = ops["op_id"].str[:4].astype(int)
    if (dep_year > ops["programming_date_d"].dt.year).any():
        P.append("année de dépôt postérieure à l'année de programmation")
    if not ((ops["ue_c"] > 0) & (ops["ue_c"] <= ops["ct_c"])).all():
        P.append("montant UE hors de ]0, coût total]")
    if (ops["end_date_d"] < ops["start_date_d"]).any():
        P.append("date de fin avant la date de début")
    if (ops["region_c"] == "?").any():
        P.append("région inconnue : " + ops.loc[ops["region_c"] == "?", "region"].iloc[0])
    return P


def check_scope(w: Written) -> list[str]:
    """Excluded rows (technical assistance, after the waves) and the size of the scope."""
    P = []
    ops = w.ops
    ta = ops["os"].str.startswith("4AT")
    exc = w.cal["excluded"]
    for prog in ("fse", "iej"):
        m = ops["programme"] == prog
        if int((m & ta).sum()) != exc[prog]["technical_assistance"]:
            P.append(f"{prog} : {int((m & ta).sum())} opérations d'assistance technique")
        after = m & ~ta & (ops["wave"] == "")
        if int(after.sum()) != exc[prog]["after_window"]:
            P.append(f"{prog} : {int(after.sum())} opérations hors fenêtre")
        if (m & ~ta & (ops["programming_date_d"] >= str(w.params["extract_date"]))).any():
            P.append(f"{prog} : programmation après la date d'extraction")
    tot = w.cal["programme_totals"]
    n_scope = sum(v["n_ops"] for wv in tot["fse"].values() for v in wv["by_axe"].values()) + \
        sum(wv["n_ops"] for wv in tot["iej"].values())
    if len(w.scope) != n_scope:
        P.append(f"{len(w.scope)} opérations dans le champ ({n_scope} attendues)")
    return P


def check_participants_file(w: Written) -> list[str]:
    """Metadata, schema, order and values of the participant records."""
    if not w.participants:
        return []
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    P = []
    pf = pq.ParquetFile(w.folder / FILES["participants"])
    meta = pf.metadata.metadata or {}
    key, value = next(iter(PARQUET_META.items()))
    if meta.get(key.encode()) != value.encode():
        P.append("parquet : métadonnée isnote:synthetic absente")
    if b"pandas" in meta:
        P.append("parquet : métadonnées pandas présentes")
    t = pf.read()
    if t.column_names != PARQUET_COLUMNS:
        P.append(f"parquet : colonnes {t.column_names}")
    if not pa.types.is_dictionary(t.schema.field(PARQUET_COLUMNS[0]).type):
        P.append("parquet : N° dossier non encodé en dictionnaire")
    ids = pd.Series(t.column(PARQUET_COLUMNS[0]).cast(pa.string()).to_pandas(types_mapper=pd.ArrowDtype))
    if not ids.is_monotonic_increasing:
        P.append("parquet : lignes non triées par numéro d'opération")
    vals = dict(zip(PARQUET_COLUMNS[1:], (set(SEXES), set(AGES), set(STATUSES))))
    for c, allowed in vals.items():
        if not set(pc.unique(t.column(c).cast(pa.string())).to_pylist()) <= allowed:
            P.append(f"parquet : valeurs inattendues dans {c}")
    unknown = set(w.counts.index) - set(w.scope.loc[w.scope["programme"] == "fse", "op_id"])
    if unknown:
        P.append(f"parquet : {len(unknown)} opérations inconnues ou hors champ")
    return P


def check_totals(w: Written) -> list[str]:
    """Operations, amounts and participants per programme, wave, axis and OS of axis 3."""
    P = []
    tot = w.cal["programme_totals"]
    scope = w.scope
    keys = ["n_ops", "ue", "ct"] + (["participants"] if w.participants else [])
    for wv in ("2017", "2019"):
        f = scope[(scope["programme"] == "fse") & (scope["wave"] == wv)]
        for axe, v in tot["fse"][wv]["by_axe"].items():
            P += _compare(f"FSE {wv} axe {axe}", _agg(f[f["axe"] == axe]), v, keys)
        for os_, v in tot["fse"][wv].get("by_os_axe3", {}).items():
            P += _compare(f"FSE {wv} OS {os_}", _agg(f[f["os"] == os_]), v, keys)
        i = scope[(scope["programme"] == "iej") & (scope["wave"] == wv)]
        P += _compare(f"IEJ {wv}", _agg(i), tot["iej"][wv], ["n_ops", "ue", "ct"])
    return P


def check_register(w: Written) -> list[str]:
    """Format of the review register: columns, order, values, synthetic mention, absent operations."""
    P = []
    reg = w.reg
    if list(reg.columns) != REGISTER_COLUMNS:
        P.append("registre : colonnes inattendues")
    sorted_reg = reg.sort_values(["vague", "programme", "op_id"], kind="stable")
    if not sorted_reg.index.equals(reg.index):
        P.append("registre : lignes non triées par (vague, programme, op_id)")
    if reg["op_id"].duplicated().any():
        P.append("registre : opération en double")
    if not set(reg["decision"]) <= {"retenue", "ecartee", ""}:
        P.append("registre : décision inattendue")
    typology = w.params.yaml("typology")["categories"]
    if not set(reg.loc[reg["decision"] == "retenue", "categorie"]) <= set(typology):
        P.append("registre : catégorie inconnue")
    for c in SCORE_COLUMNS:
        if not set(reg[c]) <= {"0", "1", "2", ""}:
            P.append(f"registre : {c} hors de 0-2")
    if not reg["justification"].str.contains("données synthétiques", regex=False).all():
        P.append("registre : justification sans mention des données synthétiques")
    absent = reg[~reg["op_id"].isin(set(w.scope["op_id"]))]
    if (absent["statut"] != ABSENT_STATUS).any():
        P.append("registre : opérations inconnues sans statut « absente des données »")
    return P


def check_retained(w: Written) -> list[str]:
    """The retained sets of the register hit the note's figures per OS, axis, category, programme."""
    P = []
    r = w.retained
    if (r["programme"] != r["programme_op"]).any() or (r["vague"] != r["wave_op"]).any():
        P.append("registre : programme ou vague incohérents avec les données")
    rc = w.cal["retained"]
    for wv in ("2019", "2017"):
        f = r[(r["programme"] == "fse") & (r["vague"] == wv)]
        for os_, v in rc["fse"][wv]["by_os"].items():
            g = f[f["os_op"] == os_]
            got = {"n_ops": len(g), "ct": int(g["ct_c_op"].sum()), "ue": int(g["ue_c_op"].sum()),
                   "participants": int(g["participants_op"].sum()),
                   "ops_with_participants": int((g["participants_op"] > 0).sum())}
            keys = ["n_ops", "ct"] + [k for k in ("ue", "participants", "ops_with_participants") if k in v
                                      and (w.participants or k == "ue")]
            P += _compare(f"retenues FSE {wv} OS {os_}", got, v, keys)
        for axe, v in rc["fse"][wv]["by_axe"].items():
            g = f[f["axe_op"] == axe]
            got = {"ue": int(g["ue_c_op"].sum()), "participants": int(g["participants_op"].sum()),
                   "ops_with_participants": int((g["participants_op"] > 0).sum())}
            keys = ["ue"] + ([k for k in ("participants", "ops_with_participants") if k in v] if w.participants else [])
            P += _compare(f"retenues FSE {wv} axe {axe}", got, v, keys)
        for cat, v in rc["fse"][wv]["by_category"].items():
            g = f[f["categorie"] == cat]
            P += _compare(f"retenues FSE {wv} {cat}", {"n_ops": len(g), "ct": int(g["ct_c_op"].sum())}, v, ["n_ops", "ct"])
        g = r[(r["programme"] == "iej") & (r["vague"] == wv)]
        P += _compare(f"retenues IEJ {wv}", {"n_ops": len(g), "ct": int(g["ct_c_op"].sum()), "ue": int(g["ue_c_op"].sum())},
                      rc["iej"][wv], ["n_ops", "ct", "ue"])
    return P


def check_screening(w: Written) -> list[str]:
    """Wave 2019: no ambiguous keyword match, the pre-identified counts and their decisions, no
    keyword or actor anywhere else."""
    P = []
    ops, in19 = w.ops, w.in19
    ambiguous = in19 & (ops["hit_any"] != ops["preid"])
    if ambiguous.any():
        P.append(f"{int(ambiguous.sum())} opérations 2019 repérées selon une variante de la recherche seulement "
                 f"(ex. {ops.loc[ambiguous, 'op_id'].iloc[0]})")
    dec = w.decisions
    sc_cal = w.cal["screening_2019"]
    for prog in ("fse", "iej"):
        d = pd.Series(sorted(w.pre_ids[prog]), dtype="object").map(dec).fillna("")
        n_pre = len(w.pre_ids[prog])
        want = sc_cal[prog]
        if n_pre != want["preidentified"]:
            P.append(f"{prog} 2019 : {n_pre} opérations préidentifiées au lieu de {want['preidentified']}")
        if int((d == "retenue").sum()) != want["preidentified_retained"]:
            P.append(f"{prog} 2019 : {int((d == 'retenue').sum())} préidentifiées retenues")
        if int((d == "ecartee").sum()) != want["preidentified"] - want["preidentified_retained"]:
            P.append(f"{prog} 2019 : {int((d == 'ecartee').sum())} préidentifiées écartées")
    leak = ~(in19 & ops["preid"]) & ops["hit_any"]
    if leak.any():
        P.append(f"{int(leak.sum())} autres opérations avec un mot-clé ou un acteur (ex. {ops.loc[leak, 'op_id'].iloc[0]})")
    return P


def check_survey_answers(w: Written) -> list[str]:
    """Respondents, answers per type of managing body, observations and their themes."""
    P = []
    sv, cal = w.survey, w.cal["survey"]
    ans = sv["answer"].str.strip().str.casefold().replace({"ne se prononce pas": "nsp"})
    if len(sv) != cal["respondents"]:
        P.append(f"enquête : {len(sv)} répondants")
    for t, v in cal["by_type"].items():
        a = ans[sv["body_type"] == t].value_counts()
        for k in ("oui", "non", "nsp"):
            if int(a.get(k, 0)) != v[k]:
                P.append(f"enquête : {t} {k} = {int(a.get(k, 0))} au lieu de {v[k]}")
    obs = sv[sv["observations"].str.strip() != ""]
    if len(obs) != cal["with_observations"]:
        P.append(f"enquête : {len(obs)} observations")
    pats = {k: v["pattern"] for k, v in w.params.yaml("survey_themes")["themes"].items()}
    tc = {k: 0 for k in pats}
    for text in obs["observations"]:
        for k in theme_hits(text, pats):
            tc[k] += 1
    for k, n in cal["themes"].items():
        if tc[k] != n:
            P.append(f"enquête : thème {k} = {tc[k]} au lieu de {n}")
    return P


def check_survey_numbers(w: Written) -> list[str]:
    """Operation numbers cited in the survey: not found, before the wave, also pre-identified,
    survey-only retained or set aside; each cited once, on axis 3, with a decision."""
    P = []
    ops, nums, only = w.ops, w.survey_nums, w.survey_only
    sc_cal = w.cal["screening_2019"]["fse"]
    dec = w.decisions
    fse = ops[ops["programme"] == "fse"].set_index("op_id")
    all_ids = set(ops["op_id"])
    fse19 = set(w.scope.loc[(w.scope["programme"] == "fse") & (w.scope["wave"] == "2019"), "op_id"])
    before = set(fse.index[fse["programming_date_d"] < "2017-03-05"])
    found = [n for n in nums if n in fse19]
    c = {"not_found": sum(n not in all_ids for n in nums), "out": sum(n in before for n in nums),
         "also": sum(n in w.pre_ids["fse"] for n in found),
         "only_ret": sum(dec.get(n) == "retenue" for n in only), "only_rej": sum(dec.get(n) == "ecartee" for n in only)}
    for k, want in (("not_found", sc_cal["survey_not_found"]), ("out", sc_cal["survey_out_of_window"]),
                    ("also", sc_cal["survey_also_text"]), ("only_ret", sc_cal["survey_only_retained"]),
                    ("only_rej", sc_cal["survey_only_rejected"])):
        if c[k] != want:
            P.append(f"enquête : {k} = {c[k]} au lieu de {want}")
    if len(nums) != len(set(nums)):
        P.append("enquête : numéro cité deux fois")
    if len(only) != c["only_ret"] + c["only_rej"]:
        P.append("enquête : opérations citées sans décision au registre")
    if any(fse.loc[n, "axe"] != "3" for n in only):
        P.append("enquête : opération citée hors axe 3")
    return P


def check_lot5(w: Written) -> list[str]:
    P = []
    l5 = w.lot5
    sc_cal = w.cal["screening_2019"]["iej"]
    iej = w.scope[w.scope["programme"] == "iej"].set_index("op_id")
    if len(l5) != sc_cal["lot5_listed"]:
        P.append(f"lot 5 : {len(l5)} numéros")
    in_2017 = [n for n in l5["op_id"] if n in iej.index and iej.loc[n, "wave"] == "2017"]
    if len(w.lot5_in_wave) != sc_cal["lot5_in_wave"] or len(in_2017) != len(l5) - len(w.lot5_in_wave):
        P.append("lot 5 : répartition entre vagues inattendue")
    dec = w.decisions
    if any(n in w.pre_ids["iej"] or dec.get(n) != "retenue" for n in w.lot5_in_wave):
        P.append("lot 5 : une opération 2019 est préidentifiée ou non retenue")
    return P


def _candidates(w: Written) -> dict[str, set]:
    return {"fse": w.pre_ids["fse"] | set(w.survey_only), "iej": w.pre_ids["iej"] | set(w.lot5_in_wave)}


def check_register_covers_candidates(w: Written) -> list[str]:
    """The register of wave 2019 holds exactly its candidates (pre-identified, survey, lot 5)."""
    P = []
    cand = _candidates(w)
    for prog in ("fse", "iej"):
        rows = set(w.reg.loc[(w.reg["vague"] == "2019") & (w.reg["programme"] == prog), "op_id"])
        if rows != cand[prog]:
            P.append(f"registre 2019 {prog} : {len(rows ^ cand[prog])} écarts avec les candidates")
    return P


def check_continuations(w: Written) -> list[str]:
    """Candidates whose beneficiary was retained in 2017: the exact count, by exact and by fuzzy matching."""
    P = []
    cand = _candidates(w)
    actors, reg = w.actors, w.reg
    ben = w.ops.set_index("op_id")["beneficiary"]
    keys17 = {actors.key(ben[o]) for o in reg.loc[(reg["vague"] == "2017") & (reg["decision"] == "retenue"), "op_id"]
              if o in ben.index}
    n_cont = {p: sum(actors.key(ben[o]) in keys17 for o in cand[p]) for p in cand}
    if n_cont["fse"] != w.cal["screening_2019"]["fse"]["continuations"] or n_cont["iej"] != 0:
        P.append(f"continuations : {n_cont}")
    # a fuzzy name matching (word sets, close spellings) must not find more
    fuzzy = {p: sum(any(token_set_similarity(actors.key(ben[o]), k) >= 0.9 for k in keys17) for o in cand[p])
             for p in cand}
    if fuzzy != n_cont:
        P.append(f"continuations (correspondance approchée) : {fuzzy}")
    return P


def check_named_operations(w: Written) -> list[str]:
    """Each operation the note names is there once, with its published facts, decision and route."""
    P = []
    ops19 = w.ops[w.in19]
    reg = w.reg
    dec = w.decisions
    emb = set(reg.loc[reg["emblematique"] == "oui", "op_id"])
    cat_of = reg.set_index("op_id")["categorie"]
    for prog in ("fse", "iej"):
        for n in w.named[prog]:
            m = ops19[(ops19["programme"] == prog) & (ops19["title"] == n["title"])
                      & (ops19["beneficiary"] == n["beneficiary"])]
            if len(m) != 1:
                P.append(f"opération nommée absente : {n['title']}")
                continue
            o = m.iloc[0]
            for k, col in (("os", "os"), ("service", "service"), ("legal_form", "legal_form"),
                           ("beneficiary_type", "beneficiary_type")):
                if k in n and o[col] != n[k]:
                    P.append(f"{n['id']} : {k} = {o[col]!r}")
            if o["region_c"] != n["region"]:
                P.append(f"{n['id']} : région {o['region_c']}")
            for k in ("ct", "ue"):
                if n.get(k) is not None and o[k + "_c"] != int(round(float(n[k]) * 100)):
                    P.append(f"{n['id']} : {k} = {o[k]}")
            if n.get("programming_date") and str(o["programming_date_d"].date()) != str(n["programming_date"]):
                P.append(f"{n['id']} : date de programmation {o['programming_date']}")
            for k, col in (("n_actions", "n_actions"), ("planned", "planned")):
                if k in n and o[col] != str(n[k]):
                    P.append(f"{n['id']} : {k} = {o[col]}")
            if dec.get(o["op_id"]) != "retenue" or cat_of.get(o["op_id"]) != n["category"]:
                P.append(f"{n['id']} : pas retenue dans la catégorie {n['category']}")
            if bool(n.get("emblematique")) != (o["op_id"] in emb):
                P.append(f"{n['id']} : emblématique incohérent")
            route = n["route"]
            is_pre = o["op_id"] in w.pre_ids[prog]
            if (route in ("text", "actor")) != is_pre:
                P.append(f"{n['id']} : repérage ({route}) incohérent")
            if route == "text" and not (o["hit_a"] and o["hit_b"]):
                P.append(f"{n['id']} : aucun mot-clé dans ses textes")
            if route == "actor" and (o["hit_a"] or o["hit_b"] or not o["actor_strict"]):
                P.append(f"{n['id']} : devrait être repérée par le seul nom du porteur")
    return P


def check_regions_singled_out(w: Written) -> list[str]:
    """The three regions best represented among the retained operations of 2019 are the note's."""
    scope = w.scope
    f19 = scope[(scope["programme"] == "fse") & (scope["wave"] == "2019")]
    share_all = f19["region_c"].value_counts() / len(f19)
    rf = w.retained[(w.retained["programme"] == "fse") & (w.retained["vague"] == "2019")]
    rcount = rf["region_c_op"].value_counts()
    ratio = (rcount / len(rf) / share_all.reindex(rcount.index)).loc[rcount[rcount >= 3].index]
    top = set(ratio.sort_values(ascending=False).index[:3])
    if top != set(w.cal["regions_well_represented"]):
        return [f"régions les mieux représentées : {sorted(top)}"]
    return []


def check_texture(w: Written) -> list[str]:
    empty = (w.scope["description"].str.strip() == "").mean()
    if not 0.015 <= empty <= 0.05:
        return [f"part de descriptions vides : {empty:.3f}"]
    return []


CHECKS = (check_size_encodings_headers, check_formats, check_scope, check_participants_file, check_totals,
          check_register, check_retained, check_screening, check_survey_answers, check_survey_numbers, check_lot5,
          check_register_covers_candidates, check_continuations, check_named_operations, check_regions_singled_out,
          check_texture)


def verify(folder: str | Path, participants: bool = True) -> list[str]:
    """Every violation of every check (empty when the dataset meets every target)."""
    folder = Path(folder)
    missing = check_files(folder, participants)
    if missing:
        return missing
    written = read_written(folder, participants)
    return [v for check in CHECKS for v in check(written)]

"""Checks of the demo dataset, on the files as written (used by the generator and by the tests).

`verify(folder)` returns the list of problems (empty when every calibration target is met):
totals per programme / wave / axis / OS, excluded rows, the review register's retained sets,
the named operations, the screening counts of wave 2019 (keywords, actors, survey, lot 5,
continuations), the survey shares and themes, the regions the note singles out, formats and size.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from ..config import PROJECT_ROOT, load_params, load_yaml
from .textcheck import ActorMatcher, normalise_series, survey_numbers, theme_hits, token_set_similarity

HERE = Path(__file__).resolve().parent
BANNER = "# DONNÉES SYNTHÉTIQUES – jeu de démonstration isnote, aucune opération réelle"
FILES = {
    "ops_fse": "operations_pon_fse.csv", "ops_iej": "operations_pon_iej.csv",
    "qual_fse": "qualitatif_pon_fse.csv", "qual_iej": "qualitatif_pon_iej.csv",
    "participants": "participants_pon_fse.parquet", "survey": "enquete_gestionnaires_axe3.csv",
    "lot5": "iej_lot5.csv", "register": "registre_revue.csv", "readme": "LISEZMOI.md",
}
ENCODING = {"ops_fse": "cp1252", "ops_iej": "cp1252", "qual_fse": "utf-8", "qual_iej": "utf-8",
            "survey": "utf-8", "lot5": "utf-8", "register": "utf-8"}
REGISTER_COLUMNS = ["op_id", "programme", "vague", "decision", "categorie", "score_besoin", "score_experimentation",
                    "score_implication", "score_effets", "emblematique", "caractere_innovant", "justification",
                    "relecteur", "date_decision", "statut"]
MAX_BYTES = 25 * 1024 * 1024


def cents(meur: float) -> int:
    return int(round(float(meur) * 1e8))


def headers(mapping: dict, kind: str) -> list[str]:
    out = []
    for col, spec in mapping[kind].items():
        if col == "read":
            continue
        h = spec["header"] if isinstance(spec, dict) else spec
        out.append(h[0] if isinstance(h, list) else h)
    return out


def read_csv(path: Path, encoding: str, banner: bool = True) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding=encoding,
                       skiprows=1 if banner else 0)


def _region_key(s: str) -> str:
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


def load_ops(folder: Path, mapping: dict) -> pd.DataFrame:
    cols = ["op_id", "title", "beneficiary", "legal_form", "beneficiary_type", "axe", "pi", "os", "region", "service",
            "programming_date", "start_date", "end_date", "ct", "ue", "planned", "place", "n_actions"]
    qcols = ["op_id", "call_title", "description", "actions", "results"]
    frames = []
    for prog in ("fse", "iej"):
        ops = read_csv(folder / FILES[f"ops_{prog}"], "cp1252")
        q = read_csv(folder / FILES[f"qual_{prog}"], "utf-8")
        ops.columns, q.columns = cols, qcols
        ops = ops.merge(q, on="op_id", how="left", validate="one_to_one")
        ops["programme"] = prog
        frames.append(ops)
    ops = pd.concat(frames, ignore_index=True)
    for c in ("ct", "ue"):
        ops[c + "_c"] = ops[c].str.replace(r"[ \u00a0]", "", regex=True).str.replace(",", "", regex=False).astype("int64")
    for c in ("programming_date", "start_date", "end_date"):
        ops[c + "_d"] = pd.to_datetime(ops[c], format="%d/%m/%Y")
    ops = ops.fillna("")
    return ops


def verify(folder: str | Path, participants: bool = True) -> list[str]:
    folder = Path(folder)
    P: list[str] = []
    cal = load_yaml(HERE / "calibration.yaml")
    named = load_yaml(HERE / "named_operations.yaml")
    params = load_params(PROJECT_ROOT / "params" / "demo.yaml")
    mapping = params.yaml("mapping")
    keywords = params.yaml("keywords")
    actors = ActorMatcher.from_yaml(params.yaml("actors"))
    themes = params.yaml("survey_themes")
    regions = params.yaml("nomenclature")["regions"]

    # ---------------------------------------------------------------- files, banner, encodings, size
    for key, name in FILES.items():
        if key == "participants" and not participants:
            continue
        if not (folder / name).exists():
            P.append(f"fichier manquant : {name}")
    if P:
        return P
    total = sum((folder / n).stat().st_size for n in FILES.values() if (folder / n).exists())
    if total >= MAX_BYTES:
        P.append(f"jeu de données trop gros : {total} octets")
    for key, enc in ENCODING.items():
        raw = (folder / FILES[key]).read_bytes()
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
        got = list(read_csv(folder / FILES[key], ENCODING[key]).columns)
        if got != headers(mapping, kind):
            P.append(f"{FILES[key]} : en-têtes {got}")

    ops = load_ops(folder, mapping)
    # ---------------------------------------------------------------- formats
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
    canon = {_region_key(r): r for r in regions}
    ops["region_c"] = ops["region"].map(lambda r: canon.get(_region_key(r), "?"))
    if (ops["region_c"] == "?").any():
        P.append("région inconnue : " + ops.loc[ops["region_c"] == "?", "region"].iloc[0])

    # ---------------------------------------------------------------- scope and totals
    ta = ops["os"].str.startswith("4AT")
    ops["wave"] = ""
    waves = {str(k): (str(v["start"]), str(v["end"])) for k, v in params["waves"].items()}
    for w, (a, b) in waves.items():
        ops.loc[(ops["programming_date_d"] >= a) & (ops["programming_date_d"] <= b), "wave"] = w
    exc = cal["excluded"]
    for prog in ("fse", "iej"):
        m = ops["programme"] == prog
        if int((m & ta).sum()) != exc[prog]["technical_assistance"]:
            P.append(f"{prog} : {int((m & ta).sum())} opérations d'assistance technique")
        after = m & ~ta & (ops["wave"] == "")
        if int(after.sum()) != exc[prog]["after_window"]:
            P.append(f"{prog} : {int(after.sum())} opérations hors fenêtre")
        if (m & ~ta & (ops["programming_date_d"] >= str(params["extract_date"]))).any():
            P.append(f"{prog} : programmation après la date d'extraction")
    scope = ops[~ta & (ops["wave"] != "")].copy()
    tot = cal["programme_totals"]
    n_scope = sum(v["n_ops"] for w in tot["fse"].values() for v in w["by_axe"].values()) + \
        sum(w["n_ops"] for w in tot["iej"].values())
    if len(scope) != n_scope:
        P.append(f"{len(scope)} opérations dans le champ ({n_scope} attendues)")

    counts = pd.Series(dtype="int64")
    if participants:
        import pyarrow.parquet as pq
        pf = pq.ParquetFile(folder / FILES["participants"])
        meta = pf.metadata.metadata or {}
        if meta.get(b"isnote:synthetic") != b"true":
            P.append("parquet : métadonnée isnote:synthetic absente")
        if b"pandas" in meta:
            P.append("parquet : métadonnées pandas présentes")
        import pyarrow as pa
        import pyarrow.compute as pc
        t = pf.read()
        if t.column_names != ["N° dossier", "Sexe", "Tranche d'âge", "Statut à l'entrée"]:
            P.append(f"parquet : colonnes {t.column_names}")
        if not pa.types.is_dictionary(t.schema.field("N° dossier").type):
            P.append("parquet : N° dossier non encodé en dictionnaire")
        ids = pd.Series(t.column("N° dossier").cast(pa.string()).to_pandas(types_mapper=pd.ArrowDtype))
        if not ids.is_monotonic_increasing:
            P.append("parquet : lignes non triées par numéro d'opération")
        vc = pc.value_counts(t.column("N° dossier").cast(pa.string()))
        counts = pd.Series(vc.field("counts").to_numpy(), index=vc.field("values").to_pylist())
        vals = {"Sexe": {"F", "H"}, "Tranche d'âge": {"moins de 25 ans", "25 à 54 ans", "55 ans et plus"},
                "Statut à l'entrée": {"Demandeur d'emploi", "Demandeur d'emploi de longue durée", "Inactif", "En emploi"}}
        for c, allowed in vals.items():
            if not set(pc.unique(t.column(c).cast(pa.string())).to_pylist()) <= allowed:
                P.append(f"parquet : valeurs inattendues dans {c}")
        unknown = set(counts.index) - set(scope.loc[scope["programme"] == "fse", "op_id"])
        if unknown:
            P.append(f"parquet : {len(unknown)} opérations inconnues ou hors champ")
    scope["participants"] = scope["op_id"].map(counts).fillna(0).astype("int64")

    def agg(df):
        return {"n_ops": len(df), "ue": int(df["ue_c"].sum()), "ct": int(df["ct_c"].sum()),
                "participants": int(df["participants"].sum())}

    def compare(label, got, want, keys):
        for k in keys:
            w = cents(want[k]) if k in ("ue", "ct") else int(want[k])
            if got[k] != w:
                P.append(f"{label} : {k} = {got[k]} au lieu de {w}")

    tot = cal["programme_totals"]
    for w in ("2017", "2019"):
        f = scope[(scope["programme"] == "fse") & (scope["wave"] == w)]
        for axe, v in tot["fse"][w]["by_axe"].items():
            compare(f"FSE {w} axe {axe}", agg(f[f["axe"] == axe]), v,
                    ["n_ops", "ue", "ct"] + (["participants"] if participants else []))
        for os_, v in tot["fse"][w].get("by_os_axe3", {}).items():
            compare(f"FSE {w} OS {os_}", agg(f[f["os"] == os_]), v,
                    ["n_ops", "ue", "ct"] + (["participants"] if participants else []))
        i = scope[(scope["programme"] == "iej") & (scope["wave"] == w)]
        compare(f"IEJ {w}", agg(i), tot["iej"][w], ["n_ops", "ue", "ct"])

    # ---------------------------------------------------------------- register
    reg = read_csv(folder / FILES["register"], "utf-8", banner=False)
    if list(reg.columns) != REGISTER_COLUMNS:
        P.append("registre : colonnes inattendues")
    sorted_reg = reg.sort_values(["vague", "programme", "op_id"], kind="stable")
    if not sorted_reg.index.equals(reg.index):
        P.append("registre : lignes non triées par (vague, programme, op_id)")
    if reg["op_id"].duplicated().any():
        P.append("registre : opération en double")
    if not set(reg["decision"]) <= {"retenue", "ecartee", ""}:
        P.append("registre : décision inattendue")
    typology = params.yaml("typology")["categories"]
    ret = reg[reg["decision"] == "retenue"]
    if not set(ret["categorie"]) <= set(typology):
        P.append("registre : catégorie inconnue")
    for c in ("score_besoin", "score_experimentation", "score_implication", "score_effets"):
        if not set(reg[c]) <= {"0", "1", "2", ""}:
            P.append(f"registre : {c} hors de 0-2")
    if not reg["justification"].str.contains("données synthétiques", regex=False).all():
        P.append("registre : justification sans mention des données synthétiques")
    known = set(scope["op_id"])
    absent = reg[~reg["op_id"].isin(known)]
    if (absent["statut"] != "absente des données").any():
        P.append("registre : opérations inconnues sans statut « absente des données »")
    sc = scope.set_index("op_id")
    r = ret[ret["op_id"].isin(known)].copy()
    for c in ("programme", "wave", "axe", "os", "ue_c", "ct_c", "participants", "region_c"):
        r[c + "_op"] = r["op_id"].map(sc[c])
    if (r["programme"] != r["programme_op"]).any() or (r["vague"] != r["wave_op"]).any():
        P.append("registre : programme ou vague incohérents avec les données")
    rc = cal["retained"]
    for w in ("2019", "2017"):
        f = r[(r["programme"] == "fse") & (r["vague"] == w)]
        for os_, v in rc["fse"][w]["by_os"].items():
            g = f[f["os_op"] == os_]
            got = {"n_ops": len(g), "ct": int(g["ct_c_op"].sum()), "ue": int(g["ue_c_op"].sum()),
                   "participants": int(g["participants_op"].sum()),
                   "ops_with_participants": int((g["participants_op"] > 0).sum())}
            keys = ["n_ops", "ct"] + [k for k in ("ue", "participants", "ops_with_participants") if k in v
                                      and (participants or k == "ue")]
            compare(f"retenues FSE {w} OS {os_}", got, v, keys)
        for axe, v in rc["fse"][w]["by_axe"].items():
            g = f[f["axe_op"] == axe]
            got = {"ue": int(g["ue_c_op"].sum()), "participants": int(g["participants_op"].sum()),
                   "ops_with_participants": int((g["participants_op"] > 0).sum())}
            keys = ["ue"] + ([k for k in ("participants", "ops_with_participants") if k in v] if participants else [])
            compare(f"retenues FSE {w} axe {axe}", got, v, keys)
        for cat, v in rc["fse"][w]["by_category"].items():
            g = f[f["categorie"] == cat]
            compare(f"retenues FSE {w} {cat}", {"n_ops": len(g), "ct": int(g["ct_c_op"].sum())}, v, ["n_ops", "ct"])
        g = r[(r["programme"] == "iej") & (r["vague"] == w)]
        compare(f"retenues IEJ {w}", {"n_ops": len(g), "ct": int(g["ct_c_op"].sum()), "ue": int(g["ue_c_op"].sum())},
                rc["iej"][w], ["n_ops", "ct", "ue"])

    # ---------------------------------------------------------------- screening, wave 2019
    hits = _Hits(keywords)
    fields = ["title", "beneficiary", "call_title", "description", "actions", "results"]
    joined = ops[fields[0]].astype("str")
    for f_ in fields[1:]:
        joined = joined + " | " + ops[f_].astype("str")
    joined = normalise_series(joined)
    # variant: every other punctuation turned into a space as well (fields kept apart by "|")
    joined2 = joined.str.replace(r"[^a-z0-9| ]", " ", regex=True).str.replace(r" +", " ", regex=True)
    ab = joined.map(hits.both)
    ab2 = joined2.map(hits.both)
    ops["hit_a"] = ab.str[0] & ab2.str[0]
    ops["hit_b"] = ab.str[1] & ab2.str[1]
    hit_any_text = ab.str[0] | ab.str[1] | ab2.str[0] | ab2.str[1]
    ops["actor_strict"] = ops["beneficiary"].map(lambda b: actors.strict(b) is not None)
    ops["actor_loose"] = ops["beneficiary"].map(lambda b: actors.loose(b) is not None)
    ops["hit_any"] = hit_any_text | ops["actor_loose"] | ops["actor_strict"]
    ops["preid"] = (ops["hit_a"] & ops["hit_b"]) | ops["actor_strict"]
    in19 = ops["op_id"].isin(scope.loc[scope["wave"] == "2019", "op_id"])
    ambiguous = in19 & (ops["hit_any"] != ops["preid"])
    if ambiguous.any():
        P.append(f"{int(ambiguous.sum())} opérations 2019 repérées selon une variante de la recherche seulement "
                 f"(ex. {ops.loc[ambiguous, 'op_id'].iloc[0]})")
    dec = reg.set_index("op_id")["decision"]
    sc_cal = cal["screening_2019"]
    pre_ids: dict[str, set] = {}
    for prog in ("fse", "iej"):
        m = in19 & (ops["programme"] == prog)
        pre = ops[m & ops["preid"]]
        pre_ids[prog] = set(pre["op_id"])
        d = pre["op_id"].map(dec).fillna("")
        want = sc_cal[prog]
        if len(pre) != want["preidentified"]:
            P.append(f"{prog} 2019 : {len(pre)} opérations préidentifiées au lieu de {want['preidentified']}")
        if int((d == "retenue").sum()) != want["preidentified_retained"]:
            P.append(f"{prog} 2019 : {int((d == 'retenue').sum())} préidentifiées retenues")
        if int((d == "ecartee").sum()) != want["preidentified"] - want["preidentified_retained"]:
            P.append(f"{prog} 2019 : {int((d == 'ecartee').sum())} préidentifiées écartées")
    others = ~(in19 & ops["preid"])
    leak = others & ops["hit_any"]
    if leak.any():
        P.append(f"{int(leak.sum())} autres opérations avec un mot-clé ou un acteur (ex. {ops.loc[leak, 'op_id'].iloc[0]})")

    # survey
    sv = read_csv(folder / FILES["survey"], "utf-8")
    sv.columns = ["respondent_id", "respondent", "body_type", "answer", "operations_named", "observations"]
    ans = sv["answer"].str.strip().str.casefold().replace({"ne se prononce pas": "nsp"})
    if len(sv) != cal["survey"]["respondents"]:
        P.append(f"enquête : {len(sv)} répondants")
    for t, v in cal["survey"]["by_type"].items():
        a = ans[sv["body_type"] == t].value_counts()
        for k in ("oui", "non", "nsp"):
            if int(a.get(k, 0)) != v[k]:
                P.append(f"enquête : {t} {k} = {int(a.get(k, 0))} au lieu de {v[k]}")
    obs = sv[sv["observations"].str.strip() != ""]
    if len(obs) != cal["survey"]["with_observations"]:
        P.append(f"enquête : {len(obs)} observations")
    pats = {k: v["pattern"] for k, v in themes["themes"].items()}
    tc = {k: 0 for k in pats}
    for text in obs["observations"]:
        for k in theme_hits(text, pats):
            tc[k] += 1
    for k, n in cal["survey"]["themes"].items():
        if tc[k] != n:
            P.append(f"enquête : thème {k} = {tc[k]} au lieu de {n}")
    nums = [n for t in sv["operations_named"] for n in survey_numbers(t)]
    fse = ops[ops["programme"] == "fse"].set_index("op_id")
    all_ids = set(ops["op_id"])
    fse19 = set(scope.loc[(scope["programme"] == "fse") & (scope["wave"] == "2019"), "op_id"])
    before = set(fse.index[fse["programming_date_d"] < "2017-03-05"])
    found = [n for n in nums if n in fse19]
    c = {"not_found": sum(n not in all_ids for n in nums), "out": sum(n in before for n in nums),
         "also": sum(n in pre_ids["fse"] for n in found)}
    only = [n for n in found if n not in pre_ids["fse"]]
    c["only_ret"] = sum(dec.get(n) == "retenue" for n in only)
    c["only_rej"] = sum(dec.get(n) == "ecartee" for n in only)
    for k, want in (("not_found", sc_cal["fse"]["survey_not_found"]), ("out", sc_cal["fse"]["survey_out_of_window"]),
                    ("also", sc_cal["fse"]["survey_also_text"]), ("only_ret", sc_cal["fse"]["survey_only_retained"]),
                    ("only_rej", sc_cal["fse"]["survey_only_rejected"])):
        if c[k] != want:
            P.append(f"enquête : {k} = {c[k]} au lieu de {want}")
    if len(nums) != len(set(nums)):
        P.append("enquête : numéro cité deux fois")
    if len(only) != c["only_ret"] + c["only_rej"]:
        P.append("enquête : opérations citées sans décision au registre")
    if any(fse.loc[n, "axe"] != "3" for n in only):
        P.append("enquête : opération citée hors axe 3")
    # lot 5
    l5 = read_csv(folder / FILES["lot5"], "utf-8")
    l5.columns = ["op_id", "title"]
    iej = scope[scope["programme"] == "iej"].set_index("op_id")
    if len(l5) != sc_cal["iej"]["lot5_listed"]:
        P.append(f"lot 5 : {len(l5)} numéros")
    in_wave = [n for n in l5["op_id"] if n in iej.index and iej.loc[n, "wave"] == "2019"]
    in_2017 = [n for n in l5["op_id"] if n in iej.index and iej.loc[n, "wave"] == "2017"]
    if len(in_wave) != sc_cal["iej"]["lot5_in_wave"] or len(in_2017) != len(l5) - len(in_wave):
        P.append("lot 5 : répartition entre vagues inattendue")
    if any(n in pre_ids["iej"] or dec.get(n) != "retenue" for n in in_wave):
        P.append("lot 5 : une opération 2019 est préidentifiée ou non retenue")
    # register covers exactly the candidates of wave 2019
    cand = {"fse": pre_ids["fse"] | set(only), "iej": pre_ids["iej"] | set(in_wave)}
    for prog in ("fse", "iej"):
        rows = set(reg.loc[(reg["vague"] == "2019") & (reg["programme"] == prog), "op_id"])
        if rows != cand[prog]:
            P.append(f"registre 2019 {prog} : {len(rows ^ cand[prog])} écarts avec les candidates")
    # continuations
    ben = ops.set_index("op_id")["beneficiary"]
    keys17 = {actors.key(ben[o]) for o in reg.loc[(reg["vague"] == "2017") & (reg["decision"] == "retenue"), "op_id"]
              if o in ben.index}
    n_cont = {p: sum(actors.key(ben[o]) in keys17 for o in cand[p]) for p in cand}
    if n_cont["fse"] != sc_cal["fse"]["continuations"] or n_cont["iej"] != 0:
        P.append(f"continuations : {n_cont}")
    # a fuzzy name matching (word sets, close spellings) must not find more
    fuzzy = {p: sum(any(token_set_similarity(actors.key(ben[o]), k) >= 0.9 for k in keys17) for o in cand[p])
             for p in cand}
    if fuzzy != n_cont:
        P.append(f"continuations (correspondance approchée) : {fuzzy}")

    # ---------------------------------------------------------------- named operations
    ops19 = ops[in19]
    emb = set(reg.loc[reg["emblematique"] == "oui", "op_id"])
    cat_of = reg.set_index("op_id")["categorie"]
    for prog in ("fse", "iej"):
        for n in named[prog]:
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
            is_pre = o["op_id"] in pre_ids[prog]
            if (route in ("text", "actor")) != is_pre:
                P.append(f"{n['id']} : repérage ({route}) incohérent")
            if route == "text" and not (o["hit_a"] and o["hit_b"]):
                P.append(f"{n['id']} : aucun mot-clé dans ses textes")
            if route == "actor" and (o["hit_a"] or o["hit_b"] or not o["actor_strict"]):
                P.append(f"{n['id']} : devrait être repérée par le seul nom du porteur")

    # ---------------------------------------------------------------- regions singled out by the note
    f19 = scope[(scope["programme"] == "fse") & (scope["wave"] == "2019")]
    share_all = f19["region_c"].value_counts() / len(f19)
    rf = r[(r["programme"] == "fse") & (r["vague"] == "2019")]
    rcount = rf["region_c_op"].value_counts()
    ratio = (rcount / len(rf) / share_all.reindex(rcount.index)).loc[rcount[rcount >= 3].index]
    top = set(ratio.sort_values(ascending=False).index[:3])
    if top != set(cal["regions_well_represented"]):
        P.append(f"régions les mieux représentées : {sorted(top)}")

    # ---------------------------------------------------------------- texture
    empty = (scope["description"].str.strip() == "").mean()
    if not 0.015 <= empty <= 0.05:
        P.append(f"part de descriptions vides : {empty:.3f}")
    return P

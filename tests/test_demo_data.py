"""The synthetic demo dataset (data/demo) and its seeded generator (isnote_demo, in demo_generator/)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from isnote.config import PROJECT_ROOT
from isnote_demo import checks, generate
from isnote_demo.constants import REGISTER_COLUMNS, SPECS_DIR
from isnote_demo.textcheck import ActorMatcher, KeywordGroups, normalise, survey_numbers, theme_hits

DEMO = PROJECT_ROOT / "data" / "demo"
FIXTURE = yaml.safe_load((PROJECT_ROOT / "tests" / "fixtures" / "published_figures.yaml").read_text(encoding="utf-8"))
BANNER = "# DONNÉES SYNTHÉTIQUES – jeu de démonstration isnote, aucune opération réelle"
CSV_FILES = ["operations_pon_fse.csv", "operations_pon_iej.csv", "qualitatif_pon_fse.csv", "qualitatif_pon_iej.csv",
             "enquete_gestionnaires_axe3.csv", "iej_lot5.csv", "registre_revue.csv", "LISEZMOI.md"]
OPS_HEADERS = ["N° dossier", "Intitulé de l'opération", "Bénéficiaire", "Statut juridique", "Type de bénéficiaire",
               "Axe", "PI", "OS", "Région", "Service gestionnaire", "Date de programmation", "Date de début",
               "Date de fin", "Coût total programmé", "Montant UE programmé", "Nombre de participants prévus",
               "Localisation", "Nombre d'actions"]


def r1(x: float) -> float:
    """Round half up to one decimal, as the note does."""
    import math
    return math.floor(x * 10 + 0.5 + 1e-9) / 10


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_ops(prog: str) -> pd.DataFrame:
    df = pd.read_csv(DEMO / f"operations_pon_{prog}.csv", sep=";", skiprows=1, dtype=str, encoding="cp1252",
                     keep_default_na=False)
    for c in ("Coût total programmé", "Montant UE programmé"):
        df[c] = pd.to_numeric(df[c].str.replace(r"[ \u00a0]", "", regex=True).str.replace(",", ".", regex=False))
    df["date"] = pd.to_datetime(df["Date de programmation"], format="%d/%m/%Y")
    return df


def in_wave(df: pd.DataFrame, wave: str) -> pd.DataFrame:
    lo, hi = {"2017": ("2014-01-01", "2017-03-04"), "2019": ("2017-03-05", "2018-12-31")}[wave]
    return df[~df["OS"].str.startswith("4AT") & (df["date"] >= lo) & (df["date"] <= hi)]


# ------------------------------------------------------------------------------ committed data

def test_files_headers_and_encodings():
    for name in CSV_FILES[:6]:
        raw = (DEMO / name).read_bytes()
        enc = "cp1252" if name.startswith("operations") else "utf-8"
        text = raw.decode(enc)
        assert text.split("\n", 1)[0] == BANNER, name
        if enc == "cp1252":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")          # really Windows-1252, with accents
    assert list(read_ops("fse").columns[:18]) == OPS_HEADERS
    assert list(read_ops("iej").columns[:18]) == OPS_HEADERS
    reg = (DEMO / "registre_revue.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    assert reg == ";".join(REGISTER_COLUMNS)


def test_volumes_match_tableau_2():
    for prog in ("fse", "iej"):
        ops = read_ops(prog)
        for wave, v in FIXTURE["volumes"][prog].items():
            w = in_wave(ops, wave)
            assert len(w) == v["n_ops"]
            assert r1(w["Montant UE programmé"].sum() / 1e6) == v["ue"]
            assert r1(w["Coût total programmé"].sum() / 1e6) == v["ct"]


def test_totals_hit_the_calibration_to_the_cent():
    cal = yaml.safe_load((SPECS_DIR / "calibration.yaml").read_text(encoding="utf-8"))

    def cents(series):
        return int(round(series.sum() * 100))

    for prog in ("fse", "iej"):
        ops = read_ops(prog)
        for wave in ("2017", "2019"):
            w = in_wave(ops, wave)
            spec = cal["programme_totals"][prog][wave]
            blocks = spec["by_axe"].items() if prog == "fse" else [(None, spec)]
            for axe, v in blocks:
                sel = w if axe is None else w[w["Axe"] == axe]
                assert len(sel) == v["n_ops"], (prog, wave, axe)
                assert cents(sel["Coût total programmé"]) == int(round(v["ct"] * 1e8)), (prog, wave, axe)
                assert cents(sel["Montant UE programmé"]) == int(round(v["ue"] * 1e8)), (prog, wave, axe)
        excluded = len(ops) - len(in_wave(ops, "2017")) - len(in_wave(ops, "2019"))
        assert excluded == sum(cal["excluded"][prog].values())


def test_pon_totals_per_axis_and_participants():
    ops = read_ops("fse")
    ids = pq.read_table(DEMO / "participants_pon_fse.parquet", columns=["N° dossier"]).column(0).to_pandas()
    counts = ids.astype(str).value_counts()
    ops["participants"] = ops["N° dossier"].map(counts).fillna(0)
    for wave, block in FIXTURE["pon_totals"]["fse"].items():
        w = in_wave(ops, wave)
        for key, v in block.items():
            sel = w if key == "total" else (w[w["Axe"] == key[-1]] if key.startswith("axe") else w[w["OS"] == key])
            assert len(sel) == v["n_ops"], (wave, key)
            assert int(sel["participants"].sum()) == v["participants"], (wave, key)
            assert r1(sel["Coût total programmé"].sum() / 1e6) == v["ct"], (wave, key)
    assert len(ids) == sum(FIXTURE["pon_totals"]["fse"][w]["total"]["participants"] for w in ("2017", "2019"))


def test_retained_sets_round_to_the_note():
    reg = pd.read_csv(DEMO / "registre_revue.csv", sep=";", dtype=str, keep_default_na=False)
    ret = reg[reg["decision"] == "retenue"]
    ops = read_ops("fse").set_index("N° dossier")
    for wave in ("2019", "2017"):
        r = ret[(ret["programme"] == "fse") & (ret["vague"] == wave)]
        r = r.assign(os=r["op_id"].map(ops["OS"]), ct=r["op_id"].map(ops["Coût total programmé"]))
        for os_, v in FIXTURE["retained"]["fse"][wave].items():
            if os_.startswith(("axe", "total")):
                continue
            g = r[r["os"] == os_]
            assert len(g) == v["n_ops"] and r1(g["ct"].sum() / 1e6) == v["ct"], (wave, os_)
        assert r1(r["ct"].sum() / 1e6) == FIXTURE["retained"]["fse"][wave]["total"]["ct"]
    r19 = ret[(ret["programme"] == "fse") & (ret["vague"] == "2019")]
    r19 = r19.assign(ct=r19["op_id"].map(ops["Coût total programmé"]))
    for cat, v in FIXTURE["by_type"]["fse"]["2019"].items():
        g = r19[r19["categorie"] == cat]
        assert len(g) == v["n_ops"] and r1(g["ct"].sum() / 1e6) == v["ct"], cat
    iej = read_ops("iej").set_index("N° dossier")
    for wave in ("2019", "2017"):
        g = ret[(ret["programme"] == "iej") & (ret["vague"] == wave)]
        v = FIXTURE["retained"]["iej"][wave]["total"]
        assert len(g) == v["n_ops"]
        assert r1(g["op_id"].map(iej["Coût total programmé"]).sum() / 1e6) == v["ct"]


def test_participants_parquet_format():
    f = pq.ParquetFile(DEMO / "participants_pon_fse.parquet")
    meta = f.metadata.metadata
    assert meta[b"isnote:synthetic"] == b"true" and b"pandas" not in meta
    assert f.metadata.row_group(0).column(0).compression == "ZSTD"
    t = f.read()
    assert str(t.schema.field("N° dossier").type).startswith("dictionary")
    ids = t.column("N° dossier").to_pandas().astype(str)
    assert ids.is_monotonic_increasing
    assert set(t.column("Sexe").to_pandas().astype(str)) == {"F", "H"}


@pytest.fixture
def demo_verification(chains):
    return chains.result("demo_verification")


def test_full_verification_of_committed_data(demo_verification):
    """The generator's own checks (screening counts, survey, named operations, regions...), in a
    process of its own in the background (tests/chains.py)."""
    import json
    assert demo_verification.returncode == 0, demo_verification.log[-6000:]
    assert json.loads(demo_verification.log.strip().splitlines()[-1]) == []


def test_size_under_25_mb():
    assert sum(p.stat().st_size for p in DEMO.iterdir() if p.is_file()) < 25 * 1024 * 1024


def test_readme_counts_match_data():
    text = (DEMO / "LISEZMOI.md").read_text(encoding="utf-8")
    raw = (DEMO / "operations_pon_fse.csv").read_bytes().decode("cp1252") + \
        (DEMO / "operations_pon_iej.csv").read_bytes().decode("cp1252")
    import re
    spaced = len(re.findall(r";\d{1,3}(?: \d{3})+,\d\d;", raw))
    nbsp = len(re.findall(r";\d{1,3}(?:\u00a0\d{3})+,\d\d;", raw))
    assert spaced > 0 and nbsp > 0
    assert f"- {spaced} coûts totaux écrits avec une espace" in text
    assert f"et {nbsp} avec une espace insécable" in text
    assert "SYNTHÉTIQUES" in text


# ------------------------------------------------------------------------------ self-check logic

def test_normalise_and_keywords():
    assert normalise("L’Évaluation de l'IMPACT  social – œuvre") == "l evaluation de l impact social oeuvre"
    kw = KeywordGroups.from_yaml(yaml.safe_load((PROJECT_ROOT / "params" / "keywords_note_2019.yaml").read_text(encoding="utf-8")))
    assert kw.preidentified(["Une démarche INNOVANTE de recrutement"])
    assert kw.preidentified(["l'évaluation de l’impact de l'action"])
    assert not kw.preidentified(["Rénovation de logements ; rénover les locaux ; Innov'emploi"])
    assert not kw.preidentified(["expérimentation avec les parties prenantes, développement durable"])


def test_actor_matching_and_survey_numbers():
    am = ActorMatcher.from_yaml(yaml.safe_load((PROJECT_ROOT / "params" / "actors_note_2019.yaml").read_text(encoding="utf-8")))
    assert am.strict("CRESS Pays de la Loire") == "CRESS"
    assert am.strict("Active, Pole de l'Economie Solidaire") == "Pôle de l'économie solidaire"
    assert am.strict("ECONOMIE SOLIDAIRE ET INSERTION ACTIVE") == "France Active"
    assert am.loose("Mission locale de Rennes") is None
    assert am.key("Association Les Ateliers du Bocage") == am.key("ATELIERS  DU BOCAGE")
    assert survey_numbers("n° 2018 00345, MDFSE-201800346 et 201 800 347 / dossier 201800348") == \
        ["201800345", "201800346", "201800347", "201800348"]
    assert theme_hits("La lourdeur administrative et la trésorerie", {"a": "lourdeur", "b": "tresorerie", "c": "flou"}) == ["a", "b"]


# ------------------------------------------------------------------------------ the generator

# The two generations run in one process of their own, in the background from the session's
# start (tests/chains.py, job demo_generations): a fresh one, then a second one in the same
# process (without the participants file).

def _python(code: str) -> list[str]:
    import sys
    paths = [str(PROJECT_ROOT / "src"), str(PROJECT_ROOT / "demo_generator")]
    return [sys.executable, "-c", f"import sys; sys.path[:0] = {paths!r}\n" + code]


def prepare_generations(folder: Path) -> list[str]:
    """The fresh generation is made without the generator's self-check: its files are compared
    byte for byte with data/demo, which test_full_verification_of_committed_data checks in full
    (the self-check would be the same check on the same bytes); the self-check stays live in the
    second generation and in test_generation_fails_when_a_target_is_missed."""
    return _python("from isnote_demo import generate\n"
                   f"generate.generate({str(folder / 'a')!r}, check=False)\n"
                   f"generate.generate({str(folder / 'b')!r}, skip_participants=True)\n")


def prepare_verification(folder: Path) -> list[str]:
    return _python(f"import json\nfrom isnote_demo import checks\nprint(json.dumps(checks.verify({str(DEMO)!r})))")


@pytest.fixture(scope="module")
def demo_generations(chains):
    result = chains.result("demo_generations")
    assert result.returncode == 0, result.log[-6000:]
    return result.folder


@pytest.fixture(scope="module")
def fresh(demo_generations):
    return demo_generations / "a"


@pytest.mark.slow
def test_generator_reproduces_committed_files_byte_for_byte(fresh):
    """A fresh generation equals data/demo (written by `make demo-data` in another process)."""
    for p in sorted(DEMO.iterdir()):
        assert sha(fresh / p.name) == sha(p), p.name
    assert sorted(x.name for x in fresh.iterdir()) == sorted(x.name for x in DEMO.iterdir())


@pytest.mark.slow
def test_generator_is_deterministic(fresh, demo_generations):
    for name in CSV_FILES:
        assert sha(demo_generations / "b" / name) == sha(fresh / name), name


@pytest.mark.slow
def test_generation_fails_when_a_target_is_missed(tmp_path, monkeypatch):
    """The self-check is live: a broken calibration makes generation fail, and writes nothing."""
    monkeypatch.setattr(checks, "verify", lambda folder, participants=True: ["cible manquée"])
    out = tmp_path / "c"
    with pytest.raises(generate.GenerationError):
        generate.generate(out, skip_participants=True)
    assert not out.exists() or not any(out.iterdir())


# ------------------------------------------------------------------------------ package boundaries and checks

def test_runtime_does_not_import_the_generator():
    """The generator depends on the runtime (isnote), never the reverse; it lives outside src/isnote."""
    import ast

    src = PROJECT_ROOT / "src" / "isnote"
    assert not (src / "demo").exists()
    offenders = []
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "isnote_demo" or n.startswith("isnote.demo")]
    assert offenders == []


def test_text_and_geography_banks_load_from_data_files():
    from isnote_demo.banks import de_town, geo, region_info, texts

    fam = texts.families["ml"]
    assert fam["templates"][0] == "Mission locale {de_town}" and fam["legal_form"] == "Association"
    assert region_info("Bretagne")["agd"].startswith("DIRECCTE") and region_info("Mayotte")["towns"]
    assert set(geo.region_weights) <= set(geo.regions) and geo.national == "Volet national du FSE"
    assert (de_town("Le Havre"), de_town("Amiens"), de_town("Brest")) == ("du Havre", "d'Amiens", "de Brest")


def test_checks_find_a_broken_register(tmp_path, monkeypatch):
    """Each check returns its violations: a register that lost a retained operation of 2019 and
    gained an unknown one without the « absente des données » status is reported by several checks."""
    import shutil

    for p in DEMO.iterdir():
        if p.is_file() and p.suffix != ".parquet":
            shutil.copy(p, tmp_path / p.name)
    assert checks.check_files(tmp_path, participants=True) == ["fichier manquant : participants_pon_fse.parquet"]
    reg = (tmp_path / "registre_revue.csv").read_text(encoding="utf-8").split("\n")
    header, rows = reg[0], [r for r in reg[1:] if r]
    victim = next(r for r in rows if ";fse;2019;retenue;" in r)
    rows.remove(victim)
    rows.append("209999999;fse;2019;ecartee;;0;0;0;0;;;décision de démonstration (données synthétiques) : test;X;2019-04-02;")
    (tmp_path / "registre_revue.csv").write_text("\n".join([header] + rows) + "\n", encoding="utf-8")
    written = checks.read_written(tmp_path, participants=False)
    assert checks.check_register(written) == [
        "registre : lignes non triées par (vague, programme, op_id)",
        "registre : opérations inconnues sans statut « absente des données »"]
    assert any(v.startswith("retenues FSE 2019") for v in checks.check_retained(written))
    assert checks.check_register_covers_candidates(written) == ["registre 2019 fse : 2 écarts avec les candidates"]
    assert checks.check_texture(written) == [] and checks.check_formats(written) == []
    # verify() reads the same files again: the reading above is handed over, the checks all run
    read_written = checks.read_written
    monkeypatch.setattr(checks, "read_written", lambda folder, participants=True: (
        written if (Path(folder), participants) == (tmp_path, False) else read_written(folder, participants)))
    problems = checks.verify(tmp_path, participants=False)
    assert "registre : opérations inconnues sans statut « absente des données »" in problems
    assert all(c.__name__.startswith("check_") for c in checks.CHECKS)

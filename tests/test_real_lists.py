"""The two real published lists (tests/real_samples/, see PROVENANCE.md) through the shipped
parameter sets: params/liste_nationale_fse_2014_2020.yaml and params/liste_operations_2021_2027.yaml.

Expected counts are computed from the sample itself (read here with pandas), never typed in.
The whole-chain runs are marked `slow` (about 15 s each; tests/chains.py runs them in the background).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from isnote import ingest
from isnote.config import PROJECT_ROOT, load_params, resolve
from isnote.errors import InputError

SAMPLES = PROJECT_ROOT / "tests" / "real_samples"
NATIONAL = SAMPLES / "liste_operations_fse_2014_2020_extrait.xls"
LIST_2127 = SAMPLES / "liste_operations_2021_2027_extrait.xlsx"
P_NATIONAL = "params/liste_nationale_fse_2014_2020.yaml"
P_2127 = "params/liste_operations_2021_2027.yaml"


def _params(src: str, tmp: Path, **changes) -> Path:
    """A copy of a shipped parameter set writing under tmp (only the given keys change)."""
    data = yaml.safe_load((PROJECT_ROOT / src).read_text(encoding="utf-8"))
    data["output_dir"] = str(tmp / "out")
    reg = resolve(data["review_register"])
    shutil.copy2(reg, tmp / reg.name)
    data["review_register"] = str(tmp / reg.name)
    for k, v in changes.items():
        if k == "operations":
            data["inputs"] = {**data["inputs"], "operations": str(v)}
        else:
            data[k] = v
    target = tmp / "params.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def _sample(path: Path) -> pd.DataFrame:
    return pd.read_excel(path, engine="calamine", dtype=object)


def _windows(params_file: str) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    data = yaml.safe_load((PROJECT_ROOT / params_file).read_text(encoding="utf-8"))
    return [(pd.Timestamp(w["start"]), pd.Timestamp(w["end"])) for w in data["waves"].values()]


def _in_windows(dates: pd.Series, params_file: str) -> pd.Series:
    d = pd.to_datetime(dates)
    inside = pd.Series(False, index=d.index)
    for start, end in _windows(params_file):
        inside |= (d >= start) & (d <= end)
    return inside


def _csv_resave(df: pd.DataFrame, target: Path, encoding: str) -> Path:
    """What Excel's "save as CSV (;)" gives: `;`, decimal comma, dd/mm/yyyy."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]) or out[c].map(lambda v: isinstance(v, pd.Timestamp)).any():
            out[c] = pd.to_datetime(out[c]).dt.strftime("%d/%m/%Y")
        elif out[c].map(lambda v: isinstance(v, float)).any():
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else (f"{v:.2f}".rstrip("0").rstrip(".").replace(".", ",")
                                                                  if isinstance(v, float) else v))
    target.write_bytes(out.to_csv(sep=";", index=False, lineterminator="\r\n").encode(encoding, errors="replace"))
    return target


# ---------------------------------------------------------------------------- national list 2014-2020

@pytest.fixture(scope="module")
def national():
    return ingest.run(load_params(P_NATIONAL))


@pytest.fixture(scope="module")
def national_sample():
    return _sample(NATIONAL)


def test_national_programmes_and_exclusions(national, national_sample):
    s = national_sample
    po = s["Libellé_po"].astype(str)
    is_fse, is_iej = po.str.contains("National FSE"), po.str.contains("IEJ")
    at = s["OT"].astype(int).eq(0)
    react = s["AXE"].astype(int).isin([5, 6]) & ~at
    inside = _in_windows(s["Date début réalisation"], P_NATIONAL)
    ops, excl = national.operations, national.excluded
    assert (ops["programme"] == "fse").sum() == (is_fse & ~at & ~react & inside).sum()
    assert (ops["programme"] == "iej").sum() == (is_iej & ~at & inside).sum()
    reasons = excl["reason"].value_counts()
    for other in sorted(set(po[~is_fse & ~is_iej])):          # other programmes, counted by name
        assert reasons[f"autre programme : {other}"] == (po == other).sum()
    assert reasons["assistance technique"] == at.sum()
    assert reasons["axe REACT-EU (compté à part)"] == react.sum()
    assert len(ops) + len(excl) == len(s)
    q = national.quality.iloc[0]
    assert q[ingest.Q_REACT] == react.sum() and q[ingest.Q_OTHER] == (~is_fse & ~is_iej).sum()


def test_national_codes_composed_from_ranks(national, national_sample):
    s = national_sample.astype({"AXE": int, "OT": int, "PI": int, "OS": int})
    row = s[(s["AXE"] == 3) & (s["OT"] == 9) & (s["PI"] == 1) & (s["OS"] == 1)].iloc[0]
    op = national.operations.set_index("op_id").loc[str(row["num_dossier"])]
    assert op["os"] == "3911" and op["pi"] == "9.1" and op["axe"] == "3"
    iej = national.operations[national.operations["programme"] == "iej"]
    assert set(iej["os"]) == {"182"}
    assert set(national.operations["region"]) <= set(s["Region_adm"])    # former regions kept as written
    assert "Volet national du FSE" in set(national.operations["region"])


def test_national_react_included_on_request(tmp_path, national_sample):
    r = ingest.run(load_params(_params(P_NATIONAL, tmp_path, react_eu="include")))
    s = national_sample
    react = s["AXE"].astype(int).eq(5) & _in_windows(s["Date début réalisation"], P_NATIONAL)
    assert (r.operations["axe"] == "5").sum() == react.sum() > 0
    assert "axe REACT-EU (compté à part)" not in set(r.excluded["reason"])


def test_unknown_code_is_excluded_after_programme_and_axis(tmp_path, national_sample):
    s = national_sample.copy()
    s["Date début réalisation"] = pd.to_datetime(s["Date début réalisation"])
    s["Date fin réalisation"] = pd.to_datetime(s["Date fin réalisation"])
    pon = s.index[s["Libellé_po"].str.contains("National FSE") & s["OT"].astype(int).eq(9)][0]
    guad = s.index[s["Libellé_po"].eq("PO Guadeloupe")][0]
    s.loc[[pon, guad], "OS"] = 7                       # 3917: no such OS
    path = _csv_resave(s, tmp_path / "liste.csv", "utf-8")
    r = ingest.run(load_params(_params(P_NATIONAL, tmp_path, operations=path)))
    reasons = r.excluded.set_index("op_id")["reason"]
    assert reasons[str(s.loc[pon, "num_dossier"])] == "code d'objectif spécifique absent de la nomenclature"
    assert reasons[str(s.loc[guad, "num_dossier"])] == "autre programme : PO Guadeloupe"   # programme first
    assert r.quality.iloc[0][ingest.Q_CODE] == 1


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8"])
def test_national_csv_resaved_from_excel_reads_the_same(tmp_path, national, national_sample, encoding):
    path = _csv_resave(national_sample, tmp_path / "liste.csv", encoding)
    r = ingest.run(load_params(_params(P_NATIONAL, tmp_path, operations=path)))
    cols = ["op_id", "programme", "wave", "os", "region", "start_date", "ct", "ue", "participants"]
    pd.testing.assert_frame_equal(r.operations[cols], national.operations[cols])
    assert r.meta["operations"]["encoding"] == encoding


def test_national_xlsx_reads_the_same(tmp_path, national, national_sample):
    path = tmp_path / "liste.xlsx"
    national_sample.to_excel(path, index=False)
    r = ingest.run(load_params(_params(P_NATIONAL, tmp_path, operations=path)))
    cols = ["op_id", "programme", "wave", "os", "region", "start_date", "ct", "ue"]
    pd.testing.assert_frame_equal(r.operations[cols], national.operations[cols])


def test_workbook_messages_give_sheet_rows(tmp_path, national_sample):
    s = national_sample.copy()
    s["Lib_opé"] = s["Lib_opé"].astype(str) + "\nsur deux lignes"      # line breaks inside cells
    s.loc[150, "Mont_UE"] = "abc"                                       # sheet row 152 (header = row 1)
    path = tmp_path / "liste.xlsx"
    s.to_excel(path, index=False)
    with pytest.raises(InputError) as err:
        ingest.run(load_params(_params(P_NATIONAL, tmp_path, operations=path)))
    assert "ligne 152" in str(err.value) and "Mont_UE" in str(err.value)


def test_empty_current_wave_is_a_clear_error(tmp_path):
    waves = {"2017": {"label": "Vague 2017", "start": "2014-01-01", "end": "2017-03-04"},
             "2030": {"label": "Vague 2030", "start": "2030-01-01", "end": "2030-12-31"}}
    p = _params(P_NATIONAL, tmp_path, waves=waves, current_wave="2030", previous_wave="2017")
    res = subprocess.run([sys.executable, "-m", "isnote.ingest", "--params", str(p)], cwd=PROJECT_ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    msg = res.stderr
    assert msg.startswith("ERREUR : ") and "vague 2030" in msg and "1er janvier 2030" in msg
    assert "ne contient aucune opération" in msg and re.search(r"comprise entre le .+ \d{4} et le .+ \d{4}", msg)


# ---------------------------------------------------------------------------- list 2021-2027

@pytest.fixture(scope="module")
def list2127():
    return ingest.run(load_params(P_2127))


@pytest.fixture(scope="module")
def sample2127():
    return _sample(LIST_2127)


def test_2127_fund_selects_fse_plus(list2127, sample2127):
    s = sample2127
    fse = s["Fonds"].eq("FSE+")
    code = s["Objectif spécifique"].astype(str).str.extract(r"^(?:ESO)?4\.0*(\d+)$", expand=False)
    known = code.notna() & code.astype(float).between(1, 13)
    inside = _in_windows(s["Date de début de l'opération"], P_2127)
    assert len(list2127.operations) == (fse & known & inside).sum() > 0
    reasons = list2127.excluded["reason"].value_counts()
    for fund in sorted(set(s.loc[~fse, "Fonds"].dropna())):
        assert reasons[f"autre fonds : {fund}"] == (s["Fonds"] == fund).sum()
    assert set(list2127.operations["programme"]) == {"fse"}
    assert set(list2127.operations["programme_name"]) <= {" ".join(v.split()) for v in s["Libellé Programme"]}
    assert list2127.operations["programme_name"].nunique() > 1


def test_2127_codes_regions_categories(list2127, sample2127):
    s = sample2127.set_index(sample2127["Numéro Opération"].astype(str))
    ops = list2127.operations.set_index("op_id")
    assert set(ops["os"]) <= {f"ESO4.{i}" for i in range(1, 14)}
    raw = s.loc[ops.index, "Objectif spécifique"]
    for spelling in ("ESO4.01", "4.1"):
        if (raw == spelling).any():
            assert set(ops.loc[raw[raw == spelling].index, "os"]) == {"ESO4.1"}
    region_raw = s.loc[ops.index, "Région de l'opération"].fillna("")
    zone_raw = s.loc[ops.index, "Zone"].fillna("")
    one = region_raw.str.fullmatch(r"\d+/[^|]+")
    assert (ops.loc[one[one].index, "region"] == region_raw[one].str.split("/").str[1]).all()
    unknown = (region_raw == "") & ~zone_raw.str.contains("REG/")
    assert unknown.any() and (ops.loc[unknown[unknown].index, "region"] == "non renseignée").all()
    # never a fixed default: a region appears only if the row's region or zone names it
    named = (region_raw + " " + zone_raw)
    for reg in set(ops["region"]) - {"non renseignée", "plusieurs régions"}:
        sel = ops.index[ops["region"] == reg]
        assert named[sel].str.contains(reg, regex=False).all(), reg
    cat = s.loc[ops.index, "Type d'intervention"].astype(str)
    assert (ops["category_code"] == cat.str.extract(r"^(\d+)", expand=False)).all()
    assert ops["category_label"].notna().all() and not ops["category_label"].str.contains("\u00a0").any()
    labels = json.loads(json.dumps(list2127.os_labels))["fse"]
    assert labels["ESO4.1"].startswith("Améliorer l'accès à l'emploi")


def test_2127_waves_on_first_agreement_date(tmp_path, sample2127):
    s = sample2127
    r = ingest.run(load_params(_params(P_2127, tmp_path, wave_date="agreement_date")))
    fse = s["Fonds"].eq("FSE+")
    dated = s["Date première convention"].notna()
    inside = _in_windows(s["Date première convention"].where(dated), P_2127)
    assert len(r.operations) == (fse & dated & inside).sum()
    reasons = r.excluded["reason"].value_counts()
    assert reasons["date définissant les vagues absente"] == (fse & ~dated).sum() > 0
    assert r.perimeter["wave_date_label"] == "date de première convention"
    kept = r.operations.set_index("op_id")
    first = s.set_index(s["Numéro Opération"].astype(str)).loc[kept.index, "Date première convention"]
    assert (pd.to_datetime(kept["agreement_date"]) == pd.to_datetime(first)).all()


def test_html_entities_decoded_once(tmp_path, sample2127):
    s = sample2127.copy()
    first = s.index[s["Fonds"].eq("FSE+")][0]
    s.loc[first, "Intitulé du projet"] = "Atelier &#8211; chantier &amp;amp; école"
    path = _csv_resave(s, tmp_path / "liste.csv", "utf-8")
    r = ingest.run(load_params(_params(P_2127, tmp_path, operations=path)))
    title = r.operations.set_index("op_id").loc[str(s.loc[first, "Numéro Opération"]), "title"]
    assert title == "Atelier – chantier &amp; école"


def test_relative_paths_resolve_against_the_working_folder(tmp_path, monkeypatch):
    work = tmp_path / "projet"
    (work / "params").mkdir(parents=True)
    shutil.copy2(PROJECT_ROOT / P_NATIONAL, work / "params" / "p.yaml")
    monkeypatch.chdir(work)
    monkeypatch.delenv("ISNOTE_ROOT", raising=False)
    monkeypatch.delenv("ISNOTE_WORK_ROOT", raising=False)
    p = load_params("params/p.yaml")
    assert p.source == work / "params" / "p.yaml"
    assert p.path("mapping") == work / "params" / "mapping_liste_nationale_fse_2014_2020.yaml"
    assert p.layout.root == work / "outputs-liste_nationale_fse_2014_2020"


# ---------------------------------------------------------------------------- whole chain (slow)

def _note_text(out: Path) -> str:
    html = (out / "note.html").read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# The three chains run in the background from the session's start (tests/chains.py); the PDF is
# built where it is checked.

def prepare_national(tmp: Path) -> Path:
    return _params(P_NATIONAL, tmp)


def prepare_2127(tmp: Path) -> Path:
    return _params(P_2127, tmp)


def prepare_fse_only(tmp: Path) -> Path:
    sample = _sample(NATIONAL)
    s = sample[sample["Libellé_po"].str.contains("National FSE")]
    path = _csv_resave(s, tmp / "pon_fse.csv", "cp1252")
    return _params(P_NATIONAL, tmp, operations=path)       # parameters unchanged: they list the IEJ too


@pytest.fixture
def chain_national(chains):
    return chains.result("chain_national")


@pytest.fixture
def chain_2127(chains):
    return chains.result("chain_2127")


@pytest.fixture
def chain_fse_only(chains):
    return chains.result("chain_fse_only")


@pytest.mark.slow
def test_chain_national_list(chain_national):
    summary, out = chain_national.summary, chain_national.out
    assert all(summary[s] == "ran" for s in ("ingest", "screening", "typology", "fse", "iej", "assemble"))
    for name in ("note.html", "note.pdf", "ramo_14_5.txt", "tables/tables.xlsx"):
        assert (out / name).stat().st_size > 0, name
    text = _note_text(out)
    assert "date de début de l'opération" in text.replace("’", "'") and "PO Guadeloupe" in text and "REACT-EU" in text
    kf = json.loads((out / "key_figures.json").read_text(encoding="utf-8"))
    assert kf["perimeter"]["programmes_present"] == ["fse", "iej"]
    assert kf["perimeter"]["text_fields"] == ["title", "beneficiary"]


@pytest.mark.slow
def test_chain_list_2021_2027_has_no_iej_section(chain_2127):
    summary, out = chain_2127.summary, chain_2127.out
    assert summary["iej"] == "absent" and summary["assemble"] == "ran"
    assert not (out / "notebooks" / "05_resultats_iej.ipynb").exists()
    text = _note_text(out)
    assert "contribution du PON IEJ" not in text and "Opérations retenues du PON IEJ" not in text
    kf = json.loads((out / "key_figures.json").read_text(encoding="utf-8"))
    assert "iej" not in kf["volumes"] and kf["perimeter"]["programmes_present"] == ["fse"]
    clean = pd.read_parquet(out / "clean" / "operations.parquet")
    n_prog = clean["programme_name"].nunique()
    assert n_prog > 1 and f"relèvent de {n_prog} programmes" in text
    assert "FEDER" in text


@pytest.mark.slow
def test_chain_fse_only_csv_cp1252(chain_fse_only):
    summary, out = chain_fse_only.summary, chain_fse_only.out
    assert summary["iej"] == "absent" and summary["fse"] == "ran"
    assert (out / "note.pdf").stat().st_size > 0
    ramo = (out / "ramo_14_5.txt").read_text(encoding="utf-8")
    assert "Pour le PON IEJ" not in ramo
    kf = json.loads((out / "key_figures.json").read_text(encoding="utf-8"))
    assert list(kf["volumes"]) == ["fse"] and "iej" not in kf.get("retained", {})
    assert "contribution du PON IEJ" not in _note_text(out)


# ---------------------------------------------------------------------------- transforms (unit)

def test_transforms():
    from isnote import reallists as RL
    s = pd.Series(["24/Centre-Val de Loire", " | 28/Normandie", "REG/93/Provence-Alpes-Côte d'Azur | PAYS/France",
                   "26/Bourgogne | 43/Franche-Comté", "DEPT/025/Doubs", "Mayotte", None], dtype="str")
    got = RL.region_list(s)
    assert got.iloc[1] == "Normandie" and got.iloc[2] == "Provence-Alpes-Côte d'Azur" and got.iloc[5] == "Mayotte"
    assert got.iloc[0] == "Centre-Val de Loire" and got.iloc[3] == RL.SEVERAL_REGIONS
    assert pd.isna(got.iloc[4]) and pd.isna(got.iloc[6])
    codes = pd.Series(["ESO4.01", "4.1", "ESO4.12", "eso 4.7", "RSO1.3", None], dtype="str")
    assert RL.eso_code(codes).tolist()[:5] == ["ESO4.1", "ESO4.1", "ESO4.12", "ESO4.7", "RSO1.3"]
    cat = pd.Series(["138 - Soutien à\u00a0l'économie sociale", None], dtype="str")
    assert RL.category_code(cat).iloc[0] == "138"
    assert RL.category_label(cat).iloc[0] == "Soutien à l'économie sociale"
    assert RL.html_unescape(pd.Series(["a &#8211; b", "x &amp;amp; y", "plain"], dtype="str")).tolist() == \
        ["a – b", "x &amp; y", "plain"]

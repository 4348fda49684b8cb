"""Hostile inputs: each mutation of a small valid dataset gives a clear InputError (file, row,
column, expected) or a counted correction / warning, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from hostile import corpus as C
from isnote import ingest
from isnote.config import load_params
from isnote.errors import InputError

PY = sys.executable
ROOT = C.ROOT

H_ID, H_TITLE, H_AXE, H_OS, H_REGION = "N° dossier", "Intitulé de l'opération", "Axe", "OS", "Région"
H_PROG, H_START, H_END = "Date de programmation", "Date de début", "Date de fin"
H_CT, H_UE = "Coût total programmé", "Montant UE programmé"
H_ANSWER = "Le FSE a-t-il favorisé l'émergence d'innovations sociales ?"
H_RESP = "Identifiant répondant"


@dataclass
class Err:
    key: str                     # which file the error must name
    contains: str                # part of the message
    column: str | None = None
    row: object = None           # int, or an op number whose line is expected, or None (not checked)
    file_row: bool = False       # True: the error concerns the whole file (row must be None)


@dataclass
class Fix:
    key: str
    kind: str                    # part of the correction label
    n: int
    warning: bool = False


def _replace(key, old, new, count=1):
    def f(d):
        C.mutate(d, key, lambda t: t.replace(old, new, count))
    return f


def _cell(key, op, header, value):
    return lambda d: C.set_cell(d, key, op, header, value)


def _drop_column(key, header):
    def f(d):
        def drop(text):
            nl = "\r\n" if "\r\n" in text else "\n"
            lines = text.split(nl)
            head = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
            j = lines[head].split(";").index(header)
            return nl.join(";".join(c for k, c in enumerate(line.split(";")) if k != j)
                           if i >= head and line else line for i, line in enumerate(lines))
        C.mutate(d, key, drop)
    return f


def _raw_bytes(key, fn):
    def f(d):
        p = C.path_of(d, key)
        p.write_bytes(fn(p.read_bytes()))
    return f


def _header_only(key):
    def f(d):
        text = C.read_text(d, key)
        nl = "\r\n" if "\r\n" in text else "\n"
        lines = text.split(nl)
        C.write_text(d, key, nl.join(lines[:2]) + nl)
    return f


def _participants(counts=None, column="N° dossier", extra=None):
    return lambda d: C.write_participants(C.path_of(d, "participants"), counts, column, extra)


def _append(key, line):
    def f(d):
        text = C.read_text(d, key)
        nl = "\r\n" if "\r\n" in text else "\n"
        C.write_text(d, key, text.rstrip("\r\n") + nl + line + nl)
    return f


def _utf8_inside_cp1252(d):
    p = C.path_of(d, "ops_fse")
    raw = p.read_bytes()
    title = "Chantier d'insertion en maraîchage biologique"
    p.write_bytes(raw.replace(title.encode("cp1252"), "Chantier d'insertion, légumes".encode("utf-8")))


CASES = {
    # --- operations: encodings and structure
    "utf16_file": (_raw_bytes("ops_fse", lambda b: b.decode("cp1252").encode("utf-16")),
                   Err("ops_fse", "encodage", file_row=True)),
    "undecodable_bytes": (_raw_bytes("ops_fse", lambda b: b.replace(b"Bordeaux", b"Bord\x81eaux")),
                          Err("ops_fse", "encodage non reconnu", file_row=True)),
    "mixed_encoding": (_utf8_inside_cp1252, Err("ops_fse", "encodage mixte", row="201700044")),
    "comma_separator": (lambda d: C.mutate(d, "ops_fse", lambda t: t.replace(",", ".").replace(";", ",")),
                        Err("ops_fse", "séparateur", row=2)),
    "missing_required_column": (_drop_column("ops_fse", H_OS), Err("ops_fse", "« OS »", file_row=True)),
    "duplicated_column": (_replace("ops_fse", "Localisation", "Région"), Err("ops_fse", "en double", column="Région")),
    "ragged_row": (_replace("ops_fse", "Bordeaux;2", "Bordeaux;2;en trop"), Err("ops_fse", "nombre de champs", row="201500011")),
    "unclosed_quote": (_replace("ops_fse", "Couveuse Ouest", '"Couveuse Ouest'), Err("ops_fse", "guillemet", row="201600022")),
    "empty_0_bytes": (_raw_bytes("ops_iej", lambda b: b""), Err("ops_iej", "0 octet", file_row=True)),
    "header_only": (_header_only("ops_iej"), Err("ops_iej", "aucune ligne de données", file_row=True)),
    "comment_only": (_raw_bytes("ops_iej", lambda b: b.split(b"\r\n")[0] + b"\r\n"),
                     Err("ops_iej", "aucune ligne d'en-tête", file_row=True)),
    "missing_file": (lambda d: C.path_of(d, "ops_iej").unlink(), Err("ops_iej", "introuvable", file_row=True)),
    # --- operations: values
    "duplicate_op_number": (_cell("ops_fse", "201600022", H_ID, "201500011"),
                            Err("ops_fse", "en double (déjà présent ligne 3)", column=H_ID, row=4)),
    "duplicate_across_programmes": (_cell("ops_iej", "201700202", H_ID, "201700044"),
                                    Err("ops_iej", "déjà présent dans", column="op_id", row=4)),
    "empty_op_number": (_cell("ops_fse", "201700055", H_ID, " "), Err("ops_fse", "valeur manquante", column=H_ID)),
    "amount_negative": (_cell("ops_fse", "201700044", H_UE, "-5"),
                        Err("ops_fse", "négative", column=H_UE, row="201700044")),
    "amount_abc": (_cell("ops_fse", "201700055", H_CT, "abc"), Err("ops_fse", "illisible", column=H_CT, row="201700055")),
    "amount_two_commas": (_cell("ops_fse", "201700055", H_CT, "340,000,00"), Err("ops_fse", "illisible", column=H_CT)),
    "ue_above_ct": (_cell("ops_fse", "201800066", H_UE, "64 000,02"), Err("ops_fse", "supérieur au coût total", column=H_UE, row="201800066")),
    "amount_missing": (_cell("ops_fse", "201800066", H_CT, ""), Err("ops_fse", "valeur manquante", column=H_CT, row="201800066")),
    "date_impossible": (_cell("ops_fse", "201700044", H_PROG, "31/02/2018"),
                        Err("ops_fse", "date impossible", column=H_PROG, row="201700044")),
    "date_two_digit_year": (_cell("ops_fse", "201700044", H_START, "01/10/17"), Err("ops_fse", "deux chiffres", column=H_START)),
    "date_words": (_cell("ops_fse", "201700044", H_END, "fin septembre 2018"), Err("ops_fse", "date illisible", column=H_END)),
    "date_end_before_start": (_cell("ops_fse", "201700044", H_END, "01/01/2017"),
                              Err("ops_fse", "antérieure", column=H_END, row="201700044")),
    "programming_date_missing": (_cell("ops_iej", "201700203", H_PROG, ""), Err("ops_iej", "valeur manquante", column=H_PROG)),
    "unknown_os_code": (_cell("ops_fse", "201800066", H_OS, "3999"), Err("ops_fse", "code OS inconnu", column=H_OS, row="201800066")),
    "fse_code_in_iej": (_cell("ops_iej", "201700202", H_OS, "3911"), Err("ops_iej", "code OS inconnu", column=H_OS)),
    "axis_inconsistent": (_cell("ops_fse", "201800066", H_AXE, "2"), Err("ops_fse", "incohérent", column=H_AXE)),
    "participants_not_integer": (_cell("ops_fse", "201700044", "Nombre de participants prévus", "24,5"),
                                 Err("ops_fse", "non entier", column="Nombre de participants prévus")),
    # --- operations: counted corrections / warnings
    "amount_euro_and_spaces": (_cell("ops_fse", "201700055", H_CT, "340 000,00 €"), Fix("ops_fse", "symbole €", 1)),
    "amount_thousands_space": (_cell("ops_fse", "201700055", H_CT, "340 000,00"), Fix("ops_fse", "séparateur de milliers", 1)),
    "amount_nbsp": (_cell("ops_fse", "201700055", H_UE, "170\u00a0000,00"), Fix("ops_fse", "insécable", 1)),
    "surrounding_spaces": (_cell("ops_fse", "201700055", H_TITLE, "  Référents RSA  "), Fix("ops_fse", "début ou fin", 1)),
    "date_iso": (_cell("ops_fse", "201700044", H_PROG, "2017-09-20"), Fix("ops_fse", "AAAA-MM-JJ", 1)),
    "os_dotted": (_cell("ops_fse", "201700044", H_OS, "3.9.1.1"), Fix("ops_fse", "code OS", 1)),
    "axis_label": (_cell("ops_fse", "201700044", H_AXE, "Axe 3"), Fix("ops_fse", "Axe 3", 1)),
    "region_case": (_cell("ops_fse", "201700044", H_REGION, "PICARDIE"), Fix("ops_fse", "région", 1)),
    "region_accents": (_cell("ops_iej", "201700203", H_REGION, "provence alpes cote d'azur"), Fix("ops_iej", "région", 1)),
    "region_unknown": (_cell("ops_fse", "201700044", H_REGION, "Hauts-de-France"), Fix("ops_fse", "absente de la liste", 1, True)),
    "header_variants": (_replace("ops_fse", "N° dossier;", " n° DOSSIER ;"), Fix("ops_fse", "en-tête reconnu", 1)),
    # --- qualitative
    "qual_unknown_ops": (_append("qual_fse", "209999999;;Texte d'une opération inconnue;;"),
                         Fix("qual_fse", "absentes des extractions", 1, True)),
    "qual_duplicate": (_append("qual_fse", "201700033;;Deuxième description;;"),
                       Err("qual_fse", "en double", column=H_ID)),
    "qual_header_only": (_header_only("qual_iej"), Fix("qual_iej", "sans ligne de données", 1, True)),
    # --- participants
    "participants_no_op_column": (_participants(column="Numéro"), Err("participants", "« N° dossier »", file_row=True)),
    "participants_unknown_op": (_participants(extra=["209999999"] * 3), Fix("participants", "absentes des extractions", 3, True)),
    "participants_not_parquet": (_raw_bytes("participants", lambda b: b"N\xb0 dossier;Sexe\n1;F\n"),
                                 Err("participants", "parquet illisible", file_row=True)),
    "participants_0_bytes": (_raw_bytes("participants", lambda b: b""), Err("participants", "0 octet", file_row=True)),
    # --- survey
    "survey_answer_outside": (_cell("survey", "R03", H_ANSWER, "peut-être"), Err("survey", "hors des valeurs", column=H_ANSWER, row="R03")),
    "survey_answer_empty": (_cell("survey", "R03", H_ANSWER, ""), Err("survey", "valeur manquante", column=H_ANSWER)),
    "survey_answer_variants": (lambda d: (C.set_cell(d, "survey", "R01", H_ANSWER, " Oui"),
                                          C.set_cell(d, "survey", "R03", H_ANSWER, "Ne se prononce pas")),
                               Fix("survey", "réponse d'enquête", 2)),
    "survey_duplicate_respondent": (_cell("survey", "R04", H_RESP, "R02"), Err("survey", "en double", column=H_RESP)),
    "survey_tab_separator": (lambda d: C.mutate(d, "survey", lambda t: t.replace(";", "\t")), Err("survey", "tabulation", row=2)),
    "survey_missing_answer_column": (_drop_column("survey", H_ANSWER), Err("survey", "absente", file_row=True)),
    # --- lot 5
    "lot5_unknown_number": (_append("lot5", "209999998;Opération inconnue"), Fix("lot5", "absents de l'extraction", 1, True)),
    "lot5_duplicate": (_append("lot5", "201700202;Plateforme"), Fix("lot5", "en double", 1, True)),
}


def _line(d: Path, key: str, row):
    return C.line_of(d, key, row) if isinstance(row, str) else row


@pytest.mark.parametrize("name", list(CASES))
def test_hostile(name, tmp_path):
    mutate, expect = CASES[name]
    params_path = C.make_base(tmp_path)
    mutate(tmp_path)
    params = load_params(params_path)
    target = str(C.path_of(tmp_path, expect.key))
    if isinstance(expect, Err):
        row = _line(tmp_path, expect.key, expect.row) if expect.row is not None else None
        with pytest.raises(InputError) as info:
            ingest.run(params)
        err = info.value
        assert err.file == target, str(err)
        assert expect.contains in str(err)
        if expect.column is not None:
            assert err.column == expect.column, str(err)
        if expect.file_row:
            assert err.row is None, str(err)
        elif row is not None:
            assert err.row == row, str(err)
        assert err.expected, "the error must say what was expected"
    else:
        result = ingest.run(params)
        frame = result.warnings if expect.warning else result.corrections
        label_col = "avertissement" if expect.warning else "correction"
        rows = frame[(frame["fichier"] == target) & frame[label_col].str.contains(expect.kind, regex=False)]
        assert int(rows["nombre"].sum()) == expect.n, frame.to_string()


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert sum(isinstance(e, Err) for _, e in CASES.values()) >= 30


def test_base_has_no_corrections(tmp_path):
    result = ingest.run(load_params(C.make_base(tmp_path)))
    assert result.corrections.empty, result.corrections.to_string()


def test_xlsx_sheet_renamed(tmp_path):
    import openpyxl
    import pandas as pd
    params_path = C.make_base(tmp_path)
    data = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    mapping = yaml.safe_load((ROOT / "params" / "mapping_mdfse.yaml").read_text(encoding="utf-8"))
    mapping.setdefault("operations", {})["read"] = {"sheet": "Opérations"}
    (tmp_path / "mapping.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    frame = pd.read_csv(C.path_of(tmp_path, "ops_iej"), sep=";", encoding="cp1252", skiprows=1, dtype=str)
    xlsx = tmp_path / "operations_pon_iej.xlsx"
    frame.to_excel(xlsx, index=False, sheet_name="Feuil1")
    data["inputs"]["operations"]["iej"] = str(xlsx)
    data["mapping"] = str(tmp_path / "mapping.yaml")
    params = load_params(C.write_params(tmp_path, data))
    with pytest.raises(InputError) as info:
        ingest.run(params)
    assert "Opérations" in str(info.value) and "Feuil1" in str(info.value)
    assert info.value.file == str(xlsx)
    # renaming the sheet back fixes it
    wb = openpyxl.load_workbook(xlsx)
    wb["Feuil1"].title = "Opérations"
    wb.save(xlsx)
    assert len(ingest.run(params).operations) == sum(C.BASE_IN_SCOPE.values())


def _cli(params_path: Path):
    env = dict(os.environ)
    env.pop("ISNOTE_OUTPUT_DIR", None)
    return subprocess.run([PY, "-m", "isnote.ingest", "--params", str(params_path)], capture_output=True,
                          text=True, cwd=str(ROOT), env=env, timeout=120)


@pytest.mark.parametrize("name", ["duplicate_op_number", "comma_separator", "amount_abc"])
def test_cli_error_exit_2_without_traceback(name, tmp_path):
    mutate, expect = CASES[name]
    params_path = C.make_base(tmp_path)
    mutate(tmp_path)
    proc = _cli(params_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("ERREUR : ")
    assert "Traceback" not in proc.stderr + proc.stdout
    assert expect.contains in proc.stderr
    assert not (tmp_path / "out" / "clean" / "operations.parquet").exists()


def test_cli_success(tmp_path):
    params_path = C.make_base(tmp_path)
    proc = _cli(params_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "clean" / "operations.parquet").exists()


def random_byte_mutations(tmp_path: Path) -> dict:
    """Seeded random damage (flipped, cut, duplicated, inserted bytes) in any input file: ingest
    either succeeds or raises InputError (any other exception propagates)."""
    import random
    rng = random.Random(20190309)
    keys = ["ops_fse", "ops_iej", "qual_fse", "survey", "lot5", "participants"]
    inserts = [b";", b"\n", b'"', "é".encode(), b"31/02/2018", b"\r", b"#"]
    outcomes = {"ok": 0, "error": 0}
    for i in range(40):
        d = tmp_path / f"r{i}"
        params_path = C.make_base(d)
        key = rng.choice(keys)
        path = C.path_of(d, key)
        data = bytearray(path.read_bytes())
        for _ in range(rng.randint(1, 3)):
            j = rng.randrange(len(data))
            op = rng.choice(["flip", "cut", "dup", "insert"])
            if op == "flip":
                data[j] = rng.choice(b";\n\",0123456789 -\xe9\x81\x00abc.")
            elif op == "cut":
                del data[j:j + rng.randint(1, 30)]
            elif op == "dup":
                data[j:j] = data[j:j + rng.randint(1, 40)]
            else:
                data[j:j] = rng.choice(inserts)
            if not data:
                break
        path.write_bytes(bytes(data))
        try:
            ingest.run(load_params(params_path))
            outcomes["ok"] += 1
        except InputError:
            outcomes["error"] += 1
    return outcomes


def prepare_mutations(folder: Path) -> list[str]:
    """The 40 damaged ingests in a process of their own, in the background (tests/chains.py)."""
    paths = [str(ROOT / "src"), str(ROOT / "tests")]
    return [PY, "-c", f"import sys; sys.path[:0] = {paths!r}\nimport json\nfrom pathlib import Path\n"
                      "from test_hostile_inputs import random_byte_mutations\n"
                      f"print(json.dumps(random_byte_mutations(Path({str(folder)!r}))))"]


@pytest.fixture
def hostile_mutations(chains):
    return chains.result("hostile_mutations")


def test_random_byte_mutations_give_input_errors_only(hostile_mutations):
    """random_byte_mutations above: never an exception other than InputError (the process would
    end with it), and enough of the damaged files are refused."""
    import json
    assert hostile_mutations.returncode == 0, hostile_mutations.log[-6000:]
    outcomes = json.loads(hostile_mutations.log.strip().splitlines()[-1])
    assert outcomes["ok"] + outcomes["error"] == 40
    assert outcomes["error"] > 12, outcomes


def test_bad_wave_window(tmp_path):
    data = C.params_dict(tmp_path)
    C.make_base(tmp_path)
    data["waves"]["2019"]["end"] = "2018-13-45"
    with pytest.raises(InputError, match="vague 2019"):
        ingest.run(load_params(C.write_params(tmp_path, data)))

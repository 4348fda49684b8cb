"""Hostile parameters (issue 9, "Parameters validated by a schema"): each case gives a clean
InputError naming the parameters file, the key and what was expected, or is accepted as it is."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hostile import corpus as C
from isnote import params_schema
from isnote.config import PARAMS_DIR, load_params, load_yaml
from isnote.errors import InputError

ROOT = C.ROOT


def _params(tmp_path: Path, **changes) -> Path:
    data = C.params_dict(tmp_path)
    for key, value in changes.items():
        node = data
        *path, last = key.split("__")
        for k in path:
            node = node[k]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value
    return C.write_params(tmp_path, data)


def _err(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_params(path)
    assert info.value.file == str(path)
    assert info.value.expected, "the error must say what was expected"
    return info.value


def test_base_parameters_are_valid(tmp_path):
    assert load_params(_params(tmp_path))["current_wave"] == "2019"


@pytest.mark.parametrize("name", sorted(p.name for p in PARAMS_DIR.glob("*.yaml")
                                        if p.name in ("demo.yaml",) or p.name.startswith("real_")))
def test_shipped_run_files_pass_the_schema(name):
    load_params(PARAMS_DIR / name)


def test_schema_knows_every_key_of_the_run_files_and_the_documented_presentation_keys():
    keys = set()
    for p in PARAMS_DIR.glob("*.yaml"):
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "review_register" in data:
            keys |= set(data)
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc.split("## Presentation parameters", 1)[1].split("\n## ", 1)[0]
    keys |= set(re.findall(r"`([a-z_0-9]+)`", section))
    assert keys - set(params_schema.KEYS) == set()


def test_end_as_a_year_is_not_first_of_january(tmp_path):
    err = _err(_params(tmp_path, waves__2019__end="2018"))
    assert err.column == "waves.2019.end" and "date incomplète" in str(err) and err.value == "2018"
    assert "AAAA-MM-JJ" in err.expected


def test_end_as_an_integer_year_is_an_error(tmp_path):
    err = _err(_params(tmp_path, waves__2019__end=2018))
    assert err.column == "waves.2019.end"


def test_impossible_extract_date(tmp_path):
    err = _err(_params(tmp_path, extract_date="2019-02-30"))
    assert err.column == "extract_date" and "date impossible" in str(err)


def test_exclude_axes_as_a_string_is_never_split_into_characters(tmp_path):
    path = _params(tmp_path, exclude_axes="34")
    err = _err(path)
    assert err.column == "exclude_axes" and "liste attendue" in str(err) and err.value == "34"
    assert path.read_text(encoding="utf-8").splitlines()[err.row - 1].startswith("exclude_axes:")


def test_exclude_axes_per_programme_is_accepted(tmp_path):
    p = load_params(_params(tmp_path, exclude_axes={"fse": ["4"], "iej": ["3"]}))
    assert p["exclude_axes"] == {"fse": ["4"], "iej": ["3"]}


def test_unknown_key_suggests_the_nearest(tmp_path):
    path = _params(tmp_path, extract_max_row=4)
    err = _err(path)
    assert "clé inconnue « extract_max_row »" in str(err) and "vouliez-vous dire « extract_max_rows »" in str(err)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[err.row - 1].startswith("extract_max_row:")


def test_unknown_key_without_a_near_one(tmp_path):
    err = _err(_params(tmp_path, zzz=1))
    assert "clé inconnue « zzz »" in str(err) and "vouliez-vous" not in str(err)


def test_unknown_input_role_suggests_the_nearest(tmp_path):
    data = C.params_dict(tmp_path)
    data["inputs"]["operation"] = data["inputs"].pop("operations")
    err = _err(C.write_params(tmp_path, data))
    assert "« operation »" in str(err) and "« operations »" in str(err)


def test_unknown_key_in_a_wave(tmp_path):
    data = C.params_dict(tmp_path)
    data["waves"]["2019"]["fin"] = data["waves"]["2019"].pop("end")
    err = _err(C.write_params(tmp_path, data))
    assert "« fin »" in str(err)


@pytest.mark.parametrize("key, value, words", [
    ("synthetic", "yes", "booléen"),
    ("extract_max_rows", "4", "nombre entier"),
    ("regions_min_retained", -1, "nombre entier"),
    ("ramo_max_chars", 0, "nombre entier"),
    ("survey_groups", ["OI PLIE"], "dictionnaire"),
    ("table4_detail_axes", "3", "liste attendue"),
    ("programmes", "fse", "dictionnaire"),
    ("output_dir", ["out"], "chemin"),
    ("inputs__operations", 3, "entrée invalide"),
    ("survey_date", "février 2019", "mois"),
])
def test_wrong_types_name_the_key(tmp_path, key, value, words):
    err = _err(_params(tmp_path, **{key: value}))
    assert words in str(err) and err.column == key.replace("__", ".")


def test_missing_required_key(tmp_path):
    err = _err(_params(tmp_path, review_register=KeyError))
    assert "review_register" in str(err) and "manquante" in str(err)


def test_missing_wave_end(tmp_path):
    err = _err(_params(tmp_path, waves__2019__end=KeyError))
    assert "« end » manquant" in str(err)


# ------------------------------------------------------------------ YAML alias bomb

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_alias_bomb_under_inputs_is_refused(tmp_path):
    text = _params(tmp_path).read_text(encoding="utf-8")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB + text.replace("inputs:\n", "inputs:\n  lot5_bis: *i\n", 1), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_params(bomb)
    assert "alias" in str(info.value) and info.value.row is not None


def test_alias_bomb_gives_exit_2_without_traceback(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "ISNOTE_OUTPUT_DIR"}
    proc = subprocess.run([sys.executable, "-m", "isnote.ingest", "--params", str(bomb)], capture_output=True,
                          text=True, cwd=str(ROOT), env=env, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("ERREUR : ") and "alias" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_few_aliases_are_fine(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("base: &b {start: 2014-01-01, end: 2017-03-04}\nw1: *b\nw2: *b\n", encoding="utf-8")
    data = load_yaml(p)
    assert data["w1"] == data["w2"] == data["base"]

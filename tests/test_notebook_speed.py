"""What the results notebooks do to spend less CPU keeps their results: frames kept between
readers of the same file (isnote.readcache), YAML through libyaml with the same alias bounds,
survey tables passed instead of recomputed, matplotlib imported only to draw."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from isnote import params_schema, readcache
from isnote import tables as tb
from isnote import typology as ty
from results_fixtures.builders import make_params, make_register, make_survey, write_register

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _empty_cache():
    readcache.clear()
    yield
    readcache.clear()


def test_a_second_reading_of_the_same_file_reuses_the_frame(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2], "s": ["x", "y"]}).to_parquet(path)
    calls = []

    def reader():
        calls.append(1)
        return pd.read_parquet(path)

    first = readcache.read(path, reader)
    second = readcache.read(path, reader)
    assert len(calls) == 1 and second.equals(first) and second is not first


def test_a_reader_changing_its_frame_does_not_change_the_next_readers(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2], "s": ["x", "y"]}).to_parquet(path)
    first = readcache.read(path, lambda: pd.read_parquet(path))
    first["a"] = [7, 8]
    first.loc[0, "s"] = "changed"
    first.attrs["source"] = "elsewhere"
    again = readcache.read(path, lambda: pytest.fail("read again"))
    assert again["a"].tolist() == [1, 2] and again["s"].tolist() == ["x", "y"] and "source" not in again.attrs


def test_a_rewritten_file_is_read_again(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    readcache.read(path, lambda: pd.read_parquet(path))
    st = path.stat()
    pd.DataFrame({"a": [2]}).to_parquet(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))      # same modification time: the change time differs
    assert readcache.read(path, lambda: pd.read_parquet(path))["a"].tolist() == [2]


def test_the_register_is_read_again_when_its_bytes_change(tmp_path):
    params = make_params(tmp_path)
    reg = make_register()
    path = write_register(params, reg)
    first = ty.load_register(params)
    row = int(first.index[first["decision"].eq("retenue")][0])
    changed = reg.copy()
    changed.loc[row, "decision"] = "ecartee"                       # same length as « retenue »
    st = path.stat()
    write_register(params, changed)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    again = ty.load_register(params)
    assert again.loc[row, "decision"] == "ecartee" and first.loc[row, "decision"] == "retenue"
    assert ty.load_register(params).equals(again)


def test_libyaml_and_the_python_loader_read_every_parameter_file_alike(monkeypatch):
    if params_schema._CLoader is None:
        pytest.skip("PyYAML without libyaml")
    files = sorted((ROOT / "params").glob("*.yaml")) + sorted((ROOT / "content").rglob("*.yaml"))
    assert files
    fast = [params_schema.safe_load(p.read_text(encoding="utf-8")) for p in files]
    monkeypatch.setattr(params_schema, "_CLoader", None)
    assert fast == [params_schema.safe_load(p.read_text(encoding="utf-8")) for p in files]


@pytest.mark.parametrize("c_loader", [True, False])
def test_alias_bounds_hold_with_either_loader(monkeypatch, c_loader):
    if not c_loader:
        monkeypatch.setattr(params_schema, "_CLoader", None)
    elif params_schema._CLoader is None:
        pytest.skip("PyYAML without libyaml")
    bomb = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n" + "".join(
        f"{k}: &{k} [{', '.join([f'*{p}'] * 9)}]\n" for p, k in zip("abcdefgh", "bcdefghi"))
    with pytest.raises(params_schema.YAMLTooLarge, match="alias"):
        params_schema.safe_load(bomb)
    many = "x: &x [1]\n" + "".join(f"k{i}: *x\n" for i in range(params_schema.MAX_ALIASES + 1))
    with pytest.raises(params_schema.YAMLTooLarge, match="trop d'alias") as info:
        params_schema.safe_load(many)
    assert info.value.problem_mark.line > 0
    shared = params_schema.safe_load("base: &b {start: 1}\nw1: *b\nw2: *b\nrec: &r [*r]\n")
    assert shared["w1"] == shared["w2"] == {"start": 1} and shared["rec"][0] is shared["rec"]
    with pytest.raises(yaml.YAMLError):
        params_schema.safe_load("a: [1, 2\nb: 3\n")


def test_survey_key_figures_from_the_tables_already_computed(tmp_path):
    params = make_params(tmp_path)
    survey = make_survey()
    sb, obs = tb.survey_by_type(survey, params), tb.survey_observations(survey, params)
    st = tb.survey_themes(survey, params, obs=obs)
    assert st.equals(tb.survey_themes(survey, params))
    assert tb.key_figures_survey(survey, params, sb=sb, st=st, obs=obs) == tb.key_figures_survey(survey, params)


def test_the_charts_module_does_not_import_matplotlib_until_it_draws():
    code = ("import sys, isnote.charts, isnote.notebook, isnote.waves; assert 'matplotlib' not in sys.modules; "
            "import pandas as pd; fig = isnote.charts.regions_chart(pd.DataFrame({'region': ['A'], 'ratio': [1.5], "
            "'n_retained': [3], 'ranked': [True]})); assert 'matplotlib.pyplot' in sys.modules; "
            "import matplotlib; assert matplotlib.get_backend().lower() == 'agg'")
    env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)


def test_only_the_last_files_read_are_kept(tmp_path):
    for k in range(readcache.MAX_KEPT + 3):
        path = tmp_path / f"t{k}.parquet"
        pd.DataFrame({"a": [k]}).to_parquet(path)
        readcache.read(path, lambda: pd.read_parquet(path))
    assert len(readcache._KEPT) == readcache.MAX_KEPT

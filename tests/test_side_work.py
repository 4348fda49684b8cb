"""The reviewer HTML and the workbook, written by a process forked beside the note's assembly
(run_execute.SideWork): its files, its warnings and its errors reach the run; a failed run stops it."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from isnote import export
from isnote.config import PROJECT_ROOT, load_params
from isnote.run_execute import SideWork, StepFailed

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the fork is Linux's")


def _params(tmp_path):
    out = tmp_path / "out"
    params = load_params(str(PROJECT_ROOT / "params" / "demo.yaml"), output_dir=str(out))
    params.layout.tables.mkdir(parents=True)
    return params


def test_workbook_written_and_its_warning_returned(tmp_path):
    params = _params(tmp_path)
    df = pd.DataFrame({"op_id": ["1"], "title": ["Atelier\x0bchantier"]})
    export.write_table(df, params.layout.tables, "retained_operations")
    work = SideWork(params, [], cache_dir=tmp_path / "cache")
    work.start()
    pid = work._pid
    assert pid is not None and pid != os.getpid()          # another process did the work
    warnings = work.finish()
    assert (params.layout.tables / export.WORKBOOK).is_file()
    assert len(warnings) == 1 and warnings[0].startswith("AVERTISSEMENT : 1 cellule(s)")
    with pytest.raises(ChildProcessError):                  # waited for: no zombie left
        os.waitpid(pid, os.WNOHANG)


def test_an_error_of_the_forked_process_is_raised_in_french(tmp_path):
    params = _params(tmp_path)
    work = SideWork(params, ["99_absent.ipynb"])            # no such executed notebook
    with pytest.raises(StepFailed, match=r"^fichiers annexes \(HTML des carnets, classeur\) : "):
        work.finish()


def test_abandon_stops_the_forked_process(tmp_path):
    params = _params(tmp_path)
    df = pd.DataFrame({"op_id": [str(i) for i in range(200_000)], "title": ["x" * 40] * 200_000})
    export.write_table(df, params.layout.tables, "big")     # a workbook long enough to be stopped
    work = SideWork(params, [])
    work.start()
    pid = work._pid
    t = time.perf_counter()
    work.abandon()
    assert time.perf_counter() - t < 5
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not (params.layout.tables / export.WORKBOOK).exists()


def test_a_forked_process_that_dies_is_reported(tmp_path):
    params = _params(tmp_path)
    df = pd.DataFrame({"op_id": [str(i) for i in range(200_000)], "title": ["x" * 40] * 200_000})
    export.write_table(df, params.layout.tables, "big")
    work = SideWork(params, [])
    work.start()
    os.kill(work._pid, 9)                                   # killed from outside (out of memory...)
    with pytest.raises(StepFailed, match="a été arrêté par le signal 9 sans rendre de résultat"):
        work.finish()

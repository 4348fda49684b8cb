"""Reviewer guarantee: every executed notebook re-runs with nbval and reproduces its outputs.

`pytest --nbval <out>/notebooks/*.ipynb --nbval-sanitize-with tests/nbval_sanitize.cfg
--nbval-kernel-name isnote`, from the project root; only the run date is sanitised.
nbval starts the kernel in the notebook's folder: notebooks must find their files through
isnote.config (paths relative to the project root), not through the working directory.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from isnote.config import PROJECT_ROOT

HERE = Path(__file__).resolve().parent
SANITIZE = HERE / "nbval_sanitize.cfg"
FIXTURE_NOTEBOOKS = sorted((HERE / "note_fixtures" / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.slow


def run_nbval(paths, sanitize: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pytest", "--nbval", *[str(p) for p in paths],
           "--nbval-kernel-name", "isnote", "-p", "no:cacheprovider", "-q", "-o", "addopts="]
    if sanitize:
        cmd += ["--nbval-sanitize-with", str(SANITIZE)]
    return subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=3600)


@pytest.fixture
def report_out(built_report) -> Path:
    """The output folder of the demo report (session fixture of tests/conftest.py)."""
    return built_report.root


def test_report_notebooks_replay(report_out):
    paths = sorted((report_out / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    result = run_nbval(paths)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_fixture_notebooks_replay():
    result = run_nbval(FIXTURE_NOTEBOOKS)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


def _notebook(stored: str) -> dict:
    """One cell printing the run date; its stored output is `stored`."""
    code = ("import datetime as dt\nfrom isnote.narrative import fmt_date\nnow = dt.datetime.now()\n"
            "print(f\"Document produit le {fmt_date(now.date())} à {now:%H:%M}, soit {now.isoformat()}\")")
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "isnote", "display_name": "isnote", "language": "python"}},
            "cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 1, "source": code,
                       "outputs": [{"output_type": "stream", "name": "stdout", "text": stored}]}]}


def test_sanitize_covers_the_run_date_only(tmp_path):
    ok = tmp_path / "date.ipynb"
    ok.write_text(json.dumps(_notebook(
        "Document produit le 2 janvier 2025 à 10:30, soit 2025-01-02T10:30:00.123456\n")), encoding="utf-8")
    assert run_nbval([ok]).returncode == 0                         # the date is sanitised
    assert run_nbval([ok], sanitize=False).returncode != 0         # ... and does differ
    tampered = tmp_path / "tampered.ipynb"
    tampered.write_text(json.dumps(_notebook(
        "Document imprimé le 2 janvier 2025 à 10:30, soit 2025-01-02T10:30:00\n")), encoding="utf-8")
    assert run_nbval([tampered]).returncode != 0                   # any other difference fails

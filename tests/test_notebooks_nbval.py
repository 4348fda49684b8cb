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


def nbval_command(paths, sanitize: bool = True) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", "--nbval", *[str(p) for p in paths],
           "--nbval-kernel-name", "isnote", "-p", "no:cacheprovider", "-q", "-o", "addopts="]
    if sanitize:
        cmd += ["--nbval-sanitize-with", str(SANITIZE)]
    return cmd


def run_nbval(paths, sanitize: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(nbval_command(paths, sanitize), cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=3600)


# The two replays run in the background (tests/chains.py): the report's notebooks once the
# session's demo report is built, the fixture notebooks from the session's start.

def prepare_report(folder: Path) -> list[str]:
    """The report's executed notebooks, replayed on a copy of its outputs: each notebook names the
    output folder (or, run by an older version, the staging folder of its run), so the copies are
    pointed at the copied outputs, where the replay writes instead of the project's."""
    import shutil

    from isnote.config import DEFAULT_PARAMS, load_params
    report_out = load_params(DEFAULT_PARAMS).layout.root
    copy = folder / "outputs"
    shutil.copytree(report_out, copy, ignore=shutil.ignore_patterns("*.pdf"))
    notebooks = sorted((copy / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for nb_path in notebooks:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        injected = [c for c in nb["cells"] if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(injected) == 1, f"{nb_path.name} : cellule de paramètres injectés introuvable"
        cell = injected[0]
        lines = "".join(cell["source"]).splitlines(keepends=True)
        assert sum(line.startswith("output_dir = ") for line in lines) == 1, nb_path.name
        cell["source"] = [f"output_dir = {json.dumps(str(copy))}\n" if line.startswith("output_dir = ") else line
                          for line in lines]
        nb_path.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return nbval_command(notebooks)


def prepare_fixtures(folder: Path) -> list[str]:
    return nbval_command(FIXTURE_NOTEBOOKS)


@pytest.fixture
def nbval_report(built_report, chains):
    return chains.result("nbval_report")


@pytest.fixture
def nbval_fixtures(chains):
    return chains.result("nbval_fixtures")


def test_report_notebooks_replay(nbval_report):
    assert nbval_report.returncode == 0, nbval_report.log[-8000:]


def test_fixture_notebooks_replay(nbval_fixtures):
    assert nbval_fixtures.returncode == 0, nbval_fixtures.log[-8000:]
    assert " passed" in nbval_fixtures.log


def _notebook(stored: str) -> dict:
    """One cell printing the run date; its stored output is `stored`."""
    code = ("import datetime as dt\nfrom isnote.narrative import fmt_date\nnow = dt.datetime.now()\n"
            "print(f\"Document produit le {fmt_date(now.date())} à {now:%H:%M}, soit {now.isoformat()}\")")
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "isnote", "display_name": "isnote", "language": "python"}},
            "cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 1, "source": code,
                       "outputs": [{"output_type": "stream", "name": "stdout", "text": stored}]}]}


DATED = "Document produit le 2 janvier 2025 à 10:30, soit 2025-01-02T10:30:00.123456\n"
TAMPERED = "Document imprimé le 2 janvier 2025 à 10:30, soit 2025-01-02T10:30:00\n"


# the three replays of one-cell notebooks below run in the background too (tests/chains.py)
def _write(folder: Path, name: str, stored: str) -> Path:
    path = folder / name
    path.write_text(json.dumps(_notebook(stored)), encoding="utf-8")
    return path


def prepare_date(folder: Path) -> list[str]:
    return nbval_command([_write(folder, "date.ipynb", DATED)])


def prepare_date_unsanitized(folder: Path) -> list[str]:
    return nbval_command([_write(folder, "date.ipynb", DATED)], sanitize=False)


def prepare_tampered(folder: Path) -> list[str]:
    return nbval_command([_write(folder, "tampered.ipynb", TAMPERED)])


@pytest.fixture
def nbval_date(chains):
    return chains.result("nbval_date")


@pytest.fixture
def nbval_date_unsanitized(chains):
    return chains.result("nbval_date_unsanitized")


@pytest.fixture
def nbval_tampered(chains):
    return chains.result("nbval_tampered")


def test_sanitize_covers_the_run_date_only(nbval_date, nbval_date_unsanitized, nbval_tampered):
    assert nbval_date.returncode == 0, nbval_date.log[-4000:]         # the date is sanitised
    assert nbval_date_unsanitized.returncode != 0                      # ... and does differ
    assert nbval_tampered.returncode != 0                              # any other difference fails
    for r in (nbval_date_unsanitized, nbval_tampered):                 # failed on the output, not on a crash
        assert "1 failed" in r.log, r.log[-4000:]

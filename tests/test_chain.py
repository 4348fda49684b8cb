"""The whole chain (`make report`'s pipeline) on small fixtures, determinism, interrupted runs.

The small fixtures are our files in the two published layouts (tests/real_layouts/); the demo
run itself is the session fixture `built_report`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from isnote import pipeline
from isnote.config import PROJECT_ROOT, resolve

pytestmark = pytest.mark.slow


def _params_copy(src: str, tmp: Path, **changes) -> Path:
    data = yaml.safe_load((PROJECT_ROOT / src).read_text(encoding="utf-8"))
    data["output_dir"] = str(tmp / "out")
    reg = resolve(data["review_register"])
    shutil.copy2(reg, tmp / reg.name)
    data["review_register"] = str(tmp / reg.name)
    data.update(changes)
    target = tmp / "params.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


# The chains of this module run in the background from the session's start (tests/chains.py):
# the beneficiaries and annex XII layouts with the PDF, the demo again without it (the second run
# of the determinism check: the PDF is not among the compared files, and the note's HTML does not
# depend on it).

def prepare_beneficiaires(tmp: Path) -> Path:
    """The whole chain on the beneficiaries layout (CSV): its outputs are checked by
    test_whole_chain_on_published_layouts and are the "previous complete outputs" of the
    interrupted runs."""
    return _params_copy("params/real_beneficiaires_fse.yaml", tmp)


def prepare_annexe_xii(tmp: Path) -> Path:
    return _params_copy("params/real_annexe_xii.yaml", tmp)


def prepare_demo_again(tmp: Path) -> Path:
    return _params_copy("params/demo.yaml", tmp)


# The xlsx copies of these layouts are not run through the whole chain again: the ingest gives
# the same tables as from the CSV (tests/test_ingest.py::test_real_layout_xlsx_equals_csv), so
# the CSV chain asserts what an xlsx chain would.
@pytest.mark.parametrize("job", ["chain_beneficiaires", "chain_annexe_xii"])
def test_whole_chain_on_published_layouts(job, request):
    chain = request.getfixturevalue(job)
    summary, out = chain.summary, chain.out
    assert all(summary[s] == "ran" for s in ("ingest", "screening", "typology", "fse", "iej", "assemble"))
    for name in ("note.html", "note.pdf", "key_figures.json", "ramo_14_5.txt", "tables/tables.xlsx"):
        assert (out / name).stat().st_size > 0, name
    kf = json.loads((out / "key_figures.json").read_text(encoding="utf-8"))
    clean = pd.read_parquet(out / "clean" / "operations.parquet")
    for prog, waves in kf["volumes"].items():
        for wave, v in waves.items():
            sub = clean[(clean["programme"] == prog) & (clean["wave"] == wave)]
            assert v["n_ops"] == len(sub)
            assert v["ct"] == pytest.approx(sub["ct"].sum() / 1e6)
    html = (out / "note.html").read_text(encoding="utf-8")
    # no qualitative extract in these layouts: the note says the search used titles and names only
    assert "intitulés et les noms des porteurs" in html


@pytest.fixture(scope="module")
def chain_beneficiaires(chains):
    return chains.result("chain_beneficiaires")


@pytest.fixture(scope="module")
def chain_annexe_xii(chains):
    return chains.result("chain_annexe_xii")


@pytest.fixture(scope="module")
def chain_demo_again(chains):
    return chains.result("chain_demo_again")


def _digest(folder: Path, patterns: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pat in patterns:
        for p in sorted(folder.glob(pat)):
            if p.is_file():
                out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


DETERMINISTIC = ("tables/*.csv", "tables/tables.xlsx", "key_figures.json", "clean/*.parquet", "clean/*.json",
                 "clean/*.csv", "figures/*.svg", "figures/*.png", "ramo_14_5.txt")


def _strip_varying(html: str) -> str:
    html = re.sub(r'<section[^>]*id="annexe-c[^"]*".*?</section>', "", html, flags=re.S)   # provenance
    html = re.sub(r"\d{1,2}(?:er)?\s\w+\s\d{4}\sà\s\d{2}:\d{2}", "<date>", html)          # run date
    return html


def test_two_runs_give_identical_outputs(chain_demo_again, built_report):
    # the second run: a copy of the demo parameters writing elsewhere, every step forced
    assert all(chain_demo_again.summary[s] == "ran" for s in ("ingest", "screening", "typology", "fse", "iej", "assemble"))
    register = Path(yaml.safe_load(chain_demo_again.params.read_text())["review_register"])
    demo_register = resolve(yaml.safe_load((PROJECT_ROOT / "params/demo.yaml").read_text())["review_register"])
    assert register.read_bytes() == demo_register.read_bytes()      # the run left its register copy as it was
    out = chain_demo_again.out
    ref, new = _digest(built_report.root, DETERMINISTIC), _digest(out, DETERMINISTIC)
    assert ref.keys() == new.keys() and len(ref) > 20
    assert {k for k in ref if ref[k] != new[k]} == set()
    a = _strip_varying(built_report.note_html.read_text(encoding="utf-8"))
    b = _strip_varying((out / "note.html").read_text(encoding="utf-8"))
    assert a == b


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_interrupted_runs_leave_previous_outputs(tmp_path, chain_beneficiaires):
    """A run stopped by Ctrl-C (SIGINT), then one killed with its kernels (SIGKILL), leave the
    previous complete outputs untouched; the next run completes normally and clears what the
    killed runs left in the staging area."""
    p = _params_copy("params/real_beneficiaires_fse.yaml", tmp_path)
    # previous complete outputs: a copy of the module's run (same parameters, same inputs)
    shutil.copytree(chain_beneficiaires.out, tmp_path / "out", symlinks=True)
    out = tmp_path / "out"
    before = _tree(out)
    env = {k: v for k, v in os.environ.items() if k != "ISNOTE_OUTPUT_DIR"}
    # what a killed run cannot remove (its kernels' connection files, its PDF workers' server
    # folder) stays in the test's folder, not in the machine's /tmp
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    for sig in (signal.SIGINT, signal.SIGKILL):
        # Ctrl-C as in a terminal, even when the tests run in the background of a shell (which
        # starts them with SIGINT ignored, and a child would inherit that)
        proc = subprocess.Popen([sys.executable, "-m", "isnote.pipeline", "run", "--params", str(p), "--force"],
                                cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(4.0)                      # mid-run: the notebooks are executing
        assert proc.poll() is None, f"the run ended before it could be interrupted ({sig.name})"
        os.killpg(proc.pid, sig) if sig == signal.SIGKILL else proc.send_signal(sig)
        proc.wait(timeout=60)
        assert proc.returncode != 0, sig.name
        assert _tree(out) == before, sig.name      # the previous complete outputs, untouched
    # and the next run completes normally and clears what the killed runs left in the staging area
    # (without the PDF: no check here reads it)
    pipeline.run(str(p), force=True, pdf=False)
    assert (out / "note.html").exists()
    assert not [d for d in (tmp_path / ".out.staging").glob("stage-*") if d.is_dir()]

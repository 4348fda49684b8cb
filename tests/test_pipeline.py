"""The pipeline runner on tiny notebooks: skipping, dependency propagation, staging, failures."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml

from isnote import pipeline
from isnote.errors import IsnoteError

pytestmark = pytest.mark.slow


def _nb(code: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell('params_path = "params/demo.yaml"')
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "isnote", "display_name": "isnote", "language": "python"}
    return nb


WRITER = """
import os, pathlib, time
from isnote.config import load_params
p = load_params(params_path, output_dir=output_dir)   # both injected by the pipeline
out = p.layout.root
(out / "marks").mkdir(parents=True, exist_ok=True)
(out / "marks" / "{name}").write_text(str(time.time_ns()))
text = pathlib.Path(p["inputs"]["survey"]).read_text()
if "{name}" == "ingest" and "FAIL" in text:
    raise ValueError("boom")
"""


@pytest.fixture()
def tiny(tmp_path, monkeypatch):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    steps = (
        pipeline.Step("ingest", "a.ipynb", params_keys=(("inputs",),)),
        pipeline.Step("screening", "b.ipynb", params_keys=(("review_register",),), after=("ingest",)),
        pipeline.Step("fse", "c.ipynb", after=("screening",)),
        pipeline.Step("iej", "d.ipynb", after=("screening",)),
    )
    for s in steps:
        nbformat.write(_nb(WRITER.format(name=s.name)), nbdir / s.notebook)
    src = tmp_path / "src.txt"
    src.write_text("v1")
    reg = tmp_path / "reg.csv"
    reg.write_text("op_id;decision\n1;retenue\n")
    params = tmp_path / "p.yaml"
    params.write_text(yaml.safe_dump({
        "output_dir": str(tmp_path / "out"), "current_wave": "2019",
        "waves": {"2019": {"start": "2017-03-05", "end": "2018-12-31"}},
        "inputs": {"survey": str(src)}, "mapping": "x", "review_register": str(reg),
    }))
    monkeypatch.setattr(pipeline, "NOTEBOOKS_DIR", nbdir)
    monkeypatch.setattr(pipeline, "STEPS", steps)
    monkeypatch.setattr(pipeline, "STAGES", (("ingest",), ("screening",), ("fse", "iej")))
    monkeypatch.setattr(pipeline, "code_hash", lambda modules=(): "fixed")   # library code is not under test
    monkeypatch.setattr(pipeline, "_assemble", fake_assemble)
    return tmp_path, params, src, reg


def _marks(out: Path) -> dict:
    return {p.name: p.read_text() for p in (out / "marks").iterdir()}


def test_runs_skip_what_is_up_to_date_and_failures_keep_the_previous_outputs(tiny):
    """One project through four runs (each run starts its kernels: the checks share the runs).
    1. The first run runs everything, 2. the next one nothing; 3. a register change does not
    re-ingest but reruns what follows; 4. a failed run leaves the previous outputs."""
    tmp, params, src, reg = tiny
    # 1-2. first run runs everything, then nothing
    s1 = pipeline.run(str(params), pdf=False)
    assert [s1[k] for k in ("ingest", "screening", "fse", "iej", "assemble")] == ["ran"] * 5
    assert (tmp / "out" / "notebooks" / "a.ipynb").exists()
    assert (tmp / "out" / "note.html").read_text() == "note"
    # the executed notebooks name the published folder, not the staging one (gone by now)
    executed = (tmp / "out" / "notebooks" / "a.ipynb").read_text(encoding="utf-8")
    assert f'output_dir = \\"{tmp / "out"}\\"' in executed and ".staging" not in executed
    s2 = pipeline.run(str(params), pdf=False)
    assert all(s2[k] == "skipped" for k in ("ingest", "screening", "fse", "iej", "assemble"))

    # 3. a register change does not re-ingest; an HTML-only build drops the PDF of the older note
    before = _marks(tmp / "out")
    (tmp / "out" / "note.pdf").write_bytes(b"%PDF- an older note")
    reg.write_text("op_id;decision\n1;ecartee\n")
    s = pipeline.run(str(params), pdf=False)
    after = _marks(tmp / "out")
    assert s["assemble"] == "ran" and not (tmp / "out" / "note.pdf").exists()
    assert s["ingest"] == "skipped" and after["ingest"] == before["ingest"]
    assert s["screening"] == "ran" and after["screening"] != before["screening"]
    assert s["fse"] == "ran" and s["iej"] == "ran"

    # 4. a failed run leaves the previous outputs
    before = _marks(tmp / "out")
    src.write_text("FAIL")
    with pytest.raises(IsnoteError, match="ingest"):
        pipeline.run(str(params), pdf=False)
    assert _marks(tmp / "out") == before
    assert (tmp / "out" / "note.html").read_text() == "note"
    assert not list((tmp / ".out.staging").glob("stage-*"))
    state = json.loads((tmp / "out" / ".state" / "steps.json").read_text())
    assert set(state) >= {"ingest", "screening", "fse", "iej", "assemble"}


def fake_assemble(params, layout, pdf, pdf_cache=None) -> list[str]:
    """The note's assembly, not under test: a one-word note, no warning."""
    layout.note_html.write_text("note")
    return []


def _kernel_side_resources() -> tuple[int, int]:
    """(threads of the kernels' clients, event loops and lanes, sockets) of this process: a kernel
    client holds zmq sockets and a heartbeat thread, an event loop a socket pair. Pipes, files and
    epoll descriptors are left out: the test session's background jobs open and close them meanwhile."""
    import gc
    import os
    import threading
    gc.collect()          # what earlier tests of the session dropped is released first
    threads = sum(1 for t in threading.enumerate()
                  if type(t).__name__ in ("HBChannel", "_TaskRunner") or t.name.startswith("isnote-lane"))
    sockets = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            sockets += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            continue
    return threads, sockets


def test_kept_kernels_run_after_run_leave_no_thread_or_socket_behind(tiny):
    """The preview keeps its kernels and rebuilds again and again: a rebuild must not leave the
    clients papermill opened, their threads or their event loops behind (each one did: about 40
    descriptors per rebuild, until the process could open no more)."""
    tmp_path, params, src, reg = tiny
    pool = pipeline.KernelPool(list(pipeline.STEPS), first={"ingest"}, stages=pipeline.STAGES)
    try:
        seen = []
        for k in range(4):
            src.write_text(f"v{k + 2}")                    # every step runs again
            summary = pipeline.run(str(params), pdf=False, pool=pool, side=False)
            assert summary["fse"] == summary["iej"] == "ran"
            seen.append(_kernel_side_resources())
        # no growth from run to run (what another test of the session drops meanwhile may shrink it)
        assert seen[-1][0] <= seen[1][0] and seen[-1][1] <= seen[1][1], seen
    finally:
        pool.close()

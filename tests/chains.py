"""Whole-chain runs of the test session, built in the background while other tests run.

A whole chain (papermill kernels, then the note) keeps about one core busy; the machine has two.
Each chain a test module needs (`JOBS`: name -> preparation function, PDF or not) runs in a
process of its own, started as soon as the session begins when a collected test uses the fixture
of the same name (tests/conftest.py), one job at a time in a background thread. A test that needs
a job the background has not reached yet runs it at once itself, beside the background's job; a
test waiting for the background's job runs the next job meanwhile (at most two chains at once).

A job is: the preparation function (`module:function`, in the test module that checks the result:
it writes the parameters, and copied or altered data, under the job's folder and returns the
parameters file), then `pipeline.run` on it, in a subprocess. Its log is `job.log` in that folder;
`summary.json` is what `pipeline.run` returned. Tests read the outputs; a test that alters them
works on a copy.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# name -> (preparation function, pdf, force); the order is the order the session usually needs them
JOBS: dict[str, tuple[str, bool, bool]] = {
    "chain_beneficiaires": ("test_chain:prepare_beneficiaires", True, False),
    "chain_annexe_xii": ("test_chain:prepare_annexe_xii", True, False),
    "chain_demo_again": ("test_chain:prepare_demo_again", False, True),
    "chain_hostile_texts": ("test_hostile_leaks:prepare_hostile_texts", True, False),
    "chain_national": ("test_real_lists:prepare_national", True, False),
    "chain_2127": ("test_real_lists:prepare_2127", False, False),
    "chain_fse_only": ("test_real_lists:prepare_fse_only", True, False),
    "chain_three_waves": ("test_waves:prepare_three_waves", False, False),
}


@dataclass(frozen=True)
class Chain:
    """A finished job: its folder, parameters file, output folder and `pipeline.run` summary."""
    folder: Path
    params: Path
    out: Path
    summary: dict


def run_job(name: str, folder: Path) -> None:
    """In the job's subprocess: prepare, run the chain, write summary.json."""
    import importlib

    from isnote import pipeline
    from isnote.config import load_params

    target, pdf, force = JOBS[name]
    module, func = target.split(":")
    params = Path(getattr(importlib.import_module(module), func)(folder))
    summary = pipeline.run(str(params), pdf=pdf, force=force)
    out = load_params(params).layout.root
    (folder / "summary.json").write_text(json.dumps({"params": str(params), "out": str(out), "summary": summary}),
                                         encoding="utf-8")


RUNNER = "import sys, os; from pathlib import Path; import chains; chains.run_job(sys.argv[1], Path(sys.argv[2])); " \
         "sys.stdout.flush(); sys.stderr.flush(); os._exit(0)"


class Chains:
    """The session's jobs: started in the background, waited for (or run at once) by the tests."""

    def __init__(self, mktemp):
        self._mktemp = mktemp
        self._cond = threading.Condition()
        self._state: dict[str, str] = {}          # pending, running, done
        self._folder: dict[str, Path] = {}
        self._rc: dict[str, int] = {}
        self._procs: list[subprocess.Popen] = []
        self._order: list[str] = []               # the jobs in the order they are needed
        self._closed = False

    def start(self, names) -> None:
        """Queue `names` (in this order) and start the background thread."""
        names = [n for n in names if n in JOBS and n not in self._state]
        for n in names:
            self._folder[n] = self._mktemp(n)
            self._state[n] = "pending"
            self._order.append(n)
        if names:
            threading.Thread(target=self._worker, daemon=True, name="chains").start()

    def _worker(self) -> None:
        while True:
            with self._cond:
                name = next((n for n in self._order if self._state[n] == "pending"), None)
                if self._closed or name is None:
                    return
                self._state[name] = "running"
            self._run(name)

    def _run(self, name: str) -> None:
        folder = self._folder[name]
        env = {k: v for k, v in os.environ.items() if k != "ISNOTE_OUTPUT_DIR"}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(HERE), str(ROOT / "demo_generator"),
                                             env.get("PYTHONPATH", "")])
        rc = -1
        try:
            with open(folder / "job.log", "w", encoding="utf-8") as log:
                proc = subprocess.Popen([sys.executable, "-c", RUNNER, name, str(folder)], cwd=ROOT, env=env,
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
                with self._cond:
                    self._procs.append(proc)
                    if self._closed:
                        proc.kill()
                rc = proc.wait()
        finally:
            with self._cond:
                self._rc[name] = rc
                self._state[name] = "done"
                self._cond.notify_all()

    def result(self, name: str) -> Chain:
        """The finished job `name`: run now if the background has not started it; while the
        background runs it, the next job not yet started runs here meanwhile."""
        with self._cond:
            if name not in self._state:
                self._folder[name] = self._mktemp(name)
                self._state[name] = "pending"
                self._order.append(name)
        while True:
            with self._cond:
                if self._state[name] == "done":
                    rc = self._rc[name]
                    break
                job = name if self._state[name] == "pending" else \
                    next((n for n in self._order if self._state[n] == "pending"), None)
                if job is None:
                    self._cond.wait()
                    continue
                self._state[job] = "running"
            self._run(job)
        folder = self._folder[name]
        if rc != 0:
            log = (folder / "job.log").read_text(encoding="utf-8", errors="replace")
            raise AssertionError(f"the chain {name} failed (exit {rc}), end of {folder / 'job.log'}:\n{log[-6000:]}")
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        return Chain(folder, Path(data["params"]), Path(data["out"]), data["summary"])

    def close(self) -> None:
        """End the session: kill the jobs still running (and their kernels)."""
        with self._cond:
            self._closed = True
            procs = list(self._procs)
        for proc in procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()

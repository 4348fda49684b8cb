"""Long runs of the test session (whole chains, nbval replays), done in the background while
other tests run.

A whole chain (papermill kernels, then the note) keeps about one core busy; the machine has two.
Each job a selected test needs (`JOBS`; the test uses the fixture of the same name, see
tests/conftest.py) runs in a process of its own, queued as the session begins, one job at a time
in a background thread. A test that needs a job the background has not reached yet runs it at
once itself, beside the background's job (so at most two jobs at once). The demo report is not
queued: the first test that needs it builds it (while the background runs the next chains); a job
`after` the demo report is queued once it is built.

Three kinds of job:
- "chain": the preparation function (`module:function`, in the test module that checks the
  result: it writes the parameters, and copied or altered data, under the job's folder and returns
  the parameters file), then `pipeline.run` on it, in a subprocess; `summary.json` is what
  `pipeline.run` returned. A failed chain fails the tests that use it, with its log.
- "command": the preparation function returns a command line (run from the project root); the
  test asserts on its exit status and output.
- "report": the demo report in the project's output folder (fixture `built_report`).
The log of a job is `job.log` in its folder. Tests read the outputs; a test that alters them works
on a copy.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Job:
    prepare: str                 # module:function
    kind: str = "chain"          # chain | command | report (the demo report of `make report`)
    pdf: bool = True
    force: bool = False
    after: str | None = None     # "built_report": queued once the demo report is built


# the order is the order in which the session usually needs them
JOBS: dict[str, Job] = {
    "built_report": Job("conftest:build_demo_report", kind="report"),
    "chain_beneficiaires": Job("test_chain:prepare_beneficiaires"),
    "chain_annexe_xii": Job("test_chain:prepare_annexe_xii"),
    "chain_demo_again": Job("test_chain:prepare_demo_again", pdf=False, force=True),
    "demo_verification": Job("test_demo_data:prepare_verification", kind="command"),
    "demo_generations": Job("test_demo_data:prepare_generations", kind="command"),
    "hostile_mutations": Job("test_hostile_inputs:prepare_mutations", kind="command"),
    "chain_hostile_texts": Job("test_hostile_leaks:prepare_hostile_texts"),
    "nbval_report": Job("test_notebooks_nbval:prepare_report", kind="command", after="built_report"),
    "nbval_fixtures": Job("test_notebooks_nbval:prepare_fixtures", kind="command"),
    "nbval_date": Job("test_notebooks_nbval:prepare_date", kind="command"),
    "nbval_date_unsanitized": Job("test_notebooks_nbval:prepare_date_unsanitized", kind="command"),
    "nbval_tampered": Job("test_notebooks_nbval:prepare_tampered", kind="command"),
    "chain_national": Job("test_real_lists:prepare_national"),
    "chain_2127": Job("test_real_lists:prepare_2127", pdf=False),
    "chain_fse_only": Job("test_real_lists:prepare_fse_only"),
    "chain_three_waves": Job("test_waves:prepare_three_waves", pdf=False),
}


@dataclass(frozen=True)
class Result:
    """A finished job: its folder, exit status and log; for a chain, its parameters file, output
    folder and `pipeline.run` summary."""
    folder: Path
    returncode: int
    log: str
    params: Path | None = None
    out: Path | None = None
    summary: dict | None = None


def _function(target: str):
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


def run_job(name: str, folder: Path) -> None:
    """In a chain job's subprocess: prepare, run the chain, write summary.json."""
    from isnote import pipeline
    from isnote.config import load_params

    job = JOBS[name]
    if job.kind == "report":
        _function(job.prepare)()
        return
    params = Path(_function(job.prepare)(folder))
    summary = pipeline.run(str(params), pdf=job.pdf, force=job.force)
    out = load_params(params).layout.root
    (folder / "summary.json").write_text(json.dumps({"params": str(params), "out": str(out), "summary": summary}),
                                         encoding="utf-8")


# the quick exit of the pipeline's command (its PDF workers stopped, multiprocessing's temporary folder removed)
RUNNER = "import sys; from pathlib import Path; import chains; chains.run_job(sys.argv[1], Path(sys.argv[2])); " \
         "from isnote import entrypoint; entrypoint.exit_now(0)"


class Chains:
    """The session's jobs: queued in the background, waited for (or run at once) by the tests."""

    def __init__(self, mktemp, timing: Path | None = None):
        self._mktemp = mktemp
        self._timing = timing                     # where close() writes when and where each job ran
        self._times: list[str] = []
        self._t0 = time.monotonic()
        self._cond = threading.Condition()
        self._state: dict[str, str] = {}          # pending, running, done
        self._folder: dict[str, Path] = {}
        self._argv: dict[str, list[str]] = {}
        self._rc: dict[str, int] = {}
        self._procs: list[subprocess.Popen] = []
        self._order: list[str] = []               # the queued jobs, in the order they are needed
        self._deferred: dict[str, list[str]] = {}  # event -> jobs queued when it happens
        self._worker = None
        self._closed = False

    def start(self, names) -> None:
        """Queue `names` (in this order; those `after` an event wait for `ready(event)`) and start
        the background thread."""
        for n in names:
            if n in JOBS and n not in self._state and n not in sum(self._deferred.values(), []):
                if JOBS[n].after:
                    self._deferred.setdefault(JOBS[n].after, []).append(n)
                else:
                    self._queue(n)
        self._wake()

    def ready(self, event: str) -> None:
        """`event` happened (the demo report is built): queue the jobs waiting for it."""
        for n in self._deferred.pop(event, []):
            if n not in self._state:
                self._queue(n)
        self._wake()

    def _queue(self, name: str) -> None:
        """(main thread) The job's folder, its command for a command job, and its place in the queue."""
        folder = self._folder[name] = self._mktemp(name)
        job = JOBS[name]
        if job.kind == "command":
            self._argv[name] = [str(a) for a in _function(job.prepare)(folder)]
        with self._cond:
            self._state[name] = "pending"
            self._order.append(name)

    def _wake(self) -> None:
        with self._cond:
            pending = any(s == "pending" for s in self._state.values())
            if pending and (self._worker is None or not self._worker.is_alive()):
                self._worker = threading.Thread(target=self._work, daemon=True, name="chains")
                self._worker.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                name = next((n for n in self._order if self._state[n] == "pending"), None)
                if self._closed or name is None:
                    self._worker = None
                    return
                self._state[name] = "running"
            self._run(name)

    def _run(self, name: str) -> None:
        folder = self._folder[name]
        env = {k: v for k, v in os.environ.items() if k != "ISNOTE_OUTPUT_DIR"}
        if JOBS[name].kind != "command":
            env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(HERE), str(ROOT / "demo_generator"),
                                                 env.get("PYTHONPATH", "")])
            argv = [sys.executable, "-c", RUNNER, name, str(folder)]
        else:
            argv = self._argv[name]
        rc = -1
        t = time.monotonic()
        try:
            with open(folder / "job.log", "w", encoding="utf-8") as log:
                proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
                with self._cond:
                    self._procs.append(proc)
                    if self._closed:
                        proc.kill()
                rc = proc.wait()
        finally:
            with self._cond:
                self._times.append(f"{name:26} {threading.current_thread().name:12} {t - self._t0:7.1f} s"
                                   f" -> {time.monotonic() - self._t0:7.1f} s  exit {rc}")
                self._rc[name] = rc
                self._state[name] = "done"
                self._cond.notify_all()

    def result(self, name: str) -> Result:
        """The finished job `name`: run now if the background has not started it, else waited for
        (the tests, not the background, are the longer path: they do not take jobs over)."""
        if name not in self._state:
            for waiting in self._deferred.values():
                if name in waiting:
                    waiting.remove(name)
            self._queue(name)
        with self._cond:
            run_here = self._state[name] == "pending"
            if run_here:
                self._state[name] = "running"
        if run_here:
            self._run(name)
        with self._cond:
            while self._state[name] != "done":
                self._cond.wait()
            rc = self._rc[name]
        folder = self._folder[name]
        log = (folder / "job.log").read_text(encoding="utf-8", errors="replace")
        if JOBS[name].kind == "command":
            return Result(folder, rc, log)
        if JOBS[name].kind == "report" and rc == 0:
            return Result(folder, rc, log)
        if rc != 0:
            raise AssertionError(f"the chain {name} failed (exit {rc}), end of {folder / 'job.log'}:\n{log[-6000:]}")
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        return Result(folder, rc, log, Path(data["params"]), Path(data["out"]), data["summary"])

    def close(self) -> None:
        """End of the session: kill the jobs still running (and what they started)."""
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
        if self._timing is not None:
            self._timing.write_text("\n".join(self._times) + "\n", encoding="utf-8")

"""The one entry point of a run: execute the notebooks in order, then assemble the note.

    python -m isnote.pipeline run --params params/demo.yaml [--force] [--no-pdf]

Each step is a notebook executed by papermill into `<out>/notebooks/`. A step is skipped when
nothing it depends on changed since its last successful run (content hashes of its inputs, the
parameters, the notebook and the library code are recorded in `<out>/.state/steps.json`); so a
changed review register does not re-ingest. The two results notebooks run in parallel.

A run is staged: everything is written to a fresh copy of the previous outputs, and the new
outputs replace the old ones in one atomic rename at the end. A run that fails or is
interrupted leaves the previous complete outputs untouched.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .config import KERNEL_NAME, NOTEBOOKS_DIR, PROJECT_ROOT, Params, load_params, resolve, work_root
from .errors import IsnoteError
from .labels import dataset_label


@dataclass(frozen=True)
class Step:
    name: str
    notebook: str
    params_keys: tuple[tuple[str, ...], ...] = ()   # parameter paths whose files it reads
    after: tuple[str, ...] = ()                     # upstream steps (their outputs are inputs)
    clean_inputs: tuple[str, ...] = ()              # files of <out>/clean it reads
    extra: tuple[str, ...] = field(default=())      # other project paths (files or folders)
    modules: tuple[str, ...] = ()                   # isnote modules it runs (besides the common ones)
    programme: str | None = None                    # results of one programme: skipped when it is absent


COMMON_MODULES = ("__init__", "config", "errors", "frnum", "display", "keyfigures", "atomic",
                  "notebook", "narrative", "typography", "templates", "readertext", "frwords", "contextfacts",
                  "synthesis", "frdates", "labels", "register_schema", "formula", "parquet_io", "hashing", "cells")
NOTE_MODULES = ("note", "narrative", "typography", "provenance", "display", "frnum", "config",
                "keyfigures", "atomic", "export", "templates", "readertext", "frwords", "annexes", "techannex",
                "editorial", "synthesis", "sections", "printcheck", "contextfacts")


STEPS: tuple[Step, ...] = (
    Step("ingest", "01_ingest.ipynb",
         params_keys=(("inputs",), ("mapping",), ("nomenclature",)),
         modules=("readers", "validate", "ingest", "reallists", "screening", "textsearch", "waves")),
    Step("screening", "02_screening.ipynb",
         # only the decisions of earlier waves matter here (continuations); the current wave's
         # decisions are read by the typology step, so changing them does not rerun the screening
         params_keys=(("keywords",), ("actors",), ("typology",), ("review_register@previous",)),
         after=("ingest",), modules=("textsearch", "screening", "review", "signals", "ranking")),
    Step("typology", "03_typology.ipynb",
         params_keys=(("typology",), ("review_register",)),
         after=("ingest", "screening"),
         modules=("typology", "review", "tables", "checks", "export", "screening", "textsearch", "signals",
                  "capture", "waves")),
    Step("fse", "04_resultats_fse.ipynb",
         params_keys=(("nomenclature",), ("survey_themes",), ("survey_reading",), ("review_register",),
                      ("typology",), ("illustrations",)),
         after=("ingest", "screening"),
         modules=("typology", "review", "tables", "checks", "charts", "export", "textsearch", "screening",
                  "qualitative", "waves", "illustrations", "contextfacts"),
         programme="fse"),
    Step("iej", "05_resultats_iej.ipynb",
         params_keys=(("nomenclature",), ("review_register",), ("typology",), ("illustrations",)),
         after=("ingest", "screening"),
         modules=("typology", "review", "tables", "checks", "charts", "export", "textsearch", "screening",
                  "waves", "illustrations", "contextfacts"),
         programme="iej"),
)
# typology and the two results notebooks only read the clean tables, the candidates and the
# register: they run side by side
STAGES: tuple[tuple[str, ...], ...] = (("ingest",), ("screening",), ("typology", "fse", "iej"))


# ---------------------------------------------------------------- hashing

def _hash_path(h: "hashlib._Hash", path: Path) -> None:
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith("."):
                h.update(str(p.relative_to(path)).encode())
                h.update(p.read_bytes())
    elif path.is_file():
        h.update(path.read_bytes())
    else:
        h.update(b"<missing>")


def _param_files(params: Params, keys: tuple[str, ...]) -> list[Path]:
    node = params
    for k in keys:
        node = node.get(k) if isinstance(node, dict) else None
        if node is None:
            return []
    return sorted(resolve(x) for x in _leaf_paths(node))


def _leaf_paths(node) -> list[str]:
    """Every path of a parameter entry, whatever its form: a path, a list of paths, a dict
    programme -> path or programme -> list of paths (nested at any depth)."""
    if isinstance(node, (str, os.PathLike)):
        return [str(node)]
    if isinstance(node, dict):
        return [p for v in node.values() for p in _leaf_paths(v)]
    if isinstance(node, (list, tuple)):
        return [p for v in node for p in _leaf_paths(v)]
    return []


PACKAGE_DIR = Path(__file__).resolve().parent


def code_hash(modules: tuple[str, ...] = ()) -> str:
    """Hash of the library code a step runs: the common modules plus its own."""
    h = hashlib.sha256()
    for name in sorted(set(COMMON_MODULES) | set(modules)):
        path = PACKAGE_DIR / name if (PACKAGE_DIR / name).is_dir() else PACKAGE_DIR / f"{name}.py"
        h.update(name.encode())
        _hash_path(h, path)
    return h.hexdigest()


def step_key(step: Step, params: Params, upstream: dict[str, str], code) -> str:
    h = hashlib.sha256()
    h.update(params.source.read_bytes())
    h.update(code(step.modules).encode())
    _hash_path(h, NOTEBOOKS_DIR / step.notebook)
    for keys in step.params_keys:
        if keys == ("review_register@previous",):
            h.update(_register_rows_hash(params, previous=True).encode())
            continue
        for p in _param_files(params, keys):
            # the run's snapshot of the register is read, but named by its original path
            h.update(str(getattr(params, "register_source", None) or p
                         if keys == ("review_register",) else p).encode())
            _hash_path(h, p)
    for up in step.after:
        h.update(upstream.get(up, "").encode())
    for extra in step.extra:
        _hash_path(h, resolve(extra))
    return h.hexdigest()


def _register_rows_hash(params: Params, *, previous: bool) -> str:
    """Hash of the review register's rows of the waves before the current one (header included)."""
    h = hashlib.sha256()
    path = params.path("review_register")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        return "<missing>"
    except UnicodeDecodeError:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if not lines:
        return "<empty>"
    header = lines[0].split(";")
    h.update(lines[0].encode())
    if "vague" not in header:
        h.update("\n".join(lines).encode())
        return h.hexdigest()
    i = header.index("vague")
    cw = str(params["current_wave"])
    for line in lines[1:]:
        cells = line.split(";")
        wave = cells[i].strip() if len(cells) > i else ""
        if (wave != cw) == previous:
            h.update(line.encode())
    return h.hexdigest()


# ---------------------------------------------------------------- execution

class StepFailed(IsnoteError):
    def __init__(self, message: str, notebook: Path | None = None):
        super().__init__(message)
        self.notebook = notebook


def warm_up_code(step: Step) -> str:
    """What a step's kernel imports while it waits: the library modules the notebook will use."""
    mods = sorted({m for m in set(COMMON_MODULES) | set(step.modules)
                   if m not in ("__init__", "templates") and (PACKAGE_DIR / f"{m}.py").exists()})
    return ("import pandas, pyarrow.parquet\nimport isnote.notebook\nisnote.notebook.exit_with_parent()\n"
            + "\n".join(f"import isnote.{m}" for m in mods))


class KernelPool:
    """Kernels started (and warmed up) ahead of the steps that will use them.

    Starting a kernel and importing pandas/matplotlib costs about a second per notebook; doing it
    while the previous steps run takes it off the critical path.
    """

    def __init__(self, steps: list[Step], first: set[str] | None = None, env: dict | None = None):
        """`first`: the steps of the first stage to run; their kernels start at once, the others
        once those are ready (so that they do not slow the first stage down). `env`: the kernels'
        environment (default: this process's)."""
        from jupyter_client.manager import KernelManager

        first = set(first or ([steps[0].name] if steps else []))
        self._kms: dict[str, object] = {}
        self._pool = ThreadPoolExecutor(max_workers=max(2, len(first)))
        self._futures = {}
        leaders = []
        for step in steps:
            km = KernelManager(kernel_name=KERNEL_NAME)
            self._kms[step.name] = km
            code = warm_up_code(step)
            if step.name in first:
                fut = self._pool.submit(self._start, km, code, env)
                leaders.append(fut)
            else:
                fut = self._pool.submit(self._start_after, list(leaders), km, code, env)
            self._futures[step.name] = fut

    @classmethod
    def _start_after(cls, leaders, km, code: str, env: dict | None = None) -> None:
        for fut in leaders:
            try:
                fut.result()
            except Exception:
                pass
        cls._start(km, code, env)

    @staticmethod
    def _start(km, code: str, env: dict | None = None) -> None:
        env = dict(os.environ if env is None else env)
        env["ISNOTE_PIPELINE_PID"] = str(os.getpid())     # the kernel ends with the run (notebook.exit_with_parent)
        km.start_kernel(cwd=str(work_root()), env=env,
                        extra_arguments=["--IPKernelApp.log_level=ERROR"])  # no start-up chatter
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            kc.execute_interactive(code, timeout=60, store_history=False,
                                   output_hook=lambda msg: None)
        finally:
            kc.stop_channels()

    def submit(self, fn):
        fut = self._futures[f"_task{len(self._futures)}"] = self._pool.submit(fn)
        return fut

    def get(self, name: str):
        fut = self._futures.get(name)
        if fut is None:
            return None
        try:
            fut.result()
        except Exception:  # a kernel that failed to warm up: papermill will start its own
            self._shutdown(name)
            return None
        return self._kms.get(name)

    def _shutdown(self, name: str) -> None:
        km = self._kms.pop(name, None)
        if km is not None:
            try:
                km.shutdown_kernel(now=True)
            except Exception:
                pass

    def close(self) -> None:
        for fut in self._futures.values():
            try:
                fut.result()
            except Exception:
                pass
        for name in list(self._kms):
            self._shutdown(name)
        self._pool.shutdown(wait=True)


def _preload_assembly() -> None:
    import importlib.util
    if importlib.util.find_spec("isnote.note") is None:  # pragma: no cover
        return
    import weasyprint  # noqa: F401
    from . import note
    if hasattr(note, "warm_up"):
        note.warm_up()


def run_notebook(step: Step, params: Params, out_root: Path, km=None) -> None:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    target = out_root / "notebooks" / step.notebook
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.running.ipynb")
    extra = {"km": km} if km is not None else {}
    try:
        pm.execute_notebook(
            str(NOTEBOOKS_DIR / step.notebook), str(tmp),
            parameters={"params_path": str(params.source), "work_root": str(work_root())},
            kernel_name=KERNEL_NAME, cwd=str(work_root()),
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            **extra,
        )
    except PapermillExecutionError as exc:
        if exc.ename in ("InputError", "ConsistencyError", "ReviewConflictError", "IsnoteError"):
            raise StepFailed(f"étape « {step.name} » : {exc.evalue}", tmp) from None
        if exc.ename in OS_ERRORS:
            raise StepFailed(f"étape « {step.name} » : {_os_error_text(exc.evalue)}", tmp) from None
        raise StepFailed(f"étape « {step.name} » ({step.notebook}), cellule {exc.exec_count} : "
                         f"{exc.ename}: {exc.evalue}", tmp) from None
    os.replace(tmp, target)


OS_ERRORS = ("OSError", "PermissionError", "FileNotFoundError", "IsADirectoryError", "NotADirectoryError",
             "FileExistsError")


def _os_error_text(evalue: str) -> str:
    """French text for an OSError raised inside a notebook ("[Errno 28] No space left on device: 'x'")."""
    import re
    from .outputs_guard import os_error_message
    m = re.match(r"\[Errno (\d+)\] ([^:]*)(?:: '(.*?)')?(?: -> '(.*)')?$", evalue.strip(), re.S)
    if not m:
        return f"écriture ou lecture impossible ({evalue})"
    exc = OSError(int(m.group(1)), m.group(2), m.group(3), None, m.group(4))
    return os_error_message(exc)


def side_tasks(params: Params, notebooks: list[str], workbook: bool) -> None:
    """Work that nothing else waits for: the reviewer HTML of the notebooks that ran and the XLSX
    workbook. Run in a separate process (`python -m isnote.pipeline side`) beside the note, so that
    it costs no time on the critical path."""
    import importlib.util
    layout = params.layout
    if notebooks and importlib.util.find_spec("isnote.note") is not None:
        from . import note
        for name in notebooks:
            note.build_companion(layout.notebooks / name, params)
    if workbook and any(layout.tables.glob("*.csv")):
        from . import export
        export.build_workbook(layout.tables, notice=_dataset_notice(params))


def _start_side_tasks(params: Params, stage: Path, notebooks: list[str], workbook: bool) -> subprocess.Popen:
    env = {**os.environ, "ISNOTE_OUTPUT_DIR": str(stage)}
    cmd = [sys.executable, "-m", "isnote.pipeline", "side", "--params", str(params.source),
           *(["--workbook"] if workbook else []), *notebooks]
    return subprocess.Popen(cmd, cwd=work_root(), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _load_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _log(msg: str) -> None:
    print(msg, flush=True)


def plan(params: Params, layout, *, force: bool = False, pdf: bool = True) -> tuple[dict, dict, list[str], str]:
    """Decide what must run: returns (keys, state, steps to run, assemble key)."""
    state = {} if force else _load_state(layout.state / "steps.json")
    keys: dict[str, str] = {}
    dirty: set[str] = set()
    for step in STEPS:
        keys[step.name] = step_key(step, params, keys, code_hash)
        done = (layout.notebooks / step.notebook).exists() or state.get(f"{step.name}@absent") == keys[step.name]
        if state.get(step.name) != keys[step.name] or not done:
            dirty.add(step.name)
    assemble_key = hashlib.sha256(("|".join(keys[s.name] for s in STEPS) + code_hash(NOTE_MODULES)
                                   + _tree_hash("content") + _editorial_hash(params) + str(pdf)
                                   + ("strict" if os.environ.get("STRICT", "").strip() not in ("", "0") else "")
                                   ).encode()).hexdigest()
    todo = [s.name for s in STEPS if s.name in dirty]
    if state.get("assemble") != assemble_key or not layout.note_html.exists() \
            or (pdf and not layout.note_pdf.exists()):
        todo.append("assemble")
    return keys, state, todo, assemble_key


def stage_path(final: Path) -> Path:
    """The scratch folder where this process stages a run of the outputs `final`."""
    return final.parent / f".{final.name}.staging" / f"stage-{os.getpid()}"


def run(params_path: str | None = None, *, force: bool = False, pdf: bool = True,
        pool: "KernelPool | None" = None, progress=None, side: bool = True) -> dict:
    """Run the chain; return a summary {step: 'ran'|'skipped', ..., 'seconds': ...}.

    `pool`: kernels kept by the caller (the preview), started with ISNOTE_OUTPUT_DIR set to
    `stage_path(<out>)`, used and left running; `progress(label)` is called when a stage or the
    assembly starts; `side=False` leaves the reviewer HTML and the workbook to the caller."""
    t0 = time.perf_counter()
    params = load_params(params_path)
    final = params.layout.root
    from .outputs_guard import check_output_dir, check_writable
    check_output_dir(params)                 # a dedicated folder, refused before anything is written
    check_writable(final)

    # staging lives next to the output folder (same file system, so the final rename is atomic)
    stage = stage_path(final)
    build_root = stage.parent
    build_root.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_stages(build_root, final)   # and restore outputs a killed publish moved aside
    if stage.exists():
        shutil.rmtree(stage)
    stage_lock = _lock_stage(build_root, stage)
    summary: dict[str, object] = {s.name: "skipped" for s in STEPS}
    summary["assemble"] = "skipped"
    try:
        # every step of the run reads this one copy of the review register
        params = _snapshot_register(params, build_root / f"{stage.name}.register.csv")
        keys, state, todo, assemble_key = plan(params, params.layout, force=force, pdf=pdf)
    except BaseException:
        _end_run(build_root, stage, stage_lock)
        raise
    if not todo:
        _end_run(build_root, stage, stage_lock)
        summary["seconds"] = round(time.perf_counter() - t0, 2)
        return summary

    os.environ["ISNOTE_OUTPUT_DIR"] = str(stage)
    # every kernel the run needs starts now, while the previous outputs are copied
    first_stage = next((set(names) & set(todo) for names in STAGES if set(names) & set(todo)), set())
    own_pool = pool is None
    if own_pool:
        pool = KernelPool([s for s in STEPS if s.name in todo], first=first_stage)
    side_tasks_wanted, side = side, None
    closer = None
    preload = None
    if "assemble" in todo:   # import the assembly's heavy libraries while the notebooks run
        preload = pool.submit(_preload_assembly)
    from .atomic import write_text
    try:
        if final.exists() and any(final.iterdir()):
            shutil.copytree(final, stage, symlinks=True)
        else:
            stage.mkdir(parents=True)
        staged_params = load_params(params.source)
        layout = staged_params.layout.ensure()
        state_file = layout.state / "steps.json"
        by_name = {s.name: s for s in STEPS}
        for stage_names in STAGES:
            steps = [by_name[n] for n in stage_names if n in todo]
            absent = _absent_programme_steps(steps, layout)
            for step in absent:            # no section, no table for a programme absent from the data
                _drop_step_outputs(step, layout)
                state[step.name] = state[f"{step.name}@absent"] = keys[step.name]
                summary[step.name] = "absent"
            steps = [s for s in steps if s not in absent]
            if not steps:
                continue
            for step in steps:
                state.pop(step.name, None)
            t = time.perf_counter()
            if progress is not None:
                progress(", ".join(s.name for s in steps))
            if len(steps) == 1:
                run_notebook(steps[0], staged_params, stage, pool.get(steps[0].name))
            else:
                with ThreadPoolExecutor(max_workers=len(steps)) as threads:
                    futures = [threads.submit(run_notebook, s, staged_params, stage, pool.get(s.name))
                               for s in steps]
                    for f in futures:
                        f.result()
            for step in steps:
                state[step.name] = keys[step.name]
                summary[step.name] = "ran"
            _log(f"  {', '.join(s.name for s in steps)} : {time.perf_counter() - t:.1f} s")
            if set(stage_names) & {"typology", "fse", "iej"}:
                from .stepcheck import check_run
                check_run(layout, staged_params["current_wave"])   # the steps agree on the retained list
            _write_state(state_file, state)

        if any(summary.get(s.name) == "ran" for s in STEPS):
            from . import checks, export
            notice = _dataset_notice(staged_params)
            if notice:
                write_text(layout.tables / "LISEZMOI.txt", notice + "\n")
            checks.write_summary(layout)              # checks passed, for the methodological annex
        ran = [s.notebook for s in STEPS if summary.get(s.name) == "ran"]
        if ran and side_tasks_wanted:   # reviewer HTML and the workbook, in another process, beside the note
            side = _start_side_tasks(staged_params, stage, ran, workbook=True)
        if own_pool:   # the kernels are no longer needed: shut them down in the background
            closer = threading.Thread(target=pool.close, daemon=True)
            closer.start()
        pool = None

        from .keyfigures import dumps, merge_fragments
        merged = merge_fragments(layout.state / "key_figures")
        merged["dataset"] = {"label": staged_params.get("dataset_label") or "",
                             "synthetic": bool(staged_params.get("synthetic")),
                             "run_name": staged_params.get("run_name") or ""}
        write_text(layout.key_figures, dumps(merged))

        if "assemble" in todo:
            t = time.perf_counter()
            state.pop("assemble", None)
            if progress is not None:
                progress("note")
            if preload is not None:   # the PDF engine is not used from two threads at once
                try:
                    preload.result()
                except Exception:
                    pass
            _assemble(staged_params, layout, pdf=pdf)
            state["assemble"] = assemble_key
            summary["assemble"] = "ran"
            _log(f"  note : {time.perf_counter() - t:.1f} s")
        if side is not None:
            _, err = side.communicate()
            if side.returncode != 0:
                raise StepFailed(f"fichiers annexes (HTML des carnets, classeur) : {err.strip()[-2000:]}")
            for line in err.splitlines():
                if line.startswith("AVERTISSEMENT"):      # e.g. workbook cells cleaned or cut
                    _log(f"  {line}")
            side = None
        _write_state(state_file, state)
        _publish(stage, final, build_root)
        _remove_abandoned_stages(build_root, final)   # again: what a killed run's last writes left
    except BaseException as exc:
        failed_nb = getattr(exc, "notebook", None)
        if failed_nb is not None and Path(failed_nb).exists():   # keep it for diagnosis
            kept = build_root / "echec" / Path(failed_nb).name.replace(".running", "").lstrip(".")
            try:
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(failed_nb, kept)
                exc.args = (f"{exc.args[0]} — carnet exécuté conservé : {kept}",) + exc.args[1:]
            except OSError:
                pass                                   # disk full: the original error matters
        shutil.rmtree(stage, ignore_errors=True)
        raise
    finally:
        if closer is not None:
            closer.join()
        if side is not None and side.poll() is None:
            side.kill()
            side.wait()
        if pool is not None and own_pool:
            pool.close()
        _end_run(build_root, stage, stage_lock)

    summary["seconds"] = round(time.perf_counter() - t0, 2)
    return summary


def programmes_present(layout) -> set[str] | None:
    """Programmes with at least one operation in scope (clean operations of the ingest step);
    None when the ingest has not written them."""
    path = layout.clean / "operations.parquet"
    if not path.exists():
        return None
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    col = pq.read_table(path, columns=["programme"]).column(0)
    return {str(v) for v in pc.unique(col).to_pylist() if v is not None}


def _absent_programme_steps(steps: list[Step], layout) -> list[Step]:
    present = programmes_present(layout) if any(s.programme for s in steps) else None
    if present is None:
        return []
    return [s for s in steps if s.programme and s.programme not in present]


def _drop_step_outputs(step: Step, layout) -> None:
    """Outputs of an earlier run of a step that no longer applies (its programme is absent)."""
    name = Path(step.notebook).stem
    for path in (layout.notebooks / step.notebook, layout.notebooks / f"{name}.html",
                 layout.state / "checks" / f"{name}.json"):
        path.unlink(missing_ok=True)
    for frag in (layout.state / "key_figures").glob(f"*{step.programme}*.json") if step.programme else ():
        frag.unlink(missing_ok=True)


def _dataset_notice(params: Params) -> str | None:
    """The warning that travels with every table made from synthetic data."""
    if not params.get("synthetic"):
        return None
    label = dataset_label(params)
    return (f"{label.upper()}\n"
            "Ces tableaux sont calculés sur un jeu de données fictif (isnote) : ils ne décrivent aucune "
            "opération réelle et ne doivent pas être cités.")


def _lock_stage(build_root: Path, stage: Path):
    """Hold a lock that marks `stage` as in use for as long as this process lives."""
    import fcntl
    fh = open(build_root / f"{stage.name}.lock", "w")
    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fh


SNAPSHOT_ENV = ("ISNOTE_REGISTER_SNAPSHOT", "ISNOTE_REGISTER_SOURCE")


def _snapshot_register(params: Params, target: Path) -> Params:
    """Copy the review register once for the whole run and return the parameters that point to the
    copy (every step, in every kernel, reads it: `config.load_params` honours the variables).
    A register replaced during the run (an import) is seen by the next run, never by half of this one."""
    source = params.path("review_register")
    if not source.is_file():
        return params
    shutil.copyfile(source, target)
    os.environ[SNAPSHOT_ENV[0]] = str(target)
    os.environ[SNAPSHOT_ENV[1]] = str(source)
    return load_params(params.source)


def _end_run(build_root: Path, stage: Path, lock) -> None:
    """Release what the run holds: environment, register snapshot, stage lock."""
    os.environ.pop("ISNOTE_OUTPUT_DIR", None)
    for name in SNAPSHOT_ENV:
        os.environ.pop(name, None)
    (build_root / f"{stage.name}.register.csv").unlink(missing_ok=True)
    lock.close()
    (build_root / f"{stage.name}.lock").unlink(missing_ok=True)


def _remove_abandoned_stages(build_root: Path, final: Path | None = None) -> None:
    """Clean up after runs that were killed (nobody holds their lock any more): remove their staging
    folder and register snapshot; outputs their publish had moved aside (`previous-PID`) are put
    back when the output folder is missing (killed between the two renames), removed otherwise."""
    import fcntl
    import re
    pids = {m.group(1) for d in build_root.iterdir()
            if (m := re.fullmatch(r"(?:stage|previous)-(\d+)(?:\.register\.csv|\.lock)?", d.name))}
    for pid in sorted(pids):
        lock = build_root / f"stage-{pid}.lock"
        try:
            with open(lock, "a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)   # free: its run is gone
                previous = build_root / f"previous-{pid}"
                if previous.is_dir():
                    if final is not None and not final.exists():
                        os.replace(previous, final)             # the old outputs, complete
                    else:
                        shutil.rmtree(previous, ignore_errors=True)
                shutil.rmtree(build_root / f"stage-{pid}", ignore_errors=True)
                (build_root / f"stage-{pid}.register.csv").unlink(missing_ok=True)
            lock.unlink(missing_ok=True)
        except BlockingIOError:
            continue                                            # a run in progress


def _assemble(params: Params, layout, *, pdf: bool) -> None:
    import importlib.util
    if importlib.util.find_spec("isnote.note") is None:  # pragma: no cover - during development
        return
    from . import note
    result = note.build(params, layout, pdf=pdf, companions=False)
    for line in [w for w in result.get("warnings", []) if w.startswith(("paragraphe à relire", "termes techniques",
                                                                               "tableau plus large"))]:
        _log(f"  {line}")


def _tree_hash(rel: str) -> str:
    h = hashlib.sha256()
    _hash_path(h, PROJECT_ROOT / rel)
    return h.hexdigest()


def _editorial_hash(params: Params) -> str:
    """The content folders, closing sections and approvals file named by the parameters."""
    from .editorial import editorial_paths
    h = hashlib.sha256()
    for path in editorial_paths(params):
        h.update(str(path).encode())
        if path.exists():
            _hash_path(h, path)
    return h.hexdigest()


def _write_state(path: Path, state: dict) -> None:
    from .atomic import write_text
    write_text(path, json.dumps(state, indent=2, sort_keys=True) + "\n")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in str(name))


def _publish(stage: Path, final: Path, build_root: Path) -> None:
    """Replace `final` by `stage` so that readers see the old or the new outputs, never a mix.

    `final` (e.g. outputs/) is swapped with the staged folder by two renames; the old outputs are
    moved aside first and removed afterwards. Between the two renames `final` does not exist for a
    few microseconds: a reader sees "no outputs", never a mixture.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() and _exchange(stage, final):
        # one atomic swap: `stage` now holds the old outputs; if the run is killed here, the next
        # run removes them as the leftover of a dead run
        shutil.rmtree(stage, ignore_errors=True)
        return
    old = build_root / f"previous-{os.getpid()}"
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    try:
        os.replace(stage, final)
    except BaseException:
        if old.exists() and not final.exists():
            os.replace(old, final)                     # put the old outputs back
        raise
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes
    import errno
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="isnote.pipeline", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the chain and build the note")
    r.add_argument("--params", default=None, help="parameters file (default params/demo.yaml)")
    r.add_argument("--force", action="store_true", help="rerun every step")
    r.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    sd = sub.add_parser("side", help=argparse.SUPPRESS)
    sd.add_argument("--params", required=True)
    sd.add_argument("--workbook", action="store_true")
    sd.add_argument("notebooks", nargs="*")
    args = parser.parse_args(argv)
    if args.cmd == "side":
        try:
            side_tasks(load_params(args.params), args.notebooks, args.workbook)
        except OSError as exc:
            from .outputs_guard import os_error_message
            print(f"ERREUR : {os_error_message(exc)}", file=sys.stderr)
            return 2
        return 0
    try:
        summary = run(args.params, force=args.force, pdf=not args.no_pdf)
    except IsnoteError as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 2
    except OSError as exc:          # disk full, read-only or forbidden folder: the old outputs stay
        from .outputs_guard import os_error_message
        print(f"ERREUR : {os_error_message(exc)} ; les sorties précédentes sont conservées", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrompu : les sorties précédentes sont intactes.", file=sys.stderr)
        return 130
    ran = [k for k, v in summary.items() if v == "ran"]
    _log(f"Rapport à jour en {summary['seconds']} s"
         + (f" (étapes exécutées : {', '.join(ran)})" if ran else " (rien à refaire)"))
    out = load_params(args.params).layout.root
    try:
        out = out.relative_to(Path.cwd())
    except ValueError:
        pass
    _log(f"Sorties : {out / 'note.html'}, {out / 'note.pdf'} ; carnets exécutés dans {out / 'notebooks'}")
    return 0


if __name__ == "__main__":
    code = main()
    # Everything is written and closed by now; skip the interpreter's teardown (zmq contexts and
    # kernel clients of the finished run take about half a second to be garbage-collected).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

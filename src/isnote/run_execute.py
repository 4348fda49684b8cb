"""Executing a run's steps: kernels started ahead (`KernelPool`), notebooks run by papermill,
the note assembled, and the side work nothing waits for (reviewer HTML, workbook) in a process
of its own.

Every notebook gets its parameters from papermill: `params_path`, `work_root` and `output_dir`
(the run's staging folder, where it writes; `notebook.start` passes it to `config.load_params`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .config import KERNEL_NAME, NOTEBOOKS_DIR, Params, work_root
from .errors import IsnoteError
from .labels import dataset_label
from .parentwatch import end_with
from .run_plan import STAGES, Step, lanes, notebook_imports


# the client class of the kernels' managers, by name: jupyter_client imports it when the first
# client is made (not with the pipeline, whose run with nothing to redo never starts a kernel)
CLIENT_CLASS = "isnote.kernelclient.ReadyClient"


class StepFailed(IsnoteError):
    def __init__(self, message: str, notebook: Path | None = None):
        super().__init__(message)
        self.notebook = notebook


def warm_up_code(steps, notebooks_dir: Path | None = None) -> str:
    """What a kernel imports while it waits: the library modules its notebooks import."""
    steps = [steps] if isinstance(steps, Step) else steps
    mods: set[str] = set()
    for step in steps:
        nb = (notebooks_dir or NOTEBOOKS_DIR) / step.notebook
        mods |= notebook_imports(nb) if nb.is_file() else set()
    return ("import pandas, pyarrow.parquet\nimport isnote.notebook\nisnote.notebook.exit_with_parent()\n"
            + "\n".join(f"import isnote.{m}" for m in sorted(mods)))


class KernelPool:
    """Kernels started (and warmed up) ahead of the steps that will use them.

    Starting a kernel and importing pandas/matplotlib costs about a second per notebook; doing it
    while the previous steps run takes it off the critical path. Steps of a stage that share a
    kernel (`run_plan.lanes`) get one kernel, started for the first of them.
    """

    def __init__(self, steps: list[Step], first: set[str] | None = None, env: dict | None = None,
                 stages=None):
        """`first`: the steps of the first stage to run; their kernels start at once, the others
        once those are ready (so that they do not slow the first stage down). `env`: the kernels'
        environment (default: this process's). `stages`: default run_plan.STAGES."""
        from jupyter_client.manager import KernelManager

        first = set(first or ([steps[0].name] if steps else []))
        by_name = {s.name: s for s in steps}
        groups: list[list[str]] = []
        for names in stages or STAGES:
            groups += lanes([n for n in names if n in by_name])
        grouped = {n for g in groups for n in g}
        groups += [[s.name] for s in steps if s.name not in grouped]
        groups.sort(key=lambda g: [s.name for s in steps].index(g[0]))
        self._host = {n: g[0] for g in groups for n in g}
        self._kms: dict[str, object] = {}
        self._pool = ThreadPoolExecutor(max_workers=max(2, len(first)))
        # the threads that run the notebooks of a stage side by side (one per lane), kept with the
        # kernels: jupyter_client's blocking calls keep an event loop (and, by thread name, a task
        # runner thread) for each thread that makes them, never released; new threads for every
        # rebuild of the preview would leave two threads and a dozen file descriptors behind each time
        self.lanes = ThreadPoolExecutor(max_workers=max([2, *(len(lanes(names)) for names in stages or STAGES)]),
                                        thread_name_prefix="isnote-lane")
        self._futures = {}
        leaders = []
        for group in groups:
            # its clients are ready once the kernel answered (see isnote.kernelclient)
            km = KernelManager(kernel_name=KERNEL_NAME, client_class=CLIENT_CLASS)
            self._kms[group[0]] = km
            code = warm_up_code([by_name[n] for n in group])
            if set(group) & first:
                fut = self._pool.submit(self._start, km, code, env)
                leaders.append(fut)
            else:
                fut = self._pool.submit(self._start_after, list(leaders), km, code, env)
            self._futures[group[0]] = fut

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
                        extra_arguments=["--IPKernelApp.log_level=ERROR",      # no start-up chatter
                                         "--HistoryManager.enabled=False"])    # no history database to open
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
        """The started kernel of step `name` (None if it failed to start: papermill starts one)."""
        name = self._host.get(name, name)
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
        self.lanes.shutdown(wait=True)
        self._pool.shutdown(wait=True)


def warm_papermill() -> None:
    """Import papermill and compile nbformat's schema validator: about a second of CPU, paid by the
    first notebook of a process otherwise, while its kernel waits."""
    import nbformat
    import papermill  # noqa: F401
    nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        outputs=[nbformat.v4.new_output("display_data", data={"text/html": ""})])]))
    _quiet_papermill()


def preload_assembly(pdf: bool = False) -> None:
    warm_papermill()               # first: the notebooks need it before the note does
    import importlib.util
    if importlib.util.find_spec("isnote.note") is None:  # pragma: no cover
        return
    from . import note, weasyload
    weasyload.ensure()
    if hasattr(note, "warm_up"):
        note.warm_up(pdf=pdf)


class _InjectedParameters:
    """Logging filter: papermill warns about an injected parameter that the notebook's parameters
    cell does not declare; `output_dir` is injected on purpose (read by `notebook.start`)."""

    def filter(self, record) -> bool:
        return "unknown parameter: output_dir" not in record.getMessage()


def _quiet_papermill() -> None:
    import logging
    logger = logging.getLogger("papermill")
    if not any(isinstance(f, _InjectedParameters) for f in logger.filters):
        logger.addFilter(_InjectedParameters())


def run_notebook(step: Step, params: Params, out_root: Path, km=None, notebooks_dir: Path | None = None,
                 published_root: Path | None = None) -> None:
    """Execute a step's notebook into `out_root/notebooks/` (written under a temporary name, renamed
    when it succeeded); `out_root` is passed to the notebook as its `output_dir`. `published_root`:
    the folder `out_root` becomes once the run is published, named instead of it in the executed
    notebook (see `_name_published_root`)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    _quiet_papermill()
    target = out_root / "notebooks" / step.notebook
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.running.ipynb")
    extra = {"km": km} if km is not None else {}
    if km is not None:
        reset_namespace(km)
    try:
        try:
            pm.execute_notebook(
                str((notebooks_dir or NOTEBOOKS_DIR) / step.notebook), str(tmp),
                parameters={"params_path": str(params.source), "work_root": str(work_root()),
                            "output_dir": str(out_root)},
                kernel_name=KERNEL_NAME, cwd=str(work_root()),
                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                **extra,
            )
        finally:
            if km is not None:      # the client papermill opened on the pool's kernel (isnote.kernelclient)
                from .kernelclient import close_clients
                close_clients(km)
    except PapermillExecutionError as exc:
        if exc.ename in ("InputError", "ConsistencyError", "ReviewConflictError", "IsnoteError"):
            raise StepFailed(f"étape « {step.name} » : {exc.evalue}", tmp) from None
        if exc.ename in OS_ERRORS:
            raise StepFailed(f"étape « {step.name} » : {os_error_text(exc.evalue)}", tmp) from None
        raise StepFailed(f"étape « {step.name} » ({step.notebook}), cellule {exc.exec_count} : "
                         f"{exc.ename}: {exc.evalue}", tmp) from None
    if published_root is not None:
        _name_published_root(tmp, out_root, published_root)
    os.replace(tmp, target)


def _name_published_root(notebook: Path, stage: Path, final: Path) -> None:
    """The executed notebook names the folder its run publishes (its injected `output_dir`,
    papermill's record of the parameters, any path under it) instead of the staging folder, which
    is gone once the run is published: the reviewer reads where the files are, and the notebook
    of two runs of the same data is the same."""
    old, new = (json.dumps(str(p), ensure_ascii=False)[1:-1] for p in (stage, final))
    if old == new:
        return
    text = notebook.read_text(encoding="utf-8")
    if old in text:
        notebook.write_text(text.replace(old, new), encoding="utf-8")


def reset_namespace(km) -> None:
    """Empty the user namespace of a kernel that ran another notebook (or this one, in the preview):
    a notebook sees only its own names; the imported modules stay loaded."""
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)    # IOPub connected: the reply's end is not missed (a few ms)
        kc.execute_interactive("get_ipython().reset(new_session=False, aggressive=False)", timeout=60,
                               store_history=False, output_hook=lambda msg: None)
    finally:
        kc.stop_channels()


OS_ERRORS = ("OSError", "PermissionError", "FileNotFoundError", "IsADirectoryError", "NotADirectoryError",
             "FileExistsError")


def os_error_text(evalue: str) -> str:
    """French text for an OSError raised inside a notebook ("[Errno 28] No space left on device: 'x'")."""
    import re
    from .outputs_guard import os_error_message
    m = re.match(r"\[Errno (\d+)\] ([^:]*)(?:: '(.*?)')?(?: -> '(.*)')?$", evalue.strip(), re.S)
    if not m:
        return f"écriture ou lecture impossible ({evalue})"
    exc = OSError(int(m.group(1)), m.group(2), m.group(3), None, m.group(4))
    return os_error_message(exc)


def side_tasks(params: Params, notebooks: list[str], workbook: bool, cache_dir: Path | None = None) -> list[str]:
    """Work that nothing else waits for: the reviewer HTML of the notebooks that ran and the XLSX
    workbook; return the warnings worth showing ("AVERTISSEMENT : ..."). `make report` runs it in
    a process forked beside the note's assembly (`SideWork`), the preview in a process of its own
    started later (`start_side_tasks`). `cache_dir`: where the reviewer HTML keeps what it may
    reuse from one run to the next (isnote.companion)."""
    layout = params.layout
    warnings: list[str] = []
    if notebooks:
        from . import companion
        companion.build_all([layout.notebooks / name for name in notebooks], params, cache_dir)
    if workbook and any(layout.tables.glob("*.csv")):
        from . import export
        export.build_workbook(layout.tables, notice=dataset_notice(params), warnings=warnings)
    return warnings


class SideWork:
    """`side_tasks` beside the note's assembly, in a process forked from this one once the
    notebooks have run (`start`): the note's HTML is put together by one core, so the other is free
    then, and the forked process has nbconvert and pandas already imported, which a new process
    would import again (about 2 s of CPU). Where there is no fork, a thread does the work.

    The forked process touches nothing of this one's kernels or threads: it writes its files
    (atomically), sends its warnings or its error down a pipe and ends with `os._exit`, running no
    clean-up of this process; it also ends if this process is killed."""

    def __init__(self, params: Params, notebooks: list[str], cache_dir: Path | None = None):
        self._args = (params, notebooks, True, cache_dir)
        self._started = False
        self._pid: int | None = None
        self._pipe: int | None = None
        self._thread: threading.Thread | None = None
        self._result: dict = {}

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        if hasattr(os, "fork") and sys.platform.startswith("linux"):
            read, write = os.pipe()
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:                                   # the forked process
                code = 1
                try:
                    os.close(read)
                    end_with(parent)              # a killed run: end at once
                    result = self._work()
                    code = 0 if "error" not in result else 1
                    with os.fdopen(write, "wb") as out:
                        out.write(json.dumps(result).encode("utf-8"))
                finally:
                    os._exit(code)
            os.close(write)
            self._pid, self._pipe = pid, read
        else:                                              # pragma: no cover - not Linux
            self._thread = threading.Thread(target=lambda: self._result.update(self._work()),
                                            name="isnote-side", daemon=True)
            self._thread.start()

    def _work(self) -> dict:
        try:
            return {"warnings": side_tasks(*self._args)}
        except IsnoteError as exc:
            return {"error": f"fichiers annexes (HTML des carnets, classeur) : {exc}"}
        except OSError as exc:
            from .outputs_guard import os_error_message
            return {"error": f"fichiers annexes (HTML des carnets, classeur) : {os_error_message(exc)}"}
        except BaseException as exc:                       # noqa: BLE001 - reported by finish()
            return {"error": f"fichiers annexes (HTML des carnets, classeur) : {type(exc).__name__} : {exc}"}

    def finish(self) -> list[str]:
        """Wait for the work (started now if it was not); its warnings, or its error raised here."""
        self.start()
        if self._pid is not None:
            with os.fdopen(self._pipe, "rb") as pipe:
                data = pipe.read()
            self._pipe = None
            _, status = os.waitpid(self._pid, 0)
            self._pid = None
            try:
                self._result = json.loads(data.decode("utf-8")) if data else {}
            except ValueError:
                self._result = {}
            if not self._result:          # killed, or ended without a word
                how = (f"a été arrêté par le signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                       else f"s'est terminé avec le code {os.waitstatus_to_exitcode(status)}")
                self._result = {"error": "fichiers annexes (HTML des carnets, classeur) : le processus qui les "
                                         f"écrit {how} sans rendre de résultat"}
        elif self._thread is not None:                     # pragma: no cover - not Linux
            self._thread.join()
        if "error" in self._result:
            raise StepFailed(self._result["error"])
        return list(self._result.get("warnings", []))

    def abandon(self) -> None:
        """A failed run: stop the work (it writes into the staging folder about to be removed)."""
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self._pid, 0)
            self._pid = None
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        if self._thread is not None:                       # pragma: no cover - not Linux
            self._thread.join()


def start_side_tasks(params: Params, out_root: Path, notebooks: list[str], workbook: bool,
                     stderr=subprocess.PIPE, nice: int = 0, cache_dir: Path | None = None) -> subprocess.Popen:
    """`side_tasks` in a process of its own, on the outputs in `out_root`; `nice`: a lower CPU
    priority (the preview's: the next rebuild never waits for the processor behind it)."""
    cmd = [sys.executable, "-m", "isnote.pipeline", "side", "--params", str(params.source),
           "--output-dir", str(out_root), *(["--workbook"] if workbook else []),
           *(["--cache-dir", str(cache_dir)] if cache_dir is not None else []), *notebooks]
    lower = (lambda: os.nice(nice)) if nice and hasattr(os, "nice") else None
    return subprocess.Popen(cmd, cwd=work_root(), stdout=subprocess.DEVNULL, stderr=stderr,
                            text=True, preexec_fn=lower)


def dataset_notice(params: Params) -> str | None:
    """The warning that travels with every table made from synthetic data."""
    if not params.get("synthetic"):
        return None
    label = dataset_label(params)
    return (f"{label.upper()}\n"
            "Ces tableaux sont calculés sur un jeu de données fictif (isnote) : ils ne décrivent aucune "
            "opération réelle et ne doivent pas être cités.")


def assemble(params: Params, layout, *, pdf: bool, pdf_cache: Path | None = None) -> tuple[list[str], str | None]:
    """Build the note (HTML, and the PDF when `pdf`; its laid-out parts kept in `pdf_cache`); return
    the warnings worth showing the writer (paragraphs to re-read, technical terms, wide tables) and
    the PDF's layout figures (None without PDF)."""
    import importlib.util
    if importlib.util.find_spec("isnote.note") is None:  # pragma: no cover - during development
        return [], None
    from . import note
    # the post-processed parts of the page are kept beside the PDF's (the same page as without)
    from .run_publish import cache_dir
    post_cache = cache_dir(Path(pdf_cache).parent, "post") if pdf_cache is not None else None
    result = note.build(params, layout, pdf=pdf, companions=False, pdf_cache=pdf_cache, post_cache=post_cache)
    lines = [w for w in result.get("warnings", [])
             if w.startswith(("paragraphe à relire", "termes techniques", "tableau plus large"))]
    stats = result.get("pdf_stats")
    layout_line = (f"PDF de {stats['pages']} pages : {stats['laid_out']} morceaux mis en page, "
                   f"{stats['reused']} repris de l'exécution précédente") if stats else None
    return lines, layout_line

"""Start-up of every notebook: parameters, output layout, key-figure writer, display settings."""

from __future__ import annotations

import inspect
import os
import sys
import warnings
from dataclasses import dataclass

from .config import Layout, Params, load_params
from .keyfigures import KeyFigures


@dataclass
class Context:
    params: Params
    layout: Layout
    kf: KeyFigures

    @property
    def synthetic(self) -> bool:
        return bool(self.params.get("synthetic"))


PARENT_ENV = "ISNOTE_PIPELINE_PID"


def exit_with_parent(interval: float = 0.2) -> None:
    """In a kernel started by the pipeline: end this process as soon as the pipeline process is
    gone (a killed run), so that a cell still executing cannot write into the staging folder the
    next run is cleaning. Kernels run in their own session, so killing the run's process group
    does not reach them, and the kernel's own parent check waits for a reparenting to PID 1 that a
    container may never do."""
    from .parentwatch import end_with

    pid = os.environ.get(PARENT_ENV)
    if not pid or not pid.isdigit() or getattr(exit_with_parent, "_started", False):
        return
    exit_with_parent._started = True
    end_with(int(pid), interval=interval, code=1)


def start(params_path: str | None, work_root: str | None = None, output_dir: str | None = None) -> Context:
    """`work_root`: the folder the run's relative paths resolve against. The pipeline injects it
    next to params_path (papermill parameters), so that a notebook re-run elsewhere (nbval starts
    its kernel in the notebook's folder) reads the same files. `output_dir`: where the run writes
    (the pipeline injects its staging folder; default: the parameters' `output_dir`). Both are
    taken from the caller's globals when not passed."""
    warnings.filterwarnings("ignore")          # no stray warnings in the note
    caller = inspect.currentframe().f_back
    injected = caller.f_globals if caller is not None else {}
    if work_root is None:
        work_root = injected.get("work_root")
    if output_dir is None:
        output_dir = injected.get("output_dir")
    if work_root:
        os.environ["ISNOTE_WORK_ROOT"] = str(work_root)      # internal override of config.work_root()
    params = load_params(params_path, output_dir=output_dir)
    layout = params.layout.ensure()
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use("Agg")
    else:       # matplotlib, when a chart imports it (isnote.charts), draws on Agg; importing it
        os.environ["MPLBACKEND"] = "Agg"    # here would cost a third of a second of CPU
    return Context(params=params, layout=layout, kf=KeyFigures(layout.state))

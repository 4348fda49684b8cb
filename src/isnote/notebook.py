"""Start-up of every notebook: parameters, output layout, key-figure writer, display settings."""

from __future__ import annotations

import inspect
import os
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


def start(params_path: str | None, work_root: str | None = None) -> Context:
    """`work_root`: the folder the run's relative paths resolve against. The pipeline injects it
    next to params_path (papermill parameters), so that a notebook re-run elsewhere (nbval starts
    its kernel in the notebook's folder) reads the same files; taken from the caller's globals
    when not passed."""
    warnings.filterwarnings("ignore")          # no stray warnings in the note
    if work_root is None:
        caller = inspect.currentframe().f_back
        work_root = caller.f_globals.get("work_root") if caller is not None else None
    if work_root:
        os.environ["ISNOTE_WORK_ROOT"] = str(work_root)      # internal override of config.work_root()
    params = load_params(params_path)
    layout = params.layout.ensure()
    try:
        import matplotlib
        matplotlib.use("Agg")
    except ImportError:  # pragma: no cover
        pass
    return Context(params=params, layout=layout, kf=KeyFigures(layout.state))

"""Start-up of every notebook: parameters, output layout, key-figure writer, display settings."""

from __future__ import annotations

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


def start(params_path: str | None) -> Context:
    warnings.filterwarnings("ignore")          # no stray warnings in the note
    params = load_params(params_path)
    layout = params.layout.ensure()
    try:
        import matplotlib
        matplotlib.use("Agg")
    except ImportError:  # pragma: no cover
        pass
    return Context(params=params, layout=layout, kf=KeyFigures(layout.state))

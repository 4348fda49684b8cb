"""Key figures: each notebook writes its blocks as fragments; the pipeline merges them.

The merged file `<out>/key_figures.json` has the nesting of tests/fixtures/published_figures.yaml
(blocks volumes, pon_totals, retained, by_type, screening, survey), amounts in M€ unrounded,
shares as fractions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def _plain(obj: Any) -> Any:
    """Convert numpy/pandas scalars and nested containers to JSON-native values."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def dumps(data: Any) -> str:
    return json.dumps(_plain(data), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


class KeyFigures:
    """Writer of key-figure fragments under `<out>/.state/key_figures/`."""

    def __init__(self, state_dir: Path):
        self.dir = Path(state_dir) / "key_figures"
        self.dir.mkdir(parents=True, exist_ok=True)

    def write(self, block: str, data: dict, *, part: str | None = None) -> None:
        """Write block `block`. Several notebooks may contribute parts of one block
        (e.g. retained.fse and retained.iej): give each a distinct `part` name."""
        from .atomic import write_text
        name = f"{block}.{part}.json" if part else f"{block}.json"
        write_text(self.dir / name, dumps({block: data}))

    def read_all(self) -> dict:
        return merge_fragments(self.dir)


def deep_merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        if k in out and isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def merge_fragments(directory: Path) -> dict:
    merged: dict = {}
    for path in sorted(Path(directory).glob("*.json")):
        merged = deep_merge(merged, json.loads(path.read_text(encoding="utf-8")))
    return merged

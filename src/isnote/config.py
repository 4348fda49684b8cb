"""Paths and parameters: the one place that knows where things are.

Every path of a run is derived from the parameters file (default: params/demo.yaml), so that
runs on different datasets never mix (each has its own `output_dir`).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import InputError

# Where isnote's own files are (notebooks, the demo parameters): the install, not the user's data.
PROJECT_ROOT = Path(os.environ.get("ISNOTE_ROOT", Path(__file__).resolve().parents[2]))
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
DEFAULT_PARAMS = PARAMS_DIR / "demo.yaml"
KERNEL_NAME = "isnote"

REQUIRED_KEYS = ("output_dir", "current_wave", "waves", "inputs", "mapping", "review_register")


# Parsed YAML by file text: the note assembly reads the same parameter files some thirty times, and
# PyYAML parsing them cost a quarter of an HTML-only assembly. Keyed by the text itself (no stale
# entry after an edit, whatever the file's dates); callers get their own copy.
_YAML_CACHE: dict[str, Any] = {}
_YAML_CACHE_SIZE = 64


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file (safe, with bounded alias expansion: see params_schema.BoundedLoader)."""
    from .input_guard import require_regular_file
    from .params_schema import safe_load

    path = Path(path)
    try:
        require_regular_file(path, path)
        text = path.read_text(encoding="utf-8")
        if text not in _YAML_CACHE:
            data = safe_load(text)
            if len(_YAML_CACHE) >= _YAML_CACHE_SIZE:
                _YAML_CACHE.pop(next(iter(_YAML_CACHE)))
            _YAML_CACHE[text] = data
        return copy.deepcopy(_YAML_CACHE[text])
    except FileNotFoundError:
        raise InputError(path, "fichier introuvable") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"YAML illisible : encodage non UTF-8 (octet {exc.start})",
                         expected="un fichier texte en UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(path, f"YAML illisible ({getattr(exc, 'problem', exc)})",
                         row=(mark.line + 1) if mark else None) from None


def work_root() -> Path:
    """The folder relative paths of a run resolve against: the folder the user runs isnote from
    (the current directory, where `make` runs), never where isnote is installed. Internal
    overrides, never needed by a user: ISNOTE_WORK_ROOT (set in the notebooks' kernels from the
    `work_root` the pipeline injects), then ISNOTE_ROOT."""
    return Path(os.environ.get("ISNOTE_WORK_ROOT") or os.environ.get("ISNOTE_ROOT") or Path.cwd())


def resolve(path: str | Path, root: Path | None = None) -> Path:
    """A path of the parameters (or the parameters file itself): absolute as written, or relative
    to `root` (default: work_root(), the current directory)."""
    p = Path(path)
    return p if p.is_absolute() else ((root if root is not None else work_root()) / p)


@dataclass(frozen=True)
class Layout:
    """Where a run writes its outputs (all under `root`, the run's output_dir)."""

    root: Path

    @property
    def notebooks(self) -> Path: return self.root / "notebooks"
    @property
    def clean(self) -> Path: return self.root / "clean"
    @property
    def tables(self) -> Path: return self.root / "tables"
    @property
    def figures(self) -> Path: return self.root / "figures"
    @property
    def review(self) -> Path: return self.root / "review"
    @property
    def key_figures(self) -> Path: return self.root / "key_figures.json"
    @property
    def note_html(self) -> Path: return self.root / "note.html"
    @property
    def note_pdf(self) -> Path: return self.root / "note.pdf"
    @property
    def state(self) -> Path: return self.root / ".state"

    def ensure(self) -> "Layout":
        for d in (self.root, self.notebooks, self.clean, self.tables, self.figures, self.review, self.state):
            d.mkdir(parents=True, exist_ok=True)
        return self


class Params(dict):
    """The parameters of a run (a dict) with helpers to resolve its paths."""

    def __init__(self, data: dict, source: Path):
        super().__init__(data)
        self.source = source

    def path(self, *keys: str) -> Path:
        node: Any = self
        for k in keys:
            node = node[k]
        return resolve(node)

    @property
    def layout(self) -> Layout:
        return Layout(resolve(self["output_dir"]))

    def yaml(self, key: str) -> Any:
        """Load the YAML file that parameter `key` points to (keywords, actors, ...)."""
        return load_yaml(self.path(key))

    @property
    def wave_keys(self) -> list[str]:
        return list(self["waves"].keys())


def input_entries(node: Any, prefix: str = "", *, numbered: bool = True) -> list[tuple[str, str]]:
    """(role, path) of every file under the `inputs` of the parameters, whatever the form of an
    entry: a path, a mapping programme -> path, a list of files (`role[1]`, `role[2]`... or, with
    `numbered=False`, the same role for each), nested at any depth."""
    if isinstance(node, Mapping):
        return [e for k, v in node.items()
                for e in input_entries(v, f"{prefix}.{k}" if prefix else str(k), numbered=numbered)]
    if isinstance(node, (str, os.PathLike)):
        return [(prefix, str(node))]
    if isinstance(node, (list, tuple)):
        return [e for i, v in enumerate(node, 1)
                for e in input_entries(v, f"{prefix}[{i}]" if numbered else prefix, numbered=numbered)]
    return []


def load_params(path: str | Path | None = None, *, output_dir: str | Path | None = None) -> Params:
    """Read and check a parameters file. `output_dir`: where this run writes instead of the file's
    `output_dir` (the pipeline's staging folder, passed to every notebook as a parameter)."""
    source = resolve(path).absolute() if path else DEFAULT_PARAMS
    data = load_yaml(source)
    from .params_schema import validate
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = None
    validate(data, source, text)          # types, required and unknown keys, full dates, lists
    if output_dir:                    # the pipeline stages a run in its own folder
        data["output_dir"] = str(output_dir)
    data["waves"] = {str(k): v for k, v in data["waves"].items()}
    data["current_wave"] = str(data["current_wave"])
    if data.get("previous_wave") is not None:
        data["previous_wave"] = str(data["previous_wave"])
    if data["current_wave"] not in data["waves"]:
        raise InputError(source, f"current_wave {data['current_wave']!r} absente de waves",
                         column="current_wave", expected="une des clés de waves")
    # the pipeline gives every step of a run the same copy of the review register
    snapshot, original = os.environ.get("ISNOTE_REGISTER_SNAPSHOT"), os.environ.get("ISNOTE_REGISTER_SOURCE")
    register_source = None
    if snapshot and original and isinstance(data.get("review_register"), str) \
            and str(resolve(data["review_register"])) == original:
        register_source, data["review_register"] = Path(original), snapshot
    params = Params(data, source)
    params.register_source = register_source     # the register as named in the parameters, or None
    return params

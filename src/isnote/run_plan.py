"""Planning a run: the steps, their change keys, and what must rerun.

A step's key hashes the parameters file, its notebook, the library code it runs, the files its
parameters point to and the keys of its upstream steps; a step whose key is unchanged (and whose
executed notebook exists) is skipped. The library code a step runs is DERIVED, never listed by
hand: the `isnote` modules its notebook's code cells import (parsed with `ast`), followed
transitively through the imports of those modules (also with `ast`, function-level imports
included), plus the package's data folders (`templates`). Changing a module reruns exactly the
steps whose notebooks reach it; the note assembly's code is the closure of `isnote.note`.

Nothing here writes outputs except `write_state`.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import statmemo
from .config import NOTEBOOKS_DIR, PROJECT_ROOT, Params, resolve

PACKAGE = "isnote"
PACKAGE_DIR = Path(__file__).resolve().parent
# data folders of the package that every step reads (the narrative templates, the note's)
DATA_DIRS = ("templates",)


@dataclass(frozen=True)
class Step:
    name: str
    notebook: str
    params_keys: tuple[tuple[str, ...], ...] = ()   # parameter paths whose files it reads
    after: tuple[str, ...] = ()                     # upstream steps (their outputs are inputs)
    clean_inputs: tuple[str, ...] = ()              # files of <out>/clean it reads
    extra: tuple[str, ...] = ()                     # other project paths (files or folders)
    programme: str | None = None                    # results of one programme: skipped when it is absent


STEPS: tuple[Step, ...] = (
    Step("ingest", "01_ingest.ipynb",
         params_keys=(("inputs",), ("mapping",), ("nomenclature",))),
    Step("screening", "02_screening.ipynb",
         # only the decisions of earlier waves matter here (continuations); the current wave's
         # decisions are read by the typology step, so changing them does not rerun the screening
         params_keys=(("keywords",), ("actors",), ("typology",), ("review_register@previous",)),
         after=("ingest",)),
    Step("typology", "03_typology.ipynb",
         params_keys=(("typology",), ("review_register",)),
         after=("ingest", "screening")),
    Step("fse", "04_resultats_fse.ipynb",
         params_keys=(("nomenclature",), ("survey_themes",), ("survey_reading",), ("review_register",),
                      ("typology",), ("illustrations",)),
         after=("ingest", "screening"), programme="fse"),
    Step("iej", "05_resultats_iej.ipynb",
         params_keys=(("nomenclature",), ("review_register",), ("typology",), ("illustrations",)),
         after=("ingest", "screening"), programme="iej"),
)
# typology and the two results notebooks only read the clean tables, the candidates and the
# register: they run side by side
STAGES: tuple[tuple[str, ...], ...] = (("ingest",), ("screening",), ("typology", "fse", "iej"))
# a step run right after another of its stage, in that step's kernel (its namespace reset first):
# on two cores a third kernel only adds its start-up (about 2 s of CPU) to the run
SHARED_KERNEL: dict[str, str] = {"iej": "typology"}


def lanes(names) -> list[list[str]]:
    """The steps of a stage (names, in order) grouped by kernel: a step whose SHARED_KERNEL host
    is in the same group runs after it, in its kernel; each lane runs beside the others."""
    names = list(names)
    out: dict[str, list[str]] = {}
    for name in names:
        host = SHARED_KERNEL.get(name)
        out.setdefault(host if host in names else name, []).append(name)
    return list(out.values())


# ---------------------------------------------------------------- the import graph

def _statements(body):
    """Every statement of a body, nested bodies included (imports are statements: expressions
    need not be visited, which makes the walk several times shorter than `ast.walk`)."""
    todo = list(body)
    while todo:
        node = todo.pop()
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            child = getattr(node, name, None)
            if isinstance(child, list):
                todo += [c for c in child if isinstance(c, ast.AST)]


def _imported(tree: ast.Module, *, relative: bool, depth: int = 0) -> set[str]:
    """Top-level `isnote` modules (or subpackages) named by the imports of `tree`: `import
    isnote.x`, `from isnote import x`, `from isnote.x import y` and, inside the package
    (`relative`), `from . import x`, `from .x import y`; in a file `depth` folders below the
    package's top (a subpackage such as `note/`), `from .. import x` reaches the top and
    `from .x import y` stays inside the subpackage (hashed whole already)."""
    found: set[str] = set()
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] == PACKAGE:
                rest = node.module.split(".")[1:]
            elif relative and node.level == depth + 1:
                rest = node.module.split(".") if node.module else []
            else:
                continue
            if rest:
                found.add(rest[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def _code_cells(notebook: Path) -> str:
    """The code cells of a notebook as one Python source (IPython magics and shell lines dropped)."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    lines = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        lines += [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def notebook_imports(notebook: Path) -> set[str]:
    """The `isnote` modules a notebook's code cells import directly."""
    return _imported(ast.parse(_code_cells(notebook), filename=str(notebook)), relative=False)


def _module_files(name: str, package_dir: Path) -> list[Path]:
    if (package_dir / name).is_dir():
        return sorted(p for p in (package_dir / name).rglob("*.py") if "__pycache__" not in p.parts)
    path = package_dir / f"{name}.py"
    return [path] if path.is_file() else []


# imports of a module's source, by the source's digest: parsed once per process, and kept across
# runs in <out>/.state/imports.json (`load_import_cache`, `save_import_cache`)
_IMPORTS: dict[str, list[str]] = {}


def _direct_imports(path: Path, depth: int = 0) -> list[str]:
    data, digest = statmemo.file_digest(path)
    digest += f"@{depth}" if depth else ""
    found = _IMPORTS.get(digest)
    if found is None:
        data = path.read_bytes() if data is None else data
        found = _IMPORTS[digest] = sorted(_imported(ast.parse(data, filename=str(path)), relative=True,
                                                    depth=depth))
    return found


def load_import_cache(layout) -> None:
    try:
        cached = json.loads((layout.state / "imports.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(cached, dict):
        _IMPORTS.update({k: v for k, v in cached.items() if isinstance(v, list)})


def save_import_cache(layout) -> None:
    """Keep the parsed imports of the package's current sources for the next run."""
    current = {}
    for f in sorted(PACKAGE_DIR.rglob("*.py")):
        digest = statmemo.file_digest(f)[1]
        if digest in _IMPORTS:
            current[digest] = _IMPORTS[digest]
    write_state(layout.state / "imports.json", current)


def module_closure(names, package_dir: Path | None = None) -> set[str]:
    """`names` and every package module they import, transitively (imports inside functions
    included: they run too). Names that are not modules of the package are dropped."""
    package_dir = package_dir or PACKAGE_DIR
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        files = _module_files(name, package_dir)
        if not files:
            continue
        seen.add(name)
        for f in files:
            todo += _direct_imports(f, len(f.relative_to(package_dir).parts) - 1)
    return seen


def step_modules(step: Step, notebooks_dir: Path | None = None, package_dir: Path | None = None) -> tuple[str, ...]:
    """The library modules a step runs: `__init__` plus the closure of its notebook's imports."""
    nb = (notebooks_dir or NOTEBOOKS_DIR) / step.notebook
    pkg = package_dir or PACKAGE_DIR
    sig = statmemo.signature(nb, pkg)          # kept while the notebook and the package are unchanged

    def compute() -> tuple[str, ...]:
        direct = notebook_imports(nb) if nb.is_file() else set()
        return tuple(sorted({"__init__"} | module_closure(direct, package_dir)))
    return statmemo.memo("step_modules", sig, compute)


def note_modules(package_dir: Path | None = None) -> tuple[str, ...]:
    """The library modules of the note assembly: the closure of `isnote.note`."""
    sig = statmemo.signature(package_dir or PACKAGE_DIR)
    return statmemo.memo("note_modules", sig,
                         lambda: tuple(sorted({"__init__"} | module_closure({"note"}, package_dir))))


# ---------------------------------------------------------------- hashing

def hash_path(h: "hashlib._Hash", path: Path) -> None:
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith("."):
                h.update(str(p.relative_to(path)).encode())
                h.update(p.read_bytes())
    elif path.is_file():
        h.update(path.read_bytes())
    else:
        h.update(b"<missing>")


def param_files(params: Params, keys: tuple[str, ...]) -> list[Path]:
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


def code_hash(modules: tuple[str, ...] = (), package_dir: Path | None = None) -> str:
    """Hash of the library code a step runs: the given modules and the package's data folders."""
    package_dir = package_dir or PACKAGE_DIR
    sig = statmemo.signature(package_dir)
    return statmemo.memo("code_hash", None if sig is None else (tuple(sorted(set(modules))), sig),
                         lambda: _code_hash(modules, package_dir))


def _code_hash(modules: tuple[str, ...], package_dir: Path) -> str:
    h = hashlib.sha256()
    for name in sorted(set(modules) | set(DATA_DIRS)):
        path = package_dir / name if (package_dir / name).is_dir() else package_dir / f"{name}.py"
        h.update(name.encode())
        hash_path(h, path)
    return h.hexdigest()


def step_key(step: Step, params: Params, upstream: dict[str, str], code, notebooks_dir: Path | None = None) -> str:
    notebooks_dir = notebooks_dir or NOTEBOOKS_DIR
    if code is not code_hash:                  # another code digest (tests): nothing kept
        return _step_key(step, params, upstream, code, notebooks_dir)
    return statmemo.memo("step_key", _step_key_sig(step, params, upstream, notebooks_dir),
                         lambda: _step_key(step, params, upstream, code, notebooks_dir))


def _step_key_sig(step: Step, params: Params, upstream: dict[str, str], notebooks_dir: Path) -> tuple | None:
    """What `_step_key` reads, by name and stat (None when a file changed within the last second):
    the same key while this is the same."""
    files: list = [params.source, notebooks_dir / step.notebook, PACKAGE_DIR]
    named: list = [step, str(notebooks_dir), str(getattr(params, "register_source", None)),
                   str(params.get("current_wave")), tuple(upstream.get(up, "") for up in step.after)]
    try:
        register = params.path("review_register") if isinstance(params.get("review_register"), str) else None
    except (KeyError, TypeError, ValueError):
        return None
    for keys in step.params_keys:
        if keys == ("review_register@previous",) and register is None:
            return None
        found = [register] if keys == ("review_register@previous",) else param_files(params, keys)
        named.append(tuple(str(p) for p in found))
        for p in found:
            if p == register:   # the run's fresh copy (never quiet for a second): by its bytes
                named.append(hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None)
            else:
                files.append(p)
    files += [resolve(extra) for extra in step.extra]
    sig = statmemo.signature(*files)
    return None if sig is None else (tuple(named), sig)


def _step_key(step: Step, params: Params, upstream: dict[str, str], code, notebooks_dir: Path) -> str:
    h = hashlib.sha256()
    h.update(params.source.read_bytes())
    h.update(code(step_modules(step, notebooks_dir)).encode())
    hash_path(h, notebooks_dir / step.notebook)
    for keys in step.params_keys:
        if keys == ("review_register@previous",):
            h.update(register_rows_hash(params, previous=True).encode())
            continue
        for p in param_files(params, keys):
            # the run's snapshot of the register is read, but named by its original path
            h.update(str(getattr(params, "register_source", None) or p
                         if keys == ("review_register",) else p).encode())
            hash_path(h, p)
    for up in step.after:
        h.update(upstream.get(up, "").encode())
    for extra in step.extra:
        hash_path(h, resolve(extra))
    return h.hexdigest()


def register_rows_hash(params: Params, *, previous: bool) -> str:
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


def tree_hash(rel: str) -> str:
    h = hashlib.sha256()
    hash_path(h, PROJECT_ROOT / rel)
    return h.hexdigest()


def editorial_hash(params: Params) -> str:
    """The content folders, closing sections and approvals file named by the parameters."""
    from .editorial import editorial_paths
    h = hashlib.sha256()
    for path in editorial_paths(params):
        h.update(str(path).encode())
        if path.exists():
            hash_path(h, path)
    return h.hexdigest()


# ---------------------------------------------------------------- state and plan

def load_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def write_state(path: Path, state: dict) -> None:
    from .atomic import write_text
    write_text(path, json.dumps(state, indent=2, sort_keys=True) + "\n")


def plan(params: Params, layout, *, force: bool = False, pdf: bool = True, steps=None, code=None,
         notebooks_dir: Path | None = None) -> tuple[dict, dict, list[str], str]:
    """Decide what must run: returns (keys, state, names of the steps to run [+ "assemble"],
    assemble key). `steps`, `code`, `notebooks_dir`: default STEPS, code_hash, NOTEBOOKS_DIR."""
    with statmemo.session():      # the package's files are looked at once for the whole plan
        return _plan(params, layout, force=force, pdf=pdf, steps=steps, code=code, notebooks_dir=notebooks_dir)


def _plan(params: Params, layout, *, force: bool, pdf: bool, steps, code, notebooks_dir) -> tuple[dict, dict, list[str], str]:
    steps = STEPS if steps is None else steps
    code = code or code_hash
    load_import_cache(layout)
    state = {} if force else load_state(layout.state / "steps.json")
    keys: dict[str, str] = {}
    dirty: set[str] = set()
    for step in steps:
        keys[step.name] = step_key(step, params, keys, code, notebooks_dir)
        done = (layout.notebooks / step.notebook).exists() or state.get(f"{step.name}@absent") == keys[step.name]
        if state.get(step.name) != keys[step.name] or not done:
            dirty.add(step.name)
    assemble_key = hashlib.sha256(("|".join(keys[s.name] for s in steps) + code(note_modules())
                                   + tree_hash("content") + editorial_hash(params) + str(pdf)
                                   + ("strict" if os.environ.get("STRICT", "").strip() not in ("", "0") else "")
                                   ).encode()).hexdigest()
    todo = [s.name for s in steps if s.name in dirty]
    if state.get("assemble") != assemble_key or not layout.note_html.exists() \
            or (pdf and not layout.note_pdf.exists()):
        todo.append("assemble")
    return keys, state, todo, assemble_key


def first_stage(todo, stages=None) -> set[str]:
    """The steps of the first stage that has something to run."""
    return next((set(names) & set(todo) for names in (stages or STAGES) if set(names) & set(todo)), set())


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


def absent_programme_steps(steps: list[Step], layout) -> list[Step]:
    present = programmes_present(layout) if any(s.programme for s in steps) else None
    if present is None:
        return []
    return [s for s in steps if s.programme and s.programme not in present]

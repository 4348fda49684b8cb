"""The library code each step depends on is derived from the import graph (run_plan), not listed
by hand: changing a module reruns exactly the steps whose notebooks reach it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml

from isnote import run_plan
from isnote.config import NOTEBOOKS_DIR, load_params


def _steps() -> dict:
    return {s.name: s for s in run_plan.STEPS}


def test_real_notebooks_dependencies_come_from_their_imports():
    steps = _steps()
    iej, screening = run_plan.step_modules(steps["iej"]), run_plan.step_modules(steps["screening"])
    assert "ingest" not in iej                       # 05 reads the clean tables, never the raw inputs
    assert ("charts" in iej) == ("waves" in iej)     # 05 draws no chart itself; waves (the by-wave chart) does
    assert "parquet_io" in screening and "ingest" not in screening   # 02 writes through parquet_io, not ingest
    assert "qualitative" in run_plan.step_modules(steps["fse"]) and "qualitative" not in iej
    assert {"note", "htmlguard", "editorial"} <= set(run_plan.note_modules())
    # every module a notebook imports directly is in its closure, and the closure is made of modules
    for step in steps.values():
        direct = run_plan.notebook_imports(NOTEBOOKS_DIR / step.notebook)
        mods = set(run_plan.step_modules(step))
        assert direct and direct <= mods
        assert all((run_plan.PACKAGE_DIR / f"{m}.py").is_file() or (run_plan.PACKAGE_DIR / m).is_dir()
                   for m in mods)


def test_imports_found_in_every_form(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\nfrom .c import x\n\ndef f():\n    from .d import y\n")
    for name in "bcde":
        (pkg / f"{name}.py").write_text("")
    (pkg / "e.py").write_text("import isnote.b\n")
    assert run_plan.module_closure({"a"}, pkg) == {"a", "b", "c", "d"}
    assert run_plan.module_closure({"e", "nothing"}, pkg) == {"e", "b"}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nimport isnote.a\nfrom isnote import b as bb, c\n"
                                          "from isnote.d import z\nimport pandas"),
                nbformat.v4.new_markdown_cell("from isnote import e")]
    nbformat.write(nb, tmp_path / "n.ipynb")
    assert run_plan.notebook_imports(tmp_path / "n.ipynb") == {"a", "b", "c", "d"}


def test_changing_a_module_reruns_exactly_the_steps_that_use_it(tmp_path):
    """Four independent steps whose notebooks import different modules of a package; a module
    changed on disk changes the keys of the steps that reach it (directly or through another
    module, a function-level import included) and of no other."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text("X = 1\n")
    (pkg / "mid.py").write_text("def f():\n    from .base import X\n    return X\n")
    (pkg / "alone.py").write_text("Y = 2\n")
    (pkg / "draw.py").write_text("from . import alone\n")
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    imports = {"w": "from isnote import mid", "x": "import isnote.base", "y": "from isnote.draw import alone",
               "z": "import pandas"}
    steps = tuple(run_plan.Step(n, f"{n}.ipynb") for n in imports)
    for n, code in imports.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(code)]
        nbformat.write(nb, nbdir / f"{n}.ipynb")
    reg = tmp_path / "reg.csv"
    reg.write_text("op_id;decision\n")
    pfile = tmp_path / "p.yaml"
    pfile.write_text(yaml.safe_dump({
        "output_dir": str(tmp_path / "out"), "current_wave": "2019",
        "waves": {"2019": {"start": "2017-03-05", "end": "2018-12-31"}},
        "inputs": {"survey": str(reg)}, "mapping": "x", "review_register": str(reg)}))
    params = load_params(pfile)

    def code(mods):
        return run_plan.code_hash(tuple(mods), package_dir=pkg)

    def keys() -> dict:
        out: dict = {}
        for s in steps:
            mods = run_plan.step_modules(s, nbdir, pkg)
            out[s.name] = run_plan.step_key(s, params, out, lambda _m, mods=mods: code(mods), nbdir)
        return out

    def changed(module: str) -> set[str]:
        before = keys()
        (pkg / f"{module}.py").write_text((pkg / f"{module}.py").read_text() + "# edited\n")
        after = keys()
        return {n for n in before if before[n] != after[n]}

    assert changed("base") == {"w", "x"}           # w reaches base through mid's function-level import
    assert changed("mid") == {"w"}
    assert changed("alone") == {"y"}
    assert changed("draw") == {"y"}
    assert changed("__init__") == {"w", "x", "y", "z"}   # the package itself runs for every step
    assert Path(pkg / "base.py").read_text().count("# edited") == 1


def test_plan_uses_the_derived_modules(monkeypatch, tmp_path):
    """`plan` hashes, for each step, the modules derived from its notebook."""
    seen: list[tuple] = []

    def code(mods):
        seen.append(tuple(mods))
        return "h"
    params = load_params("params/demo.yaml", output_dir=tmp_path / "out")
    run_plan.plan(params, params.layout, pdf=False, code=code)
    assert tuple(run_plan.step_modules(_steps()["iej"])) in seen
    assert tuple(run_plan.note_modules()) in seen


def test_imports_of_a_subpackage_reach_the_top(tmp_path):
    """A subpackage (like `note/`) imports the package's modules with `from .. import x` and
    `from ..x import y`; `from .part import z` stays inside it (hashed whole)."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    for name in ("__init__", "a", "b", "c", "part"):
        (pkg / f"{name}.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .part import z\n")
    (pkg / "sub" / "part.py").write_text("from .. import a\nfrom ..b import y\n\ndef f():\n    from ..c import w\n")
    assert run_plan.module_closure({"sub"}, pkg) == {"sub", "a", "b", "c"}

"""The notebooks stay thin: parameters, calls, displays and narrative markers only.

A code cell may not define a function, a class or a lambda, and may not hold a string literal
longer than MAX_LITERAL characters (a short label: a key, a column name, a file name). Reader
sentences, captions, header renamings and recomputations live in the library (isnote.cells,
isnote.narrative templates), where they are tested. The parameters cell (papermill) is exempt.
Comments are not literals; the constant parts of an f-string are checked one by one.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
MAX_LITERAL = 40        # characters: longer text is prose or a caption, and belongs to the library
FORBIDDEN = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _code_cells(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "parameters" in (cell.get("metadata", {}).get("tags") or []):
            continue
        yield i, "".join(cell["source"])


def violations(source: str) -> list[str]:
    """What makes a cell's code too thick (empty list: thin)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, FORBIDDEN):
            found.append(f"line {node.lineno}: defines {type(node).__name__}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > MAX_LITERAL:
            found.append(f"line {node.lineno}: string literal of {len(node.value)} characters: {node.value[:50]!r}")
    return found


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_code_cells_are_thin(path):
    bad = [f"cell {i}: {v}" for i, src in _code_cells(path) for v in violations(src)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("source, thick", [
    ("x = f(1)\nshow(x, 'tableau3')", False),
    ("def count(n):\n    return n", True),
    ("class A:\n    pass", True),
    ("fmt = {'Poids': lambda x: x}", True),
    ("show('Tableau – Répartition des opérations retenues par axe')", True),
    ("show(f'<p>Sur les {n} opérations retenues de la vague étudiée</p>')", True),
    ("show(f'<h3>5.2.{k} {label}</h3>')", False),
    ("# a comment may be as long as it needs to be, it is not a literal at all\nx = 1", False),
])
def test_the_rule_itself(source, thick):
    assert bool(violations(source)) is thick

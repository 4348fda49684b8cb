"""Regenerate the small executed notebooks used by the note tests (tests/note_fixtures/notebooks/).

Run from the project root:  .venv/bin/python tests/note_fixtures/make_notebooks.py
They follow the conventions of the real notebooks (parameters cell, papermill-injected parameters,
markdown headings, HTML fragments from isnote.display, narrative.show), plus things the note must
drop: stdout, a warning, a raw DataFrame repr, a cell tagged hide-in-note. One table carries planted
<script> / <img onerror> texts that must stay inert.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

SETUP = '''import json, warnings
import pandas as pd
from isnote.config import PROJECT_ROOT, load_params
from isnote.display import table_html, figure_html, show_html, insert_marker
from isnote import narrative, frnum

params = load_params(params_path)

class FixtureFigures:
    def read_all(self):
        path = PROJECT_ROOT / "tests" / "note_fixtures" / "key_figures.json"
        return json.loads(path.read_text(encoding="utf-8"))

class FixtureContext:
    def __init__(self, params):
        self.params, self.kf = params, FixtureFigures()

ctx = FixtureContext(params)'''

PNG = ("iVBORw0KGgoAAAANSUhEUgAAACgAAAAUCAIAAABwJOjsAAAAPUlEQVR42mOQ96vEg959/kEjxIDfYtq5gzSLqegOiiymxB3UtJgk"
       "dzCMJq7RxDWauEYT12jiGk1co4kLhgDX/dq8lqfMwQAAAABJRU5ErkJggg==")


def params_cell():
    cell = new_code_cell('params_path = "params/demo.yaml"')
    cell.metadata["tags"] = ["parameters"]
    return cell


def tagged(cell, *tags):
    cell.metadata["tags"] = list(tags)
    return cell


def nb_methode():
    return new_notebook(cells=[
        params_cell(),
        new_code_cell(SETUP),
        new_code_cell('import sys\nprint("sortie texte parasite")\nprint("avertissement parasite", file=sys.stderr)'),
        new_markdown_cell("# 4. Méthode de recensement des opérations\n\n## 4.1 Périmètre d'analyse"),
        new_code_cell('narrative.show("methode_perimetre", ctx)'),
        new_code_cell(
            'df = pd.DataFrame({\n'
            '    "Programme": ["PON FSE", "PON IEJ", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"],\n'
            '    "Opérations": [6646, 102, 1, 2],\n'
            '    "Coût total (M€)": [1703.96, 134.82, 0.1, 0.2],\n'
            '})\n'
            'show_html(table_html(df, "Volumes analysés par programme", source="base de suivi (fixture)",\n'
            '                     key="volumes", formats={"Opérations": frnum.fmt_int,\n'
            '                                              "Coût total (M€)": frnum.fmt_num}))'),
        tagged(new_code_cell('show_html("<p>RESERVE-AUX-RELECTEURS</p>")'), "hide-in-note"),
        new_code_cell('pd.DataFrame({"colonne_parasite": [1, 2]})'),
        new_markdown_cell("## 4.2 Repérage des opérations"),
        new_code_cell('narrative.show("methode_reperage", ctx)'),
        new_markdown_cell("## Typologie des opérations retenues\n\nCette sous-section n'a pas de numéro : "
                          "l'assemblage lui donne le suivant."),
    ])


def nb_resultats():
    return new_notebook(cells=[
        params_cell(),
        new_code_cell(SETUP),
        new_markdown_cell("# 5. Le soutien du PON FSE à l'innovation sociale\n\n## 5.1 Bilan chiffré"),
        new_code_cell('narrative.show("fse_bilan", ctx)'),
        new_code_cell(f'import base64\nshow_html(figure_html(base64.b64decode("{PNG}"), "Réponses des gestionnaires",\n'
                      '                       source="enquête auprès des gestionnaires (fixture)", key="enquete"))'),
        new_markdown_cell("## 5.2 Illustrations"),
        new_code_cell('show_html(insert_marker("fiches"))'),
        new_markdown_cell("## 5.3 Le point de vue des gestionnaires"),
        new_code_cell('narrative.show("enquete", ctx)'),
        new_markdown_cell("# 6. La contribution du PON IEJ"),
        new_code_cell('narrative.show("iej_bilan", ctx)'),
        new_code_cell('df = pd.DataFrame({"Vague": ["2019", "2017"], "Opérations": [5, 11]})\n'
                      'show_html(table_html(df, "Opérations retenues du PON IEJ", source="registre (fixture)"))'),
    ])


def main() -> None:
    import papermill as pm

    import tempfile

    src, out = Path(tempfile.mkdtemp(prefix="isnote-nb-")), HERE / "notebooks"
    out.mkdir(exist_ok=True)
    for name, nb in (("01_methode", nb_methode()), ("02_resultats", nb_resultats())):
        nb.metadata["kernelspec"] = {"name": "isnote", "display_name": "isnote (Python 3)", "language": "python"}
        nbformat.write(nb, str(src / f"{name}.ipynb"))
        target = out / f"{name}.ipynb"
        pm.execute_notebook(str(src / f"{name}.ipynb"), str(target), kernel_name="isnote",
                            cwd=str(ROOT), parameters={"params_path": "params/demo.yaml"}, progress_bar=False)
        executed = nbformat.read(str(target), as_version=4)      # no machine-specific path in the fixture
        meta = executed.metadata.get("papermill", {})
        meta.update(input_path=f"{name}.ipynb", output_path=f"tests/note_fixtures/notebooks/{name}.ipynb")
        nbformat.write(executed, str(target))


if __name__ == "__main__":
    main()

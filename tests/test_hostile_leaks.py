"""Hostile corpus, second part: leaks and injections through the outputs, unsafe output folders,
crash-safe publishing, one register snapshot per run, every input file in the change keys.

Each case asserts the exact outcome: a clean French error (exit 2, expected words) or the correct
result."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hostile import corpus as C

ROOT = C.ROOT


# ------------------------------------------------------------------ Makefile: no shell interpolation

def test_makefile_passes_user_values_literally(tmp_path):
    """A workbook path with a backtick, `$(...)` and a quote given to `make review-import FILE=…` is
    passed to the command as one literal argument; nothing in it is executed."""
    if shutil.which("make") is None:
        pytest.skip("make absent")
    recorder = tmp_path / "py.sh"
    recorder.write_text('#!/bin/sh\nprintf \'%s\\n\' "$@" > "$(dirname "$0")/argv.txt"\n')
    recorder.chmod(0o755)
    m = tmp_path
    hostile = (f"{m}/a`touch {m}/m1`$(touch {m}/m2)$(shell touch {m}/m3)\"'; touch {m}/m4 #.xlsx")
    env = {k: v for k, v in os.environ.items() if k not in ("FILE", "FORCE", "PARAMS", "MAKEFLAGS")}
    proc = subprocess.run(["make", "-s", "-o", ".venv/.isnote-installed", f"PY={recorder}", "review-import",
                           f"FILE={hostile}", "FORCE=1", f"PARAMS={m}/p$(touch {m}/m5).yaml"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not any((m / f"m{i}").exists() for i in range(1, 6))
    argv = (m / "argv.txt").read_text().splitlines()
    assert argv == ["-m", "isnote.cli", "review-import", "--params", f"{m}/p$(touch {m}/m5).yaml",
                    "--file", hostile, "--force"]


# ------------------------------------------------------------------ text from data is text

HOSTILE_TYPES = ["![x](data/demo/registre_revue.csv)", "[clic](javascript:alert(1))",
                 "![](http://example.org/pixel.png)", "<img src=x onerror=alert(1)>", "$x$ **gras** `code`"]


def _tinfo():
    return {"title": "T", "running_title": "T", "subtitle": "S", "programmes": ["PON FSE"], "wave_label": "V",
            "wave_window": "w", "extract_date": "d", "synthetic": False, "dataset_label": "", "run_date": "r"}


def _note_from_outputs(outputs, allowed=frozenset()):
    """The note HTML of one notebook whose code cell displayed `outputs` ({mime: data} each)."""
    import nbformat
    from bs4 import BeautifulSoup
    from isnote import note

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source="x", outputs=[
        nbformat.v4.new_output("display_data", data=d) for d in outputs])])
    warnings: list = []
    cells = note.filter_notebook(nb, "t.ipynb", warnings)
    info = {"warnings": []}
    js = (note.TEMPLATES_DIR / "note" / "annex.js").read_text(encoding="utf-8")
    html = note.postprocess(note.export_note_html(nbformat.v4.new_notebook(cells=cells), _tinfo()), info,
                            allowed_images=set(allowed), scripts=[js])
    return html, BeautifulSoup(html, "html.parser"), info


def _survey_markdown(types):
    from isnote import narrative
    by_type = {t: {"oui": 0.9 - 0.1 * i, "non": 0.05 + 0.1 * i, "nsp": 0.05} for i, t in enumerate(types)}
    kf = {"survey": {"respondents": 12, "shares": {"oui": 0.5, "non": 0.3, "nsp": 0.2}, "by_type": by_type,
                     "with_observations": 3}}
    params = {"current_wave": "2019", "waves": {"2019": {"label": "Vague 2019"}}}
    return narrative.render("enquete", **narrative.build_context(params, kf))


def test_survey_types_are_literal_text_in_the_narrative_and_note():
    """A survey body type `![x](data/demo/registre_revue.csv)` embeds no file, `[clic](javascript:…)`
    makes no link, `![](http://…)` no remote image: each shows as its literal text."""
    md = _survey_markdown(HOSTILE_TYPES[:3])
    assert "![" not in md and "](" not in md and "$" not in md
    html, soup, _ = _note_from_outputs([{"text/markdown": md}])
    assert soup.find("img") is None
    assert [a["href"] for a in soup.find_all("a", href=True)] == []     # no TOC entry here either
    text = soup.get_text()
    assert "![x](data/demo/registre_revue.csv)" in text
    assert "[clic](javascript:alert(1))" in text
    assert "registre_revue" not in "".join(str(t.attrs) for t in soup.find_all(True))


def test_ramo_text_shows_data_values_plainly():
    from isnote import narrative
    md = narrative.render_string("Type : {{ t }} fin.", "x", t="a*b* [l](u) $x$ & <b>")
    assert "*" not in md and "[" not in md and "<" not in md
    assert narrative.markdown_to_text(md) == "Type : a*b* [l](u) $x$ & <b> fin.\n"


def test_note_keeps_only_its_own_images_and_internal_links(tmp_path):
    import base64
    own = b"\x89PNG\r\n\x1a\nown figure"
    leaked = (ROOT / "data" / "demo" / "registre_revue.csv").read_bytes()
    frag = (f'<figure class="isn-figure" data-caption="c"><img src="data:image/png;base64,{base64.b64encode(own).decode()}" alt="a"/></figure>'
            f'<p><img src="data:image/png;base64,{base64.b64encode(leaked).decode()}"/>'
            '<img src="http://example.org/x.png"/><img src="data/demo/registre_revue.csv"/>'
            '<a href="javascript:alert(1)">clic</a> <a href="http://example.org">ext</a> <a href="#sec-1">interne</a>'
            '<iframe src="http://example.org"></iframe><script>alert(1)</script>'
            '<span style="background:url(http://example.org/t.gif)" onclick="alert(1)">s</span></p>')
    from isnote.htmlguard import digest
    html, soup, info = _note_from_outputs([{"text/html": frag}], allowed={digest(own)})
    srcs = [img["src"] for img in soup.find_all("img")]
    assert srcs == [f"data:image/png;base64,{base64.b64encode(own).decode()}"]
    assert [a["href"] for a in soup.find_all("a", href=True)] == ["#sec-1"]
    assert "clic" in soup.get_text() and "ext" in soup.get_text()
    assert soup.find("iframe") is None
    assert [s.string for s in soup.find_all("script") if "alert(1)" in (s.string or "")] == []
    span = soup.find("span", string="s")
    assert span is not None and not span.has_attr("style") and not span.has_attr("onclick")
    assert info["sanitised"] == {"images": 3, "liens": 2, "elements": 2, "textes_coupes": 0}


def test_note_has_a_content_security_policy_allowing_only_its_own_script():
    import base64
    import hashlib
    html, soup, _ = _note_from_outputs([{"text/html": "<p>x</p>"}])
    meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    policy = meta["content"]
    assert "default-src 'none'" in policy and "img-src data:" in policy
    scripts = soup.find_all("script")
    assert len(scripts) == 1                             # the annex's sort and filter script
    h = base64.b64encode(hashlib.sha256(scripts[0].string.encode()).digest()).decode()
    assert f"script-src 'sha256-{h}';" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    # the policy comes before anything the browser loads
    head = soup.find("head")
    assert head.find_all("meta")[1] is meta


def test_long_unbroken_token_is_cut_for_print_and_whole_in_csv(tmp_path):
    """A 50,000-character token: the note (the HTML WeasyPrint lays out) holds a cut version with a
    visible mark and break opportunities; the CSV table keeps it whole."""
    from isnote import export
    import pandas as pd
    token = "X" * 50_000
    html, soup, info = _note_from_outputs([{"text/html": f"<table><tr><td>{token}</td></tr></table>"}])
    cell = soup.find("td")
    text = cell.get_text()
    assert text.endswith("…[texte tronqué]") and len(text) < 5000
    assert max(len(w) for s in cell.strings for w in s.split()) <= 40 and cell.find("wbr") is not None
    assert token not in html
    assert info["sanitised"]["textes_coupes"] == 1
    path = export.write_table(pd.DataFrame({"title": [token]}), tmp_path, "t")
    assert pd.read_csv(path)["title"][0] == token


def test_dollar_signs_in_chart_labels_are_text(tmp_path):
    """`$x$` in a survey type or a region does not reach matplotlib's math parser."""
    import pandas as pd
    from isnote import charts
    sb = pd.DataFrame({"kind": ["type", "type", "total"], "body_type": ["$x$", "$\\frac{a$", "Ensemble"],
                       "n": [2, 1, 3], "n_oui": [1, 1, 2], "n_non": [1, 0, 1], "n_nsp": [0, 0, 0],
                       "share_oui": [0.5, 1.0, 2 / 3], "share_non": [0.5, 0.0, 1 / 3], "share_nsp": [0.0, 0.0, 0.0]})
    fig = charts.survey_chart(sb)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[1].startswith("$\\frac{a$") and labels[2].startswith("$x$")
    assert charts.save(fig, tmp_path, "enquete")[:4] == b"\x89PNG"
    reg = pd.DataFrame({"region": ["$\\undefined{x}$", "Bretagne"], "ratio": [1.5, 0.5], "n_retained": [3, 1],
                        "ranked": [True, True]})
    assert charts.save(charts.regions_chart(reg), tmp_path, "regions")[:4] == b"\x89PNG"


def test_control_characters_and_huge_cells_in_the_workbook(tmp_path):
    """One U+000B (Word's manual line break) in a title and a 40,000-character description: the
    workbook is written, the line break becomes a line feed, the long cell is cut to Excel's limit
    with a mark, and the "Lisez-moi" sheet says so; the CSV keeps both as they were."""
    import openpyxl
    import pandas as pd
    from isnote import export
    long = "d" * 40_000
    df = pd.DataFrame({"op_id": ["1", "2"], "title": ["Atelier\x0bchantier\x01", "ok"], "description": [long, "x"]})
    csv = export.write_table(df, tmp_path, "retained_operations")
    assert "\x0b" in csv.read_text(encoding="utf-8") and long in csv.read_text(encoding="utf-8")
    book = export.build_workbook(tmp_path)
    wb = openpyxl.load_workbook(book)
    ws = wb["retained_operations"]
    assert ws["B2"].value == "Atelier\nchantier"
    assert len(ws["C2"].value) == export.EXCEL_MAX_CHARS and ws["C2"].value.endswith("…[texte tronqué]")
    notice = [c.value for c in wb["Lisez-moi"]["A"]][1:]
    assert notice == ["1 cellule(s) contenaient des caractères de contrôle, retirés dans ce classeur "
                      "(les fichiers CSV les conservent).",
                      "1 cellule(s) dépassaient la limite d'Excel (32767 caractères) et sont coupées ; "
                      "le texte complet figure dans les fichiers CSV."]

"""Hostile corpus, second part: leaks and injections through the outputs, unsafe output folders,
crash-safe publishing, one register snapshot per run, every input file in the change keys.

Each case asserts the exact outcome: a clean French error (exit 2, expected words) or the correct
result."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


# ------------------------------------------------------------------ safe outputs

def _params_with_output(tmp_path, output_dir):
    from isnote.config import load_params
    data = C.params_dict(tmp_path)
    C.make_base(tmp_path)
    data["output_dir"] = str(output_dir)
    return load_params(C.write_params(tmp_path, data))


@pytest.mark.parametrize("where, words", [
    (lambda t: ROOT, "le projet lui-même"),
    (lambda t: ".", "le projet lui-même"),
    (lambda t: ROOT.parent, "le projet lui-même"),
    (lambda t: "/", "racine"),
    (lambda t: Path.home(), "dossier personnel"),
    (lambda t: t, "paramètres : "),                  # the folder holding the inputs, parameters, register
    (lambda t: ROOT / "data" / "demo", None),        # holds no input of this run, but is not isnote's
    (lambda t: ROOT / "src" / "isnote" / "sorties", "code"),
    (lambda t: ROOT / "notebooks" / "sorties", "carnets"),
    (lambda t: ROOT / "content", "contenu rédigé"),
    (lambda t: ROOT / "params", "mapping : "),       # the mapping and nomenclature live there
])
def test_output_dir_must_be_a_dedicated_folder(tmp_path, where, words):
    from isnote.errors import InputError
    from isnote.outputs_guard import check_output_dir
    params = _params_with_output(tmp_path, where(tmp_path))
    with pytest.raises(InputError) as info:
        check_output_dir(params)
    assert info.value.column == "output_dir" and info.value.file == str(params.source)
    if words:
        assert words in str(info.value)


def test_output_dir_foreign_folder_and_file_refused_isnote_folder_accepted(tmp_path):
    from isnote.errors import InputError
    from isnote.outputs_guard import check_output_dir
    foreign = tmp_path / "mes documents"
    foreign.mkdir()
    (foreign / "rapport.docx").write_text("x")
    with pytest.raises(InputError, match="ne contient pas de sorties d'isnote"):
        check_output_dir(_params_with_output(tmp_path, foreign))
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(InputError, match="n'est pas un dossier"):
        check_output_dir(_params_with_output(tmp_path, tmp_path / "f.txt"))
    assert check_output_dir(_params_with_output(tmp_path, tmp_path / "new" / "out")) == tmp_path / "new" / "out"
    ours = tmp_path / "out"
    (ours / ".state").mkdir(parents=True)
    (ours / "note.html").write_text("x")
    assert check_output_dir(_params_with_output(tmp_path, ours)) == ours


@pytest.mark.parametrize("name", ["bench.json", "screening_report"])
def test_output_dir_holding_only_what_another_isnote_command_wrote_is_accepted(tmp_path, name):
    """A fresh clone: `make bench` (or `make screening-report`) first, then `make report`."""
    from isnote.outputs_guard import check_output_dir
    out = tmp_path / "outputs"
    out.mkdir()
    (out / ".gitkeep").write_text("")
    (out / name).mkdir() if "." not in name else (out / name).write_text("{}")
    assert check_output_dir(_params_with_output(tmp_path, out)) == out


def test_bench_refuses_a_foreign_output_folder_before_measuring(tmp_path, capsys):
    """bench.json would make a foreign folder look like isnote's (and the next report replace it)."""
    from isnote import bench
    foreign = tmp_path / "mes documents"
    foreign.mkdir()
    (foreign / "rapport.docx").write_text("x")
    params = _params_with_output(tmp_path, foreign)
    assert bench.main(["--params", str(params.source), "--screening-n", "0"]) == 2
    assert "ne contient pas de sorties d'isnote" in capsys.readouterr().err
    assert sorted(p.name for p in foreign.iterdir()) == ["rapport.docx"]


def test_output_dot_is_refused_before_anything_is_written(tmp_path):
    """`output_dir: "."` (the project) is refused with exit 2 and writes nothing (no staging folder)."""
    params = _params_with_output(tmp_path, ".")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISNOTE_")}
    before = sorted(p.name for p in ROOT.parent.iterdir())
    proc = subprocess.run([sys.executable, "-m", "isnote.pipeline", "run",
                           "--params", str(params.source)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("ERREUR : ") and "output_dir « . »" in proc.stderr
    assert "Traceback" not in proc.stderr
    # nothing added beside the project. When the project lives in a shared temporary folder (a
    # clone under /tmp), the session's background chains (tests/chains.py) start and stop kernels
    # there meanwhile: their connection files and temporary folders ("tmp…", tempfile's prefix)
    # come and go, and are not this run's doing.
    added = sorted(n for n in set(p.name for p in ROOT.parent.iterdir()) - set(before)
                   if not n.startswith("tmp"))
    assert added == []
    assert not (ROOT.parent / f".{ROOT.name}.staging").exists()


# ------------------------------------------------------------------ crash-safe publish

def _fake_outputs(path: Path, label: str) -> Path:
    (path / ".state").mkdir(parents=True)
    (path / "note.html").write_text(label)
    return path


def test_kill_between_the_two_renames_restores_the_old_outputs(tmp_path):
    """Killed after the old outputs were moved aside and before the new ones took their place: the
    next run puts the old outputs back, complete, and removes the dead run's leftovers."""
    from isnote import run_publish
    build = tmp_path / ".out.staging"
    final = tmp_path / "out"
    _fake_outputs(build / "previous-999999", "old")
    _fake_outputs(build / "stage-999999", "new")
    (build / "stage-999999.lock").write_text("")
    (build / "stage-999999.register.csv").write_text("x")
    run_publish.remove_abandoned_stages(build, final)
    assert (final / "note.html").read_text() == "old"
    assert sorted(p.name for p in build.iterdir()) == []


def test_leftovers_of_dead_runs_removed_live_run_untouched(tmp_path):
    import fcntl
    from isnote import run_publish
    build = tmp_path / ".out.staging"
    final = _fake_outputs(tmp_path / "out", "current")
    _fake_outputs(build / "previous-999998", "old")          # killed after the swap
    _fake_outputs(build / "stage-999997", "half")            # killed while running
    _fake_outputs(build / "stage-999996", "running")         # a run in progress: its lock is held
    held = open(build / "stage-999996.lock", "w")
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        run_publish.remove_abandoned_stages(build, final)
        assert (final / "note.html").read_text() == "current"
        assert sorted(p.name for p in build.iterdir()) == ["stage-999996", "stage-999996.lock"]
    finally:
        held.close()


def test_publish_swaps_atomically_or_puts_the_old_outputs_back(tmp_path, monkeypatch):
    from isnote import run_publish
    build = tmp_path / ".out.staging"
    final = _fake_outputs(tmp_path / "out", "old")
    run_publish.publish(_fake_outputs(build / "stage-1", "new"), final, build)
    assert (final / "note.html").read_text() == "new" and not (build / "stage-1").exists()
    # without an atomic swap (other systems), a failure of the second rename puts the old outputs back
    monkeypatch.setattr(run_publish, "exchange", lambda a, b: False)
    real = os.replace

    def failing(src, dst):
        if Path(src).name == "stage-2":
            raise OSError(28, "No space left on device", str(src))
        return real(src, dst)
    monkeypatch.setattr(run_publish.os, "replace", failing)
    with pytest.raises(OSError):
        run_publish.publish(_fake_outputs(build / "stage-2", "newer"), final, build)
    assert (final / "note.html").read_text() == "new"


def test_disk_full_gives_a_french_error_naming_the_path(tmp_path, monkeypatch, capsys):
    import errno
    from isnote import pipeline

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "note.pdf"))
    monkeypatch.setattr(pipeline, "run", full)
    assert pipeline.main(["run", "--params", "params/demo.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ERREUR : ") and "disque plein" in err and str(tmp_path / "out" / "note.pdf") in err
    assert "Traceback" not in err


def test_permission_error_in_a_step_is_french():
    from isnote import run_execute
    text = run_execute.os_error_text("[Errno 13] Permission denied: '/x/out/clean/operations.parquet'")
    assert text == "écriture ou lecture impossible : permission refusée (/x/out/clean/operations.parquet)"
    assert "système de fichiers en lecture seule (/ro)" in run_execute.os_error_text("[Errno 30] Read-only file system: '/ro'")


def test_atomic_write_failure_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    """Disk full while writing: the previous file is intact, no truncated copy or temporary left."""
    import errno
    from isnote import atomic
    target = tmp_path / "registre.csv.bak"
    target.write_text("ancien contenu complet")

    def full(self, data, *a, **k):
        with open(self, "w") as fh:
            fh.write(data[:3])
        raise OSError(errno.ENOSPC, "No space left on device", str(self))
    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OSError):
        atomic.write_text(target, "nouveau contenu")
    monkeypatch.undo()
    assert target.read_text() == "ancien contenu complet"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registre.csv.bak"]


# ------------------------------------------------------------------ one register snapshot per run

def test_cross_step_check_names_the_difference():
    import pandas as pd
    from isnote.stepcheck import retained_counts_mismatches
    retained = pd.DataFrame({"programme": ["fse"] * 180 + ["iej"] * 5, "wave": ["2019"] * 185})
    results = {"fse": {"2019": {"total": {"n_ops": 176}}, "cumulative": {"total": {"n_ops": 999}}},
               "iej": {"2019": {"total": {"n_ops": 5}}}}
    by_type = {"fse": {"2019": {"a": {"n_ops": 100}, "b": {"n_ops": 80}}}}
    assert retained_counts_mismatches(retained, by_type, results, "2019") == [
        "PON FSE, vague 2019 : 180 opération(s) retenue(s) pour l'étape typologie, 176 pour l'étape résultats FSE",
        "PON FSE, vague 2019 : 180 opération(s) réparties par catégorie (typologie), 176 au bilan chiffré "
        "(résultats FSE)"]
    results["fse"]["2019"]["total"]["n_ops"] = 180
    assert retained_counts_mismatches(retained, by_type, results, "2019") == []


def test_run_images_are_the_figures_the_run_showed(tmp_path):
    import base64
    import nbformat
    from isnote.display import figure_html
    from isnote.htmlguard import digest, run_images
    (tmp_path / "fig").mkdir()
    (tmp_path / "fig" / "a.png").write_bytes(b"file figure")
    leaked = base64.b64encode(b"register").decode()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source="", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": figure_html(b"shown figure", "c")}),
        nbformat.v4.new_output("display_data", data={"text/html": f'<p><img src="data:image/png;base64,{leaked}"></p>'}),
    ])])
    assert run_images(tmp_path / "fig", [nb]) == {digest(b"file figure"), digest(b"shown figure")}


# ------------------------------------------------------------------ the pipeline on tiny notebooks

TINY_CODE = """
import json, pathlib
import pandas as pd
from isnote.config import load_params
p = load_params(params_path, output_dir=output_dir)   # both injected by the pipeline
out = p.layout.root
(out / "marks").mkdir(parents=True, exist_ok=True)
reg = p.path("review_register").read_text()
srcs = p["inputs"]["survey"]
srcs = srcs if isinstance(srcs, list) else [srcs]
data = "|".join(pathlib.Path(s).read_text() for s in srcs)
(out / "marks" / "{name}").write_text(reg + "#" + data)
if "{name}" in ("fse", "iej"):
    n = reg.count("retenue") if "{name}" == "fse" else 0
    kf = out / ".state" / "key_figures"
    kf.mkdir(parents=True, exist_ok=True)
    (kf / "retained.{name}.json").write_text(json.dumps({{"retained": {{"{name}": {{"2019": {{"total": {{"n_ops": n}}}}}}}}}}))
if "{name}" == "screening":   # plays the typology: the retained list
    n = reg.count("retenue") + (1 if "MIX" in reg else 0)
    pd.DataFrame({{"programme": ["fse"] * n, "wave": ["2019"] * n}}).to_parquet(out / "clean" / "retained.parquet")
"""


@pytest.fixture()
def tiny(tmp_path, monkeypatch):
    import nbformat
    import yaml
    from isnote import pipeline
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    steps = tiny_steps()
    for s in steps:
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell('params_path = "params/demo.yaml"')
        cell.metadata["tags"] = ["parameters"]
        nb.cells = [cell, nbformat.v4.new_code_cell(TINY_CODE.format(name=s.name))]
        nb.metadata["kernelspec"] = {"name": "isnote", "display_name": "isnote", "language": "python"}
        nbformat.write(nb, nbdir / s.notebook)
    srcs = [tmp_path / "a.csv", tmp_path / "b.csv"]
    srcs[0].write_text("A1")
    srcs[1].write_text("B1")
    reg = tmp_path / "reg.csv"
    reg.write_text("op_id;decision\n1;retenue\n")
    params = tmp_path / "p.yaml"
    params.write_text(yaml.safe_dump({
        "output_dir": str(tmp_path / "out"), "current_wave": "2019",
        "waves": {"2019": {"start": "2017-03-05", "end": "2018-12-31"}},
        "inputs": {"survey": [str(p) for p in srcs]}, "mapping": "x", "review_register": str(reg)}))
    tiny_patch(pipeline, nbdir, monkeypatch.setattr)
    monkeypatch.delenv("ISNOTE_OUTPUT_DIR", raising=False)
    return tmp_path, params, srcs, reg


def tiny_steps():
    from isnote import pipeline
    return (pipeline.Step("ingest", "a.ipynb", params_keys=(("inputs",),)),
            pipeline.Step("screening", "b.ipynb", params_keys=(("review_register",),), after=("ingest",)),
            pipeline.Step("fse", "c.ipynb", params_keys=(("review_register",),), after=("screening",)),
            pipeline.Step("iej", "d.ipynb", params_keys=(("review_register",),), after=("screening",)))


def tiny_patch(pipeline, nbdir, setattr_):
    """Make `pipeline` run the tiny notebooks of `nbdir` (library code and note not under test)."""
    setattr_(pipeline, "NOTEBOOKS_DIR", nbdir)
    setattr_(pipeline, "STEPS", tiny_steps())
    setattr_(pipeline, "STAGES", (("ingest",), ("screening",), ("fse", "iej")))
    setattr_(pipeline, "code_hash", lambda modules=(): "fixed")
    from test_pipeline import fake_assemble
    setattr_(pipeline, "_assemble", fake_assemble)


def _marks(out: Path) -> dict:
    return {p.name: p.read_text() for p in (out / "marks").iterdir()}


@pytest.mark.slow
def test_register_snapshot_input_lists_and_cross_step_check_over_successive_runs(tiny, monkeypatch):
    """One tiny project through successive runs (each run starts its kernels: the checks share the
    runs). 1. An import replaces the register after the first step: every step of this run reads
    the snapshot taken at its start; the next run reads the new register in every step. 2. Inputs
    given as a list: changing the second file reruns the steps and the outputs follow. 3. The
    typology counts one more retained operation than the results: the run fails with the check's
    French message and the previous outputs stay."""
    from isnote import pipeline, provenance
    from isnote.config import load_params
    from isnote.errors import ConsistencyError
    tmp, params, srcs, reg = tiny

    # 1. register replaced during a run
    real = pipeline.run_notebook

    def replacing(step, *a, **k):
        real(step, *a, **k)
        if step.name == "ingest":
            reg.write_text("op_id;decision\n1;retenue\n2;retenue\n")    # what an import does
    monkeypatch.setattr(pipeline, "run_notebook", replacing)
    pipeline.run(str(params), pdf=False)
    marks = _marks(tmp / "out")
    assert {marks[s] for s in ("ingest", "screening", "fse", "iej")} == {"op_id;decision\n1;retenue\n#A1|B1"}
    monkeypatch.setattr(pipeline, "run_notebook", real)
    s2 = pipeline.run(str(params), pdf=False)
    assert [s2[k] for k in ("ingest", "screening", "fse", "iej")] == ["skipped", "ran", "ran", "ran"]
    marks = _marks(tmp / "out")
    assert {marks[s] for s in ("screening", "fse", "iej")} == {"op_id;decision\n1;retenue\n2;retenue\n#A1|B1"}
    # the provenance names the register as the parameters do, not the run's private copy
    assert dict(provenance.input_files(load_params(params)))["review_register"] == reg
    assert not list((tmp / ".out.staging").glob("stage-*"))

    # 2. inputs given as a list are in the change keys and the provenance
    assert _marks(tmp / "out")["fse"].endswith("#A1|B1")
    srcs[1].write_text("B2")
    s3 = pipeline.run(str(params), pdf=False)
    assert [s3[k] for k in ("ingest", "screening", "fse", "iej", "assemble")] == ["ran"] * 5
    assert _marks(tmp / "out")["fse"].endswith("#A1|B2")
    roles = dict(provenance.input_files(load_params(params)))
    assert roles["inputs.survey[1]"] == srcs[0] and roles["inputs.survey[2]"] == srcs[1]
    prov = provenance.collect(load_params(params))
    assert {e["role"]: e["sha256"] for e in prov["inputs"]}["inputs.survey[2]"] == provenance.sha256_file(srcs[1])

    # 3. steps disagreeing on the retained list stop the run
    previous = _marks(tmp / "out")["fse"]
    assert previous == "op_id;decision\n1;retenue\n2;retenue\n#A1|B2"
    reg.write_text("op_id;decision\n1;retenue\n# MIX\n")
    with pytest.raises(ConsistencyError) as info:
        pipeline.run(str(params), pdf=False)
    assert "PON FSE, vague 2019 : 2 opération(s) retenue(s) pour l'étape typologie, 1 pour l'étape résultats FSE" \
        in str(info.value)
    assert "relancer" in str(info.value)
    assert _marks(tmp / "out")["fse"] == previous


# ------------------------------------------------------------------ the whole chain on hostile demo data

OP_HOSTILE = "201688761"                                  # retained, emblematic, current wave
TOKEN = "Y" * 1500                                       # under the ingest's 2000-character word limit
SURVEY_TYPES = {"R001": "![x](data/demo/registre_revue.csv)", "R007": "[clic](javascript:alert(1))",
                "R008": "$x$ ![](http://example.org/p.png)"}


def prepare_hostile_texts(tmp_path: Path) -> Path:
    """The demo data with survey body types written as Markdown images, links and formulas, a Word
    line break (U+000B) in the title of an emblematic operation and a 6,000-character token in its
    description (run in the background from the session's start: tests/chains.py, with the PDF)."""
    import re
    import yaml

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "demo", data)
    op = OP_HOSTILE
    ops = data / "operations_pon_fse.csv"
    lines = ops.read_bytes().decode("cp1252").split("\r\n" if b"\r\n" in ops.read_bytes() else "\n")
    nl = "\r\n" if b"\r\n" in ops.read_bytes() else "\n"
    i = next(k for k, line in enumerate(lines) if line.startswith(op + ";"))
    cells = lines[i].split(";")
    cells[1] = "Atelier\x0bchantier " + cells[1]
    lines[i] = ";".join(cells)
    ops.write_bytes(nl.join(lines).encode("cp1252"))
    qual = data / "qualitatif_pon_fse.csv"
    text = qual.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith(op + ";"))
    cells = line.split(";")
    cells[2] = "Description " + TOKEN + " suite" * 900    # and a text over the 4000 characters shown in print
    qual.write_text(text.replace(line, ";".join(cells)), encoding="utf-8")
    survey = data / "enquete_gestionnaires_axe3.csv"
    text = survey.read_text(encoding="utf-8")
    for rid, t in SURVEY_TYPES.items():
        text = re.sub(rf"^({rid};[^;]*;)[^;]*;", lambda m: m.group(1) + t + ";", text, flags=re.M)
    survey.write_text(text, encoding="utf-8")
    params = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text(encoding="utf-8"))
    params = yaml.safe_load(yaml.safe_dump(params).replace("data/demo/", f"{data}/"))
    params["output_dir"] = str(tmp_path / "out")
    pfile = tmp_path / "hostile.yaml"
    pfile.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return pfile


@pytest.fixture
def chain_hostile_texts(chains):
    return chains.result("chain_hostile_texts")


@pytest.mark.slow
def test_whole_chain_with_hostile_texts(chain_hostile_texts):
    """The hostile demo data above: the run succeeds; the note embeds only its own figures, links
    only to itself, shows the survey texts literally, cuts the token for print; the workbook is
    written; the CSV keeps the texts whole."""
    import re
    import openpyxl
    import pandas as pd
    from bs4 import BeautifulSoup
    from isnote.htmlguard import digest, image_digest

    op, token, types = OP_HOSTILE, TOKEN, SURVEY_TYPES
    out = chain_hostile_texts.out
    html = (out / "note.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    figures = {digest(p.read_bytes()) for p in (out / "figures").glob("*.png")}
    imgs = soup.find_all("img")
    assert imgs and all(image_digest(img["src"]) in figures for img in imgs)
    assert all(a["href"].startswith("#") for a in soup.find_all("a", href=True))
    assert "registre_revue" not in " ".join(str(v) for t in soup.find_all(True) for v in t.attrs.values())
    plain = re.sub(r"[\u00a0\u202f]", "", soup.get_text())
    for t in types.values():
        assert t.replace(" ", "") in plain.replace(" ", ""), t
    narrative = re.sub(r"[\s\u00a0\u202f]", "", " ".join(n.get_text() for n in soup.select(".isn-narrative")))
    assert any(t.replace(" ", "") in narrative for t in types.values())
    assert soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"}) is not None
    assert token not in html and "…[texte tronqué]" in html
    assert (out / "note.pdf").read_bytes()[:5] == b"%PDF-"
    retained = pd.read_csv(out / "tables" / "retained_operations.csv", dtype=str)
    title = retained.loc[retained["op_id"].eq(op), "title"].iloc[0]
    assert "chantier" in title
    wb = openpyxl.load_workbook(out / "tables" / "tables.xlsx")
    ws = wb["retained_operations"]
    head = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[head.index("op_id")] == op)
    assert "\x0b" not in row[head.index("title")] and "chantier" in row[head.index("title")]


KILLED_RUN = """
import os, sys
from pathlib import Path
sys.path[:0] = [{tests!r}]
import test_hostile_leaks as T
from isnote import pipeline, run_publish
T.tiny_patch(pipeline, Path({nbdir!r}), setattr)
run_publish.exchange = lambda a, b: False           # the two-rename publish of other systems
real = os.replace
def killing(src, dst):
    if Path(src).name.startswith("stage-"):
        os._exit(9)                                # killed between the two renames
    return real(src, dst)
os.replace = killing
pipeline.run({params!r}, pdf=False)
"""


@pytest.mark.slow
def test_kill_between_the_two_renames_then_next_run(tiny):
    """A run killed between the two renames of its publish leaves no output folder and a
    `previous-PID` folder; the next run puts the old outputs back, runs, and publishes the new ones;
    nothing of the dead run is left."""
    from isnote import pipeline
    tmp, params, srcs, reg = tiny
    pipeline.run(str(params), pdf=False)
    srcs[0].write_text("A2")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISNOTE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests"), env.get("PYTHONPATH", "")])
    env["TMPDIR"] = str(tmp / "tmp")     # the killed run's kernels leave their connection files there
    (tmp / "tmp").mkdir()
    code = KILLED_RUN.format(tests=str(ROOT / "tests"), nbdir=str(tmp / "notebooks"), params=str(params))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 9, proc.stderr
    build = tmp / ".out.staging"
    assert not (tmp / "out").exists() and len(list(build.glob("previous-*"))) == 1   # the state
    s = pipeline.run(str(params), pdf=False)
    assert [s[k] for k in ("ingest", "screening", "fse", "iej")] == ["ran"] * 4
    assert _marks(tmp / "out")["fse"].endswith("#A2|B1")
    from isnote.run_publish import CACHE_DIRS       # kept for the next run, on purpose
    assert sorted(p.name for p in build.iterdir() if p.name not in {"echec", *CACHE_DIRS.values()}) == []


def test_read_only_output_folder_is_refused_in_french(tmp_path, monkeypatch, capsys):
    """A read-only output folder (simulated: the tests may run as root) stops the run before it
    starts, with a French error naming the folder; exit 2 through the entry point."""
    from isnote import outputs_guard, pipeline
    params = _params_with_output(tmp_path, tmp_path / "out")
    _fake_outputs(tmp_path / "out", "old")
    real = os.access
    monkeypatch.setattr(outputs_guard.os, "access",
                        lambda p, mode: False if Path(p) == tmp_path / "out" else real(p, mode))
    monkeypatch.delenv("ISNOTE_OUTPUT_DIR", raising=False)
    assert pipeline.main(["run", "--params", str(params.source)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ERREUR : écriture impossible dans {tmp_path / 'out'} (dossier en lecture seule")
    assert (tmp_path / "out" / "note.html").read_text() == "old"
    assert not (tmp_path / ".out.staging").exists()


def test_parameters_cannot_close_the_style_element():
    """A running title or dataset label from the parameters lands in the page CSS: it stays a CSS
    string (no `</style>`, no line break)."""
    from isnote import note
    css = note._page_css({"dataset_label": 'x</style><img src=http://e/p.png>"\n}', "synthetic": True,
                          "running_title": "a\\b</STYLE>"})
    assert "</" not in css and "<img" not in css and "\n}" not in css.split("@page :first")[0][:-1]
    assert 'content: "x\\3c /style\\3e \\3c img src=http://e/p.png\\3e \\" }"' in css


def test_cli_refuses_an_unsafe_output_dir(tmp_path, capsys, monkeypatch):
    from isnote import cli
    monkeypatch.delenv("ISNOTE_OUTPUT_DIR", raising=False)
    params = _params_with_output(tmp_path, "/")
    assert cli.main(["review-export", "--params", str(params.source)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ERREUR : ") and "output_dir « / »" in err and "racine" in err

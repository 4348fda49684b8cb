"""Reviewer view of an executed notebook (isnote.companion): the same bytes as nbconvert's own
export with the review template, whether its memory on disk is empty, filled, damaged or
unwritable."""

import base64
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from isnote import companion, jinjacache

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "note_fixtures"))
import builders  # noqa: E402

PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")).decode()


def _notebook() -> nbformat.NotebookNode:
    """Code (with characters to escape, a cell magic), markdown, and every kind of output the
    review template prints: text, HTML (an image without alt text, a table), PNG, an error."""
    nb = new_notebook(metadata={"kernelspec": {"name": "isnote", "display_name": "isnote", "language": "python"},
                                "language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    nb.cells = [
        new_code_cell('params_path = "params/demo.yaml"', metadata={"tags": ["parameters"]}, execution_count=1),
        new_markdown_cell("# Titre\n\nTexte *accentué* é & < > « guillemets »"),
        new_code_cell("x = {'a': 1 < 2 and 3 > 2}  # é & <b>\nprint(x)", execution_count=2,
                      outputs=[new_output("stream", name="stdout", text="{'a': True} <b>\n")]),
        new_code_cell("%%bash\necho 1", metadata={"magics_language": "bash"}, execution_count=3,
                      outputs=[new_output("execute_result", execution_count=3,
                                          data={"text/html": '<table><tr><td>1 &amp; 2</td></tr></table>'
                                                             '<img src="x.png">',
                                                "text/plain": "table"})]),
        new_code_cell("show()", execution_count=4,
                      outputs=[new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]),
        new_code_cell("1/0", execution_count=5,
                      outputs=[new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                          traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"])]),
        new_code_cell("", execution_count=None),
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


_REF_TEMPLATES: list = []


def _reference_templates() -> Path:
    """The review template as it was before isnote.companion: without the cell marks."""
    import atexit
    import shutil
    import tempfile
    if not _REF_TEMPLATES:
        root = Path(tempfile.mkdtemp(prefix="isnote-review-ref-"))
        atexit.register(shutil.rmtree, root, True)          # nothing left in the temporary folder
        (root / "review").mkdir()
        src = companion.TEMPLATES_DIR / "review"
        (root / "review" / "conf.json").write_text((src / "conf.json").read_text(encoding="utf-8"), encoding="utf-8")
        text = (src / "index.html.j2").read_text(encoding="utf-8")
        cut = text.index("{#- a mark around each cell")
        assert "any_cell" in text[cut:] and "any_cell" not in text[:cut]
        (root / "review" / "index.html.j2").write_text(text[:cut], encoding="utf-8")
        _REF_TEMPLATES.append(root)
    return _REF_TEMPLATES[0]


def _reference(path: Path, params) -> str:
    """What `note.build_companion` wrote before isnote.companion: nbconvert's HTMLExporter with the
    review template (without the cell marks), its closing pass on the whole page."""
    from nbconvert import HTMLExporter

    from isnote.labels import dataset_label
    exp = HTMLExporter(template_name="review", extra_template_basedirs=[str(_reference_templates())])
    exp.embed_images = False
    nb = nbformat.read(str(path), as_version=4)
    body, _ = exp.from_notebook_node(nb, resources={
        "metadata": {"name": path.stem},
        "isnote": {"notebook": path.name, "synthetic": bool(params.get("synthetic")),
                   "dataset_label": dataset_label(params)}})
    return body


@pytest.fixture()
def run(tmp_path):
    params, layout = builders.make_run(tmp_path)
    nbformat.write(_notebook(), str(layout.notebooks / "09_essai.ipynb"))
    paths = sorted(layout.notebooks.glob("*.ipynb"))
    companion._EXPORTERS.clear()
    yield params, layout, paths, {p: _reference(p, params) for p in paths}
    companion._EXPORTERS.clear()


def _fresh_process():
    companion._EXPORTERS.clear()        # what a new side process starts with


def test_same_bytes_without_and_with_memory(run, tmp_path):
    params, layout, paths, ref = run
    for p in companion.build_all(paths, params):                      # no memory on disk
        assert p.read_text(encoding="utf-8") == ref[p.with_suffix(".ipynb")]
    cache = tmp_path / "cache"
    for round_ in range(2):                                          # filled, then used by a new process
        _fresh_process()
        for p in companion.build_all(paths, params, cache):
            assert p.read_text(encoding="utf-8") == ref[p.with_suffix(".ipynb")]
        memo = companion.exporter(cache).isn_memo
        if round_ == 0:
            assert memo.misses > 0 and (cache / companion.MEMO_FILE).is_file()
            assert list(jinjacache.folder(cache, "review").iterdir())    # compiled templates kept
        else:
            assert memo.hits > 0 and memo.misses == 0


@pytest.mark.parametrize("html", [
    "<div>left open",                        # a tag left open: swallows the cells after it
    "<p>x</p></div></div>",                  # closes the page's elements
    "<!-- a comment left open",              # swallows the rest of the page
    "<script>let a = 1;",                    # the same, as script text
    "<span>a</span></span><br></br>",        # a stray end tag, the end tag of an empty element
    "AT&T &amp &lt; <b>",                    # entities without their semicolon, text at the cell's edge
    '<img src="y.png"><div class="jp-OutputArea-output">in an output</div>',
])
def test_cells_that_do_not_stand_alone_give_the_same_page(run, tmp_path, html):
    params, layout, paths, ref = run
    nb_path = layout.notebooks / "09_essai.ipynb"
    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells.insert(3, new_code_cell("show_html()", execution_count=9, outputs=[
        new_output("display_data", data={"text/html": html, "text/plain": "x"})]))
    nb.cells.insert(3, new_markdown_cell(html))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nbformat.write(nb, str(nb_path))
    want = _reference(nb_path, params)
    for _ in range(2):                                               # from an empty memory, then a full one
        _fresh_process()
        got = companion.build_all([nb_path], params, tmp_path / "cache")[0].read_text(encoding="utf-8")
        assert got == want


def test_each_cell_is_kept_apart(run, tmp_path):
    params, layout, paths, ref = run
    cache = tmp_path / "cache"
    companion.build_all(paths, params, cache)
    nb_path = layout.notebooks / "09_essai.ipynb"
    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells[4].outputs[0]["data"]["text/plain"] = "<Figure 2>"   # one output changed: one cell redone
    nb.cells[2].outputs[0]["text"] = "{'a': False}\n"
    nbformat.write(nb, str(nb_path))
    _fresh_process()
    out = companion.build_all([nb_path], params, cache)[0].read_text(encoding="utf-8")
    assert out == _reference(nb_path, params) and "False" in out
    memo = companion.exporter(cache).isn_memo
    assert memo.misses == 1 and memo.hits > 3                     # the closing pass of one cell, nothing else


def test_changed_code_is_highlighted_again(run, tmp_path):
    params, layout, paths, ref = run
    cache = tmp_path / "cache"
    companion.build_all(paths, params, cache)
    nb_path = layout.notebooks / "09_essai.ipynb"
    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells[2].source = "y = 'changé' < 3"
    nbformat.write(nb, str(nb_path))
    _fresh_process()
    out = companion.build_all([nb_path], params, cache)[0].read_text(encoding="utf-8")
    assert out == _reference(nb_path, params) and "chang" in out
    assert companion.exporter(cache).isn_memo.misses > 0


def test_damaged_or_unwritable_memory_is_ignored(run, tmp_path):
    params, layout, paths, ref = run
    cache = tmp_path / "cache"
    companion.build_all(paths, params, cache)
    (cache / companion.MEMO_FILE).write_bytes(b"not a pickle")
    for f in jinjacache.folder(cache, "review").iterdir():
        f.write_bytes(b"j2 damaged")
    _fresh_process()
    for p in companion.build_all(paths, params, cache):
        assert p.read_text(encoding="utf-8") == ref[p.with_suffix(".ipynb")]

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    _fresh_process()
    for p in companion.build_all(paths, params, blocked / "cache"):
        assert p.read_text(encoding="utf-8") == ref[p.with_suffix(".ipynb")]
    if os.geteuid() != 0:                                            # root writes anywhere
        ro = tmp_path / "ro"
        shutil.copytree(cache, ro)
        os.chmod(ro, 0o500)
        try:
            _fresh_process()
            for p in companion.build_all(paths, params, ro):
                assert p.read_text(encoding="utf-8") == ref[p.with_suffix(".ipynb")]
        finally:
            os.chmod(ro, 0o700)


def test_note_build_companion_is_the_same_view(run):
    from isnote import note
    params, layout, paths, ref = run
    assert note.build_companion(paths[0], params).read_text(encoding="utf-8") == ref[paths[0]]


def test_compiled_templates_of_older_code_are_removed(run, tmp_path):
    params, layout, paths, ref = run
    cache = tmp_path / "cache"
    old = cache / "jinja-0123456789abcdef01234567" / "review"
    old.mkdir(parents=True)
    (old / "__jinja2_x.cache").write_bytes(b"old")
    companion.build_all(paths[:1], params, cache)
    assert not old.parent.exists() and jinjacache.folder(cache, "review").is_dir()


def test_memory_holds_the_last_build_of_each_notebook(run, tmp_path):
    import json
    params, layout, paths, ref = run
    cache = tmp_path / "cache"
    companion.build_all(paths, params, cache)
    before = json.loads((cache / companion.MEMO_FILE).read_text(encoding="utf-8"))["notebooks"]
    assert set(before) == {p.name for p in paths}
    nb_path = layout.notebooks / "09_essai.ipynb"
    for k in range(3):                                               # three runs, one output changed each time
        nb = nbformat.read(str(nb_path), as_version=4)
        nb.cells[2].outputs[0]["text"] = f"run {k}\n"
        nbformat.write(nb, str(nb_path))
        _fresh_process()
        companion.build_all([nb_path], params, cache)
    after = json.loads((cache / companion.MEMO_FILE).read_text(encoding="utf-8"))["notebooks"]
    assert len(after["09_essai.ipynb"]) == len(before["09_essai.ipynb"])        # no growth
    assert {g: e for g, e in after.items() if g != "09_essai.ipynb"} == \
        {g: e for g, e in before.items() if g != "09_essai.ipynb"}              # the others kept


def test_a_long_process_keeps_the_last_build_of_each_notebook_only(run):
    params, layout, paths, ref = run
    nb_path = layout.notebooks / "09_essai.ipynb"
    sizes = []
    for k in range(3):                                               # no folder: the memory of the process
        nb = nbformat.read(str(nb_path), as_version=4)
        nb.cells[2].outputs[0]["text"] = f"run {k}\n"
        nbformat.write(nb, str(nb_path))
        assert companion.build(nb_path, params).read_text(encoding="utf-8") == _reference(nb_path, params)
        memo = companion.exporter(None).isn_memo
        sizes.append(len(memo.new["09_essai.ipynb"]) + len(memo.old.get("09_essai.ipynb", {})))
    assert sizes[1] == sizes[2] and memo.hits > 0

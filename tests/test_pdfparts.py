"""The note's PDF laid out in parts (isnote.pdfparts): the cut, the merge (page numbers,
contents, links, outline), the cache of parts, and the worker processes' end."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import pytest

from isnote import pdfparts

pypdf = pytest.importorskip("pypdf")

HEAD = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Note d'essai</title>
<style>
@page { size: A4; margin: 2cm; @top-center { font-size: 8pt; }
  @bottom-right { content: "Page " counter(page) " / " counter(pages); font-size: 8pt; } }
@media print { .isn-titlepage, .isn-toc { break-after: page; } main.isn-body h1 { break-before: page; }
  .isn-toc a::after { content: leader(".") target-counter(attr(href), page); } }
.big { height: 30cm; }
</style>
<style>
@page { @top-center { content: "Titre courant d'essai"; } }
@page :first { @top-center { content: none; } }</style>
</head>
<body class="isn-note">"""


def note_html(sections: dict[str, str]) -> str:
    toc = "".join(f'<li><a href="#{sid}">{sid}</a></li>' for sid in sections)
    blocks = "".join(f'<div class="isn-md"><h1 id="{sid}">Section {sid}</h1>{body}'
                     f'<p><a href="#{next(iter(sections))}">retour</a></p></div>'
                     for sid, body in sections.items())
    return (HEAD + '<header class="isn-titlepage" id="page-de-titre"><h1>Note</h1></header>'
            f'<nav class="isn-toc" id="sommaire"><ol>{toc}</ol></nav>'
            f'<main class="isn-body">{blocks}</main><footer class="isn-footer">fin</footer></body></html>')


SECTIONS = {"sec-1": "<p>Un.</p>", "sec-2": '<div class="big">Deux</div><p>suite</p>',
            "sec-3": '<p>Trois, voir <a href="#sec-2">la section 2</a>.</p>'}


def pages_text(pdf_path) -> list[str]:
    reader = pypdf.PdfReader(str(pdf_path))
    return [p.extract_text() for p in reader.pages]


def test_split_cuts_at_level_one_headings():
    sp = pdfparts.split(note_html(SECTIONS))
    assert sp is not None and len(sp.parts) == 3
    assert [p.count("<h1") for p in sp.parts] == [1, 1, 1]
    assert 'id="sommaire"' in sp.front and "<main" not in sp.front
    assert sp.head.rstrip().endswith('<body class="isn-note">')
    # blocks before the first heading are a part of their own (print starts a page at each heading)
    sp = pdfparts.split(note_html(SECTIONS).replace('<main class="isn-body">',
                                                    '<main class="isn-body"><div class="isn-out">avant</div>'))
    assert len(sp.parts) == 4 and sp.parts[0] == '<div class="isn-out">avant</div>'


@pytest.mark.parametrize("bad", [
    "<html><body><p>pas de main</p></body></html>",
    HEAD + '<main class="isn-body"><h1>titre hors bloc</h1></main></body></html>',
    HEAD + '<main class="isn-body"><div><h1>a</h1></main></body></html>',          # unbalanced
])
def test_split_refuses_an_unexpected_shape(bad, tmp_path):
    assert pdfparts.split(bad) is None
    pdfparts.write(bad, tmp_path / "n.pdf", str(tmp_path))        # printed whole instead
    assert (tmp_path / "n.pdf").read_bytes().startswith(b"%PDF")


def test_parts_give_the_whole_note(tmp_path):
    html = note_html(SECTIONS)
    found = pdfparts.write(html, tmp_path / "n.pdf", str(tmp_path), cache_dir=tmp_path / "cache")
    assert found == []
    text = pages_text(tmp_path / "n.pdf")
    total = len(text)
    assert total >= 6        # title, contents, section 1, section 2 (two pages at least), section 3
    for number, page in enumerate(text, start=1):
        assert f"Page {number} / {total}" in page                 # numbers across the parts
        assert ("Titre courant d'essai" in page) == (number > 1)  # none on the title page only
    # the contents give each section's page, read from the laid-out parts
    contents = text[1]
    sec_page = {sid: next(n for n, t in enumerate(text, start=1) if f"Section {sid}" in t and n > 2)
                for sid in SECTIONS}
    assert sec_page == {"sec-1": 3, "sec-2": 4, "sec-3": total}
    for sid, page in sec_page.items():
        assert f"{sid}" in contents and str(page) in contents.split(sid, 1)[1].splitlines()[0]
    # links: every one resolves, including those between parts; one outline entry per heading
    reader = pypdf.PdfReader(str(tmp_path / "n.pdf"))
    dests = reader.named_destinations
    links = [a.get_object() for p in reader.pages for a in (p.get("/Annots") or [])]
    from weasyprint import HTML
    whole = pypdf.PdfReader(io.BytesIO(HTML(string=html).write_pdf()))     # one document, as before
    assert len(links) == sum(len(p.get("/Annots") or []) for p in whole.pages)
    assert all(str(a["/Dest"]) in dests for a in links)
    assert {str(a["/Dest"]) for a in links} == {"sec-1", "sec-2", "sec-3"}
    assert {"sec-1", "sec-2", "sec-3", "sommaire"} <= set(dests)
    page_of = {id(p.indirect_reference.get_object()): n for n, p in enumerate(reader.pages, start=1)}
    assert page_of[id(dests["sec-3"].page.get_object())] == total
    assert len(reader.outline) >= 4 and reader.metadata.title == "Note d'essai"


def test_cache_reuses_unchanged_parts(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    html = note_html(SECTIONS)
    pdfparts.write(html, tmp_path / "a.pdf", str(tmp_path), cache_dir=cache)
    laid_out: list[str] = []
    real_put = pdfparts._Cache.put
    monkeypatch.setattr(pdfparts._Cache, "put", lambda self, k, r: (laid_out.append(k), real_put(self, k, r)))
    stats: dict = {}
    pdfparts.write(html, tmp_path / "b.pdf", str(tmp_path), cache_dir=cache, stats=stats)
    assert laid_out == []                                            # nothing laid out again
    assert stats["laid_out"] == 0 and stats["reused"] == 3 + 1 + 1 and stats["pages"] >= 6   # parts, contents, margins
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    # a cold build without cache gives the same bytes
    pdfparts.write(html, tmp_path / "c.pdf", str(tmp_path))
    assert (tmp_path / "c.pdf").read_bytes() == (tmp_path / "a.pdf").read_bytes()

    # section 2 gets one page shorter: it is laid out again, and so are the contents and the
    # margins (numbers moved); sections 1 and 3 come from the cache
    changed = dict(SECTIONS, **{"sec-2": "<p>Deux, court.</p>"})
    laid_out.clear()
    pdfparts.write(note_html(changed), tmp_path / "d.pdf", str(tmp_path), cache_dir=cache)
    sp = pdfparts.split(note_html(changed))
    part_keys = [pdfparts._key(pdfparts.part_document(sp, i)) for i in range(3)]
    assert part_keys[1] in laid_out and part_keys[0] not in laid_out and part_keys[2] not in laid_out
    text = pages_text(tmp_path / "d.pdf")
    assert len(text) == 5 and "Page 5 / 5" in text[4] and "Section sec-3" in text[4]   # 2 pages less
    # the contents were first laid out with the last run's numbers, then again with the new ones
    assert text[1].split("sec-3", 1)[1].splitlines()[0].rstrip().endswith("5")
    # only this run's parts are kept
    kept = {p.stem for p in cache.glob("*.pdf")}
    assert set(part_keys) <= kept and len(kept) == len(laid_out) + 2   # + the 2 unchanged parts


def test_workers_end_with_the_process(tmp_path):
    """A run that ends (even through the quick exit) leaves no worker behind holding its output."""
    script = textwrap.dedent("""
        from isnote import pdfparts
        from isnote import entrypoint
        if __name__ == "__main__":
            pool = pdfparts.start_pool()
            if pool is not None:
                pool.submit(pdfparts._warm_worker).result()
            print("started", flush=True)
            entrypoint.exit_now(0)
    """)
    (tmp_path / "run.py").write_text(script, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(tmp_path / "run.py")], capture_output=True, text=True,
                          timeout=120)
    # capture_output waits for every holder of the pipes: a worker left running would block here
    assert proc.returncode == 0 and "started" in proc.stdout
    assert "leaked" not in proc.stderr and "Traceback" not in proc.stderr


def test_merge_keeps_page_content_intact():
    """The margins are printed over a page without re-parsing it: its content streams are kept
    (enclosed in q/Q) and the margin's resources are renamed, not merged into the page's names."""
    from weasyprint import HTML

    page = HTML(string="<p style='color:#123456'>corps</p>").write_pdf()
    margin = HTML(string="<style>@page { @bottom-right { content: 'Marge'; } }</style>").write_pdf()
    res = {"pdf": page, "pages": 1, "anchors": {}, "links": [], "outline": []}
    out = pypdf.PdfReader(io.BytesIO(pdfparts.merge([res], [{"pdf": margin, "pages": 1}])))
    text = out.pages[0].extract_text()
    assert "corps" in text and "Marge" in text
    contents = out.pages[0]["/Contents"]
    assert contents[0].get_object().get_data() == b"q\n" and contents[2].get_object().get_data() == b"\nQ\n"
    assert any(str(name).startswith("/m0_") for name in out.pages[0]["/Resources"]["/Font"])


def test_margins_blocks_keep_the_title_page_rule_only_in_the_first():
    sp = pdfparts.split(note_html(SECTIONS))
    assert pdfparts.FIRST_PAGE_CSS in sp.head                      # written by the note's page style
    first, later = pdfparts.margins_document(sp, 0, 45), pdfparts.margins_document(sp, 2, 45)
    assert pdfparts.FIRST_PAGE_CSS in first and pdfparts.FIRST_PAGE_CSS not in later
    assert "counter-reset: page 41;" in later and later.count('class="isn-blank"') == 5
    assert '"45"' in later and "counter(pages)" not in later


def test_the_note_style_carries_the_title_page_rule():
    from isnote.note import render
    css = render._page_css({"running_title": "Titre", "dataset_label": "X", "synthetic": False})
    assert pdfparts.FIRST_PAGE_CSS in css


def test_a_cache_that_cannot_be_written_does_not_stop_the_pdf(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    pdfparts.write(note_html(SECTIONS), tmp_path / "n.pdf", str(tmp_path), cache_dir=blocker)
    assert (tmp_path / "n.pdf").read_bytes().startswith(b"%PDF") and blocker.is_file()

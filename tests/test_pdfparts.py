"""The note's PDF laid out in parts (isnote.pdfparts): the cut, the merge (page numbers,
contents, links, outline), the cache of parts, and the worker processes' end."""

from __future__ import annotations

import dataclasses
import html as html_lib
import io
import json
import re
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
    # parts, title page, contents, one block of margins, the page total
    assert stats["laid_out"] == 0 and stats["reused"] == 3 + 1 + 1 + 1 + 1 and stats["pages"] >= 6
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    # a cold build without cache gives the same bytes
    pdfparts.write(html, tmp_path / "c.pdf", str(tmp_path))
    assert (tmp_path / "c.pdf").read_bytes() == (tmp_path / "a.pdf").read_bytes()

    # section 2 gets two pages shorter: it is laid out again, and so are the contents (numbers
    # moved) and the page total; sections 1 and 3, the title page and the margins (the page numbers
    # without the total) come from the cache
    changed = dict(SECTIONS, **{"sec-2": "<p>Deux, court.</p>"})
    laid_out.clear()
    pdfparts.write(note_html(changed), tmp_path / "d.pdf", str(tmp_path), cache_dir=cache)
    sp = pdfparts.split(note_html(changed))
    part_keys = [pdfparts._key(pdfparts.part_document(sp, i)) for i in range(3)]
    assert part_keys[1] in laid_out and part_keys[0] not in laid_out and part_keys[2] not in laid_out
    assert pdfparts._key(pdfparts.margins_document(sp, 0, 5)) not in laid_out
    assert pdfparts._key(pdfparts.total_document(sp, 5)) in laid_out
    assert pdfparts._key(pdfparts.title_document(sp)) not in laid_out and len(laid_out) == 3
    text = pages_text(tmp_path / "d.pdf")
    assert len(text) == 5 and "Section sec-3" in text[4]                              # 2 pages less
    for number, page in enumerate(text, start=1):
        assert f"Page {number} / 5" in page and "/ 7" not in page
    # the contents were first laid out with the last run's numbers, then again with the new ones
    assert text[1].split("sec-3", 1)[1].splitlines()[0].rstrip().endswith("5")
    # only this run's parts are kept
    kept = {p.stem for p in cache.glob("*.pdf")}
    assert set(part_keys) <= kept and len(kept) == len(laid_out) + 4   # + 2 parts, title, margins
    # and the same bytes as a build from nothing
    pdfparts.write(note_html(changed), tmp_path / "e.pdf", str(tmp_path))
    assert (tmp_path / "e.pdf").read_bytes() == (tmp_path / "d.pdf").read_bytes()


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
    assert "counter-reset: page 41;" in later and later.count('class="isn-blank"') == pdfparts.MARGIN_BLOCK
    # the total is laid out apart: the blocks keep room for its digits and do not depend on it
    assert pdfparts.total_apart(sp) and "counter(pages)" not in later and '"45"' not in later
    assert "padding-right: 2ch" in later and later == pdfparts.margins_document(sp, 2, 54)
    assert pdfparts.margins_document(sp, 2, 145) != later
    assert 'content: "45"' in pdfparts.total_document(sp, 45)
    # a page style that prints something after the total: the blocks carry it
    odd = dataclasses.replace(sp, head=sp.head.replace("counter(pages);", 'counter(pages) " pages";'))
    assert not pdfparts.total_apart(odd) and '"45"' in pdfparts.margins_document(odd, 2, 45)


def test_total_apart_prints_where_the_page_style_does(tmp_path, monkeypatch):
    """"Page N / " and the total, laid out apart, give the text and the places of the page style's
    "Page N / T" laid out whole (the total right-aligned after room of its digits' width)."""
    sp = pdfparts.split(note_html(SECTIONS))
    blank = {"pdf": pypdf_blank(3), "pages": 3, "anchors": {}, "links": [], "outline": []}

    def placed(pdf: bytes) -> list[list[tuple[str, float]]]:
        found = []
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
            runs: list[tuple[str, float]] = []
            page.extract_text(visitor_text=lambda text, cm, tm, font, size: runs.append(
                (text, round(cm[4] + tm[4] * cm[0], 2))) if text.strip() else None)
            found.append(runs)
        return found

    apart = pdfparts.merge([blank], [pdfparts.render_part(pdfparts.margins_document(sp, 0, 12), "."),
                                     pdfparts.render_part(pdfparts.total_document(sp, 12), ".")], True)
    monkeypatch.setattr(pdfparts, "total_apart", lambda sp: False)
    whole = pdfparts.merge([blank], [pdfparts.render_part(pdfparts.margins_document(sp, 0, 12), ".")])
    for number, (a, w) in enumerate(zip(placed(apart), placed(whole)), start=1):
        page_a = [(t, x) for t, x in a if t.startswith("Page")]
        page_w = [(t, x) for t, x in w if t.startswith("Page")]
        assert page_w[0][0].strip() == f"Page {number} / 12" and page_a[0][0].strip() == f"Page {number} /"
        assert page_a[0][1] == pytest.approx(page_w[0][1], abs=0.05)         # same start, same width
        total_x = [x for t, x in a if t.strip() == "12"]
        assert len(total_x) == 1 and total_x[0] > page_a[0][1]
    assert [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(apart)).pages] == \
        [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(whole)).pages]


def pypdf_blank(pages: int) -> bytes:
    from weasyprint import HTML
    return HTML(string="<div style='break-after: page'></div>" * pages).write_pdf()


def test_the_note_style_carries_the_title_page_rule():
    from isnote.note import render
    css = render._page_css({"running_title": "Titre", "dataset_label": "X", "synthetic": False})
    assert pdfparts.FIRST_PAGE_CSS in css


def test_a_cache_that_cannot_be_written_does_not_stop_the_pdf(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    pdfparts.write(note_html(SECTIONS), tmp_path / "n.pdf", str(tmp_path), cache_dir=blocker)
    assert (tmp_path / "n.pdf").read_bytes().startswith(b"%PDF") and blocker.is_file()


# --- a long table printed by groups (Annex A) ---------------------------------------------------------

def grouped_note(groups: dict[str, list[str]], total: int | None = None,
                 labels: dict[str, str] | None = None) -> str:
    """The test note with an annex holding one table printed by groups (its second column)."""
    rows = "".join(f'<tr><td>op-{op}</td><td>{g[-1]}</td></tr>' for g, ops in groups.items() for op in ops)
    n = sum(len(ops) for ops in groups.values()) if total is None else total
    labels = {g[-1]: g for g in groups} if labels is None else labels
    described = f' data-print-groups="2" data-print-labels="{html_lib.escape(json.dumps(labels))}"'
    annex = ('<div class="isn-out"><div class="isn-annexes"><h1 id="annexe-a">Annexe A</h1><p>Toutes les lignes.</p>'
             '<div class="isn-filter-bar" data-table="liste"><label for="f">Filtrer</label> '
             f'<input class="isn-filter" id="f" type="search"/> <span class="isn-count">{n} lignes affichées</span>'
             '<p class="isn-hint">Trier en cliquant.</p></div>'
             '<figure class="isn-table isn-long" id="liste-figure"><figcaption>Tableau 9 – Toutes les lignes</figcaption>'
             f'<table class="isn-sortable" data-total="{n}"{described} id="liste"><thead><tr><th>Numéro</th><th>Groupe</th></tr>'
             f'</thead><tbody>{rows}</tbody></table><p class="source">Source : essai</p></figure></div></div>')
    html = note_html({"sec-1": "<p>Un.</p>"})
    return html.replace("</main>", annex + "</main>").replace("</ol>", '<li><a href="#annexe-a">A</a></li></ol>')


GROUPS = {"Groupe A": [f"a{i:03d}" for i in range(70)], "Groupe B": ["b001", "b002"],
          "Groupe C": [f"c{i:03d}" for i in range(5)]}


def test_split_prints_a_grouped_table_by_group():
    sp = pdfparts.split(grouped_note(GROUPS))
    assert len(sp.parts) == 1 + 3
    groups = sp.parts[1:]
    for part, (name, ops) in zip(groups, GROUPS.items()):
        assert part.count('<h2 class="isn-print-group">') == 1 and f">{name}</h2>" in part
        assert part.count("<thead>") == 1 and part.count("<tr>") == len(ops) + 1
        assert pdfparts._open_elements(part) == []                       # every element closed
    # every row once, in the table's order
    assert re.findall(r"op-(\w+)", "".join(groups)) == [op for ops in GROUPS.values() for op in ops]
    # heading, caption and id with the first group, the source line with the last; the
    # continuations reopen the figure without ids
    assert 'id="annexe-a"' in groups[0] and "Tableau 9" in groups[0] and 'id="liste"' in groups[0]
    assert all("Tableau 9" not in g and "Source" not in g and " id=" not in g for g in groups[1:-1])
    assert "Source : essai" in groups[-1] and "Source" not in groups[0]
    assert groups[1].startswith('<div class="isn-out"><div class="isn-annexes"><figure class="isn-table isn-long">')
    # what only the browser uses is not printed (and does not change the parts' keys)
    assert all("isn-filter" not in g and "data-total" not in g and "lignes affichées" not in g
               and "data-print" not in g for g in groups)
    other = pdfparts.split(grouped_note(GROUPS, total=999, labels={"A": "Groupe A", "B": "Groupe B",
                                                                  "C": "Groupe C", "Z": "Groupe Z"}))
    assert other.parts == sp.parts
    # a group without a name in the table's description is named by its cells
    unnamed = pdfparts.split(grouped_note(GROUPS, labels={"A": "Groupe A", "C": "Groupe C"}))
    assert '<h2 class="isn-print-group">B</h2>' in unnamed.parts[2]


@pytest.mark.parametrize("change", [
    lambda h: h.replace("<td>B</td>", "<td>A</td>").replace("<td>C</td>", "<td>A</td>"),   # one group
    lambda h: h.replace("<td>op-b001</td><td>B</td>", "<td>op-b001</td>"),              # a row too short
    lambda h: h.replace(' data-print-groups="2"', ' data-print-groups="deux"'),          # not columns
    lambda h: h.replace(' data-print-groups="2"', ""),                                   # no groups
])
def test_a_table_without_groups_is_left_whole(change):
    sp = pdfparts.split(change(grouped_note(GROUPS)))
    assert len(sp.parts) == 2 and "isn-print-group" not in sp.parts[1] and sp.parts[1].count("<tr") == 78


def test_grouped_table_in_the_pdf(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    html = grouped_note(GROUPS)
    pdfparts.write(html, tmp_path / "a.pdf", str(tmp_path), cache_dir=cache)
    reader = pypdf.PdfReader(str(tmp_path / "a.pdf"))
    text = [p.extract_text() for p in reader.pages]
    total = len(text)
    # every row once, in order; each group from a new page, under its name, the header repeated
    assert re.findall(r"op-(\w+)", "".join(text)) == [op for ops in GROUPS.values() for op in ops]
    first_page = {name: next(n for n, t in enumerate(text) if name in t and "op-" in t) for name in GROUPS}
    assert first_page["Groupe A"] < first_page["Groupe B"] < first_page["Groupe C"] == total - 1
    assert first_page["Groupe B"] - first_page["Groupe A"] >= 2                  # group A: two pages
    assert "op-a" not in text[first_page["Groupe B"]] and "op-b" not in text[first_page["Groupe C"]]
    assert all(t.count("Numéro") == 1 for t in text[first_page["Groupe A"]:])
    assert "".join(text).count("Tableau 9") == 1 and "Source : essai" in text[-1]
    for number, page in enumerate(text, start=1):
        assert f"Page {number} / {total}" in page
    # the outline: the groups under the annex's heading
    annex = [i for i, item in enumerate(reader.outline) if not isinstance(item, list) and item.title == "Annexe A"]
    assert len(annex) == 1
    children = reader.outline[annex[0] + 1]
    assert [c.title for c in children] == list(GROUPS)
    assert [reader.get_destination_page_number(c) for c in children] == list(first_page.values())
    # the contents give the annex's page
    assert text[1].split("A", 1)[1].splitlines()[0].rstrip().endswith(str(first_page["Groupe A"] + 1))

    # one row of group B changes (and the row count of the browser's filter bar): group B only is
    # laid out again
    laid_out: list[str] = []
    real_put = pdfparts._Cache.put
    monkeypatch.setattr(pdfparts._Cache, "put", lambda self, k, r: (laid_out.append(k), real_put(self, k, r)))
    changed = dict(GROUPS, **{"Groupe B": ["b001", "b003"]})
    pdfparts.write(grouped_note(changed, total=78), tmp_path / "b.pdf", str(tmp_path), cache_dir=cache)
    sp = pdfparts.split(grouped_note(changed, total=78))
    assert laid_out == [pdfparts._key(pdfparts.part_document(sp, 2))]
    assert "op-b003" in pypdf.PdfReader(str(tmp_path / "b.pdf")).pages[first_page["Groupe B"]].extract_text()
    # the same bytes as a build from nothing
    pdfparts.write(grouped_note(changed, total=78), tmp_path / "c.pdf", str(tmp_path))
    assert (tmp_path / "c.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


# --- long sections cut at their subsections ----------------------------------------------------------

def long_section(pages_per_sub: list[float]) -> str:
    """A numbered section of top-level blocks, one per subsection, each about that many pages long."""
    para = "<p>" + "mot " * 200 + "</p>"                     # 800 characters: about 1/5 page
    per_page = 1 / pdfparts.estimated_pages(para)
    blocks = ['<div class="isn-md"><h1 id="sec-9">9. Longue</h1><p>Intro.</p></div>']
    for k, pages in enumerate(pages_per_sub, start=1):
        blocks.append(f'<div class="isn-md"><h2 id="sec-9-{k}">9.{k} Sous-partie</h2></div>')
        blocks.extend(f'<div class="isn-out">{para}</div>' for _ in range(round(pages * per_page)))
    return "".join(blocks)


def test_long_sections_are_cut_before_their_long_subsections():
    part = long_section([3, 1, 4, 1.5])
    assert pdfparts.estimated_pages(part) >= pdfparts.LONG_SECTION_PAGES
    pieces = pdfparts.cut_long(part)
    assert "".join(pieces) == part                                  # nothing lost, nothing added
    # a cut before 9.2 (3 pages before it, 6.5 after); none before 9.3 (9.2 alone: 1 page) nor
    # before 9.4 (1.5 pages after it)
    assert [re.search(r'id="(sec-9[-\d]*)"', p).group(1) for p in pieces] == ["sec-9", "sec-9-2"]
    # a section under the threshold is not cut; runs of 2 pages at least between the cuts
    assert pdfparts.cut_long(long_section([2, 2, 2])) == [long_section([2, 2, 2])]
    assert len(pdfparts.cut_long(long_section([1.5] * 6))) == 3
    # only at top-level blocks that start with a level-2 heading
    assert len(pdfparts.cut_long(part.replace('</div><div class="isn-md"><h2', '<h2'))) == 1


def test_a_cut_section_in_the_pdf(tmp_path):
    """The pieces of a cut section follow each other, each from a new page; the outline keeps the
    subsections under their section, the contents give their pages."""
    html = note_html({"sec-1": "<p>Un.</p>"}).replace(
        '</main>', long_section([3, 1, 4, 1.5]) + '</main>').replace(
        '</ol>', '<li><a href="#sec-9">9</a></li><li><a href="#sec-9-2">9.2</a></li></ol>')
    assert len(pdfparts.split(html).parts) == 3
    pdfparts.write(html, tmp_path / "n.pdf", str(tmp_path))
    reader = pypdf.PdfReader(str(tmp_path / "n.pdf"))
    text = [p.extract_text() for p in reader.pages]
    starts = {k: next(n for n, t in enumerate(text, start=1) if f"9.{k} Sous-partie" in t) for k in (1, 2, 3, 4)}
    assert text[starts[2] - 1].lstrip().startswith("9.2 Sous-partie")          # at the top of its page
    assert starts[1] < starts[2] < starts[3] <= starts[4]
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [t.title for t in top][-2:] == ["Section sec-1", "9. Longue"]
    children = reader.outline[-1]
    assert [c.title for c in children] == [f"9.{k} Sous-partie" for k in (1, 2, 3, 4)]
    assert [reader.get_destination_page_number(c) + 1 for c in children] == list(starts.values())
    assert text[1].split("9.2", 1)[1].splitlines()[0].rstrip().endswith(str(starts[2]))


def test_workers_are_forked_from_a_warm_server():
    """On Linux the workers are forked from a server process that has loaded WeasyPrint once."""
    import multiprocessing
    if "forkserver" not in multiprocessing.get_all_start_methods():      # pragma: no cover
        pytest.skip("no forkserver on this platform")
    context = pdfparts._context()
    assert context.get_start_method() == "forkserver"
    from multiprocessing import forkserver
    assert forkserver._forkserver._preload_modules == ["isnote.pdfworker"]


def test_quick_exit_leaves_no_temporary_folder_of_the_workers_server(tmp_path):
    """A run ends with `entrypoint.exit_now` (no interpreter teardown): the folder multiprocessing
    made for the workers' server (pymp-…) is removed all the same."""
    import multiprocessing
    import os
    if "forkserver" not in multiprocessing.get_all_start_methods() or (os.cpu_count() or 1) < 2:   # pragma: no cover
        pytest.skip("no worker pool here")
    code = ("from isnote import entrypoint, pdfparts\n"
            "assert pdfparts.start_pool() is not None\n"
            "entrypoint.exit_now(0)\n")
    proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TMPDIR": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_head_style_sheets_parsed_once_per_process_and_applied():
    """The head's style sheets are given to WeasyPrint parsed, and kept for the next part; a document
    with a style sheet elsewhere is laid out as it is."""
    head = ('<html><head><style>p { font-size: 40pt; } @page { size: A6; }</style>'
            '<style>p { break-after: page; }</style></head><body>')
    doc = head + "<p>un</p><p>deux</p><p>trois</p></body></html>"
    html, sheets = pdfparts._parsed_sheets(doc, ".", None)
    assert "<style" not in html and len(sheets) == 2
    again, sheets2 = pdfparts._parsed_sheets(head + "<p>autre</p></body></html>", ".", None)
    assert [id(s) for s in sheets2] == [id(s) for s in sheets]
    inline = head.replace("</body>", "") + "<style>p { color: red; }</style><p>x</p></body></html>"
    assert pdfparts._parsed_sheets(inline, ".", None) == (inline, [])
    # the sheets apply: one paragraph per A6 page (break-after), as with the sheets left in the page
    from pypdf import PdfReader
    result = pdfparts.render_part(doc, ".")
    assert result["pages"] == 3
    box = PdfReader(io.BytesIO(result["pdf"])).pages[0].mediabox
    assert round(float(box.width)) == 298            # A6: 105 mm

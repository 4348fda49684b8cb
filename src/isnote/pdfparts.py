"""The note's PDF, laid out in parts on every core, and only the parts that changed.

WeasyPrint needs about a quarter of a second of one core per page of the note, and a register change
used to pay for the whole document again. The print style starts every numbered section and every
annex on a new page, so the note is cut there into independent documents ("parts"): the title page,
the contents, then one part per section or annex. Two cuts more, so that one review decision lays
out little: a table whose rows name their print group (Annex A: programme and wave) is printed by
group, each group from a new page under its name (`cut_groups`); a long section is cut before those
of its subsections that are long enough (`cut_long`). Each part is laid out in a worker process
(one per core), without its running title and page number: those are laid out apart, on pages
with nothing else ("margins"), and printed over the parts' pages at the merge. So a part does not
depend on where it starts, and a part whose HTML is unchanged since the last run is taken from the
cache even when the pages before it changed. The margins do not depend on the page total either:
it is laid out alone, once, and printed over every page (`total_document`).

The parts are then put back together with pypdf: pages in order, one table of named destinations
for the whole document (so that links between parts work), the links that point into another part
(WeasyPrint drops them in a part), one outline built from every part's headings, the metadata of the
title part. The contents' page numbers are written last, once every part's pages are known.

The split is a scan of the serialised note: the top-level blocks of `<main>` and the level-1
headings. When the note does not have the expected shape, it is printed as one document (same
result, no parallelism, no cache). Where it is cut depends on the HTML only (never on an earlier
run), so a build from an empty cache and a build from the cache give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import weasyload

MAIN_OPEN = '<main class="isn-body">'
_TAG = re.compile(r"<(/?)div\b|<h1\b")
_TOC_LINK = re.compile(r'<a\b([^>]*?)\bhref="#([^"]+)"')
# no running title on the note's first page (the title page); written into the note's page style by
# `note.render`, dropped from the margins of pages after the first block (their first page is not
# the title page)
FIRST_PAGE_CSS = "@page :first { @top-center { content: none; } }"
# spaced leader dots: WeasyPrint fills a leader by repeating its string, and a three-character one
# is laid out in half the time of a single dot (the contents are laid out again whenever a page
# number moves)
TOC_NUMBERS_CSS = ("@media print { .isn-toc a::after { content: leader(' . ') attr(data-page); } "
                   ".isn-toc a[data-page='']::after { content: none; } }")


@dataclass
class Split:
    """The note cut for printing: `head` (up to and including `<body ...>`), `front` (title page and
    contents) and the `parts` of `<main>`, each a run of top-level blocks starting with a level-1
    heading (the first part starts at the top of `<main>`)."""
    head: str
    front: str
    parts: list[str] = field(default_factory=list)


def split(html: str) -> Split | None:
    """Cut the note at its level-1 headings; None when the note does not have the expected shape."""
    body_at = html.find("<body")
    body_end = html.find(">", body_at) + 1 if body_at >= 0 else -1
    main_at = html.find(MAIN_OPEN)
    main_end = html.rfind("</main>")
    if body_at < 0 or main_at < body_end or main_end < main_at:
        return None
    inner_at = main_at + len(MAIN_OPEN)
    inner = html[inner_at:main_end]
    depth, block_start, cuts = 0, None, [0]
    for m in _TAG.finditer(inner):
        if m.group(0).startswith("<h1"):
            if depth == 0 or block_start is None:
                return None                       # a heading outside the top-level blocks
            if block_start > cuts[-1]:
                cuts.append(block_start)
        elif m.group(1):
            depth -= 1
            if depth < 0:
                return None
        else:
            if depth == 0:
                block_start = m.start()
            depth += 1
    if depth != 0:
        return None
    cuts.append(len(inner))
    parts = [inner[a:b] for a, b in zip(cuts, cuts[1:]) if inner[a:b].strip()]
    parts = [group for part in parts for piece in cut_long(_print_only(part)) for group in cut_groups(piece)]
    return Split(head=html[:body_end], front=html[body_end:main_at], parts=parts)


# --- long sections cut at their subsections -----------------------------------------------------------

LONG_SECTION_PAGES = 8.0    # a section of at least this many pages (estimated) ...
MIN_RUN_PAGES = 2.0         # ... starts on a new page those subsections that follow, and are followed
                            # by, at least this many pages: a few more pages, never a page break
                            # after (or before) a short run
_H2_BLOCK = re.compile(r"<div\b[^>]*>\s*<h2\b")
_UNPRINTED = re.compile(r"<(svg|style|script)\b.*?</\1>", re.S)
_LINE_BLOCK = re.compile(r"<(?:p|li|h[1-6]|figcaption|tr|dt|blockquote)\b")
_PICTURE = re.compile(r"<(?:img|svg)\b")


def estimated_pages(html: str) -> float:
    """A rough print length of a piece of the note, from its HTML alone (text, blocks, table rows,
    pictures), so that where it is cut does not depend on an earlier run."""
    body = _UNPRINTED.sub(" ", html)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body))
    lines = len(text) / 95 + len(_LINE_BLOCK.findall(body)) + body.count("<tr") + 22 * len(_PICTURE.findall(html))
    return lines / 48


def cut_long(part: str) -> list[str]:
    """Cut a long section (`LONG_SECTION_PAGES`) before those of its top-level blocks that start with a
    level-2 heading and have at least `MIN_RUN_PAGES` before them (since the last cut) and after them
    (to the end of the section): each piece is laid out apart, so that a change in one subsection
    does not lay out the whole section again. `[part]` otherwise."""
    if estimated_pages(part) < LONG_SECTION_PAGES:
        return [part]
    depth, starts = 0, []
    for m in re.finditer(r"<(/?)div\b", part):
        if m.group(1):
            depth -= 1
        else:
            if depth == 0:
                starts.append(m.start())
            depth += 1
    cuts = [0]
    for at in starts:
        if at > 0 and _H2_BLOCK.match(part, at) and estimated_pages(part[cuts[-1]:at]) >= MIN_RUN_PAGES \
                and estimated_pages(part[at:]) >= MIN_RUN_PAGES:
            cuts.append(at)
    cuts.append(len(part))
    return [part[a:b] for a, b in zip(cuts, cuts[1:])]


# --- a long table printed by groups ------------------------------------------------------------------

# a table printed by groups says which of its columns make a row's group, and the groups' names
# (`note.render.annex_list_html`): <table data-print-groups="2,3" data-print-labels='{"FSE|2019": ...}'>
_GROUP_TABLE = re.compile(r"""<table\b(?:[^>"']|"[^"]*"|'[^']*')*?\sdata-print-groups=(?:[^>"']|"[^"]*"|'[^']*')*>""")
_PRINT_ATTRS = re.compile(r"""\sdata-print-(?:groups|labels)=(?:"[^"]*"|'[^']*')""")
_ROW = re.compile(r"<tr\b")
_CELL = re.compile(r"<td\b[^>]*>(.*?)</td>", re.S)
_TBODY = re.compile(r"<tbody\b[^>]*>")
_ANY_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)\b[^>]*?(/?)>")
_VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
_ID = re.compile(r'\sid="[^"]*"')
# what only the browser shows or uses (the filter bar of Annex A and its count, the table's row
# total for the script): left out of the printed parts, so that they do not change with every decision
_SCREEN_BLOCK = re.compile(r'<div class="isn-filter-bar"[^>]*>')
_SCREEN_ATTR = re.compile(r'(<table\b[^>]*?)\sdata-total="[^"]*"')


def _attributes(tag: str) -> dict[str, str]:
    """The attributes of one start tag, unescaped."""
    from html.parser import HTMLParser

    found: dict[str, str] = {}

    class _Parser(HTMLParser):
        def handle_starttag(self, _name, attrs):
            found.update((k, v or "") for k, v in attrs)

    _Parser().feed(tag)
    return found


def _print_only(part: str) -> str:
    """`part` without what is hidden in print and changes with the data (see `_SCREEN_BLOCK`)."""
    for m in reversed(list(_SCREEN_BLOCK.finditer(part))):
        end = part.find("</div>", m.end())
        if end >= 0 and "<div" not in part[m.end():end]:
            part = part[:m.start()] + part[end + len("</div>"):]
    return _SCREEN_ATTR.sub(r"\1", part)


def _open_elements(html: str) -> list[tuple[str, str]] | None:
    """The elements still open at the end of `html` (name, start tag), outermost first; None when the
    tags do not nest."""
    stack: list[tuple[str, str]] = []
    for m in _ANY_TAG.finditer(html):
        name = m.group(2).lower()
        if m.group(1):
            if not stack or stack[-1][0] != name:
                return None
            stack.pop()
        elif not m.group(3) and name not in _VOID:
            stack.append((name, m.group(0)))
    return stack


def cut_groups(part: str) -> list[str]:
    """Cut a part holding a table printed by groups (`data-print-groups`: the columns whose cells make
    a row's group) into one part per run of rows of the same group, in the table's order: each starts
    a page with the group's name (`data-print-labels`, else the cells' texts) as a heading, and
    repeats the table's opening and header; what comes before the table stays with the first group
    (heading, caption), what comes after it with the last (source line). The continuations reopen
    the elements that enclose the table, without their ids. `[part]` when there is no such table, a
    single group, or an unexpected shape; the groups' description is never printed."""
    import html as _html

    found = _GROUP_TABLE.search(part)
    if found is None:
        return [part]
    t_open, table_tag = found.start(), found.group(0)
    attrs = _attributes(table_tag)
    plain = part[:t_open] + _PRINT_ATTRS.sub("", table_tag) + part[found.end():]
    table_tag = _PRINT_ATTRS.sub("", table_tag)
    try:
        columns = [int(c) for c in attrs.get("data-print-groups", "").split(",")]
        labels = json.loads(attrs.get("data-print-labels") or "{}")
    except ValueError:
        return [plain]
    tbody = _TBODY.search(plain, t_open)
    tbody_end = plain.find("</tbody>", tbody.end()) if tbody is not None else -1
    if tbody_end < 0 or "<table" in plain[t_open + 1:tbody.start()] or not isinstance(labels, dict):
        return [plain]
    body = plain[tbody.end():tbody_end]
    starts = [m.start() for m in _ROW.finditer(body)]
    if not starts or "<table" in body or body[:starts[0]].strip() or min(columns) < 1:
        return [plain]
    rows = [body[a:b] for a, b in zip(starts, starts[1:] + [len(body)])]
    runs: list[tuple[str, list[str]]] = []
    for row in rows:
        cells = _CELL.findall(row)
        if len(cells) < max(columns):
            return [plain]
        values = [_html.unescape(re.sub(r"<[^>]+>", "", cells[c - 1])).strip() for c in columns]
        key = "|".join(values)
        if runs and runs[-1][0] == key:
            runs[-1][1].append(row)
        else:
            runs.append((key, [row]))
    enclosing = _open_elements(plain[:t_open])
    if len(runs) < 2 or enclosing is None:
        return [plain]
    header = plain[t_open + len(table_tag):tbody.end()]        # caption, column header, <tbody>
    reopen = "".join(_ID.sub("", tag) for _name, tag in enclosing)
    close = "</tbody></table>" + "".join(f"</{name}>" for name, _tag in reversed(enclosing))
    pieces = []
    for k, (key, group) in enumerate(runs):
        name = _html.escape(str(labels.get(key) or " – ".join(key.split("|"))), quote=False)
        before = plain[:t_open] if k == 0 else reopen
        table = table_tag if k == 0 else _ID.sub("", table_tag)
        after = plain[tbody_end:] if k == len(runs) - 1 else close
        pieces.append(f'{before}<h2 class="isn-print-group">{name}</h2>{table}{header}{"".join(group)}{after}')
    return pieces


NO_MARGINS_CSS = ("@page { @top-center { content: none; } @bottom-left { content: none; } "
                  "@bottom-right { content: none; } }")
MARGIN_BLOCK = 20          # pages per block of margins


def _with_style(head: str, css: str) -> str:
    style = f"<style>{css}</style>"
    return head.replace("</head>", style + "</head>", 1) if "</head>" in head else head + style


def part_document(sp: Split, index: int) -> str:
    """Standalone HTML of part `index` (0-based in `sp.parts`), without running title nor page number."""
    return _with_style(sp.head, NO_MARGINS_CSS) + MAIN_OPEN + sp.parts[index] + "</main></body></html>"


def _toc_start(front: str) -> int:
    """Where the contents begin in the front matter (the start of the tag of class `isn-toc`), -1
    when there are none."""
    at = front.find('class="isn-toc"')
    return -1 if at < 0 else front.rfind("<", 0, at)


def title_document(sp: Split) -> str:
    """Standalone HTML of the front matter before the contents (the title page): laid out apart
    from the contents, as it changes with every run (the run's date) and they do not."""
    at = _toc_start(sp.front)
    return _with_style(sp.head, NO_MARGINS_CSS) + (sp.front if at < 0 else sp.front[:at]) + "</body></html>"


def contents_document(sp: Split, pages: dict[str, int]) -> str | None:
    """Standalone HTML of the contents, their page numbers written as text (`pages`: anchor -> page
    number); None when the note has no contents."""
    def number(m: re.Match) -> str:
        return f'<a{m.group(1)} data-page="{pages.get(m.group(2), "")}" href="#{m.group(2)}"'
    at = _toc_start(sp.front)
    if at < 0:
        return None
    return (_with_style(sp.head, NO_MARGINS_CSS + TOC_NUMBERS_CSS) + _TOC_LINK.sub(number, sp.front[at:])
            + "</body></html>")


# The margins are laid out in blocks of MARGIN_BLOCK pages that do not depend on the page total: the
# note's "Page N / T" is laid out as "Page N / " followed by room for the digits of T (1ch each: the
# digits of the note's fonts are all as wide as a zero), and T is laid out once, alone, on a page of
# its own (`total_document`) printed over every page at that place (the text is aligned right). A change of the total lays out that one
# page again, not the margins of every page. Used when the total is the last thing the page style
# prints (`_TOTAL_LAST`); otherwise the blocks carry the total and are laid out again when it changes.
_TOTAL = "counter(pages)"
_TOTAL_LAST = re.compile(r'@bottom-right\s*\{[^{}]*?content:[^;{}]*counter\(pages\)\s*[;}]')


def total_apart(sp: Split) -> bool:
    """Whether the page total can be laid out apart from the margins (see `_TOTAL_LAST`)."""
    return sp.head.count(_TOTAL) == 1 and _TOTAL_LAST.search(sp.head) is not None


def margins_document(sp: Split, block: int, total: int) -> str:
    """The margins (running title, data mention, page number) of pages `block * MARGIN_BLOCK + 1` to
    `(block + 1) * MARGIN_BLOCK`, on pages that print nothing else; the first page of the note keeps
    its own rule. The total is written in place of the page style's total pages when it cannot be
    laid out apart (`total_apart`), else room for its digits only (see `total_document`)."""
    first = block * MARGIN_BLOCK + 1
    css = (f"@page :first {{ counter-reset: page {first}; }} "
           "html, body { background: none !important; } .isn-blank { break-after: page; }")
    if total_apart(sp):      # room for the digits of the total (as wide as a zero: 1ch), spaces kept
        head = sp.head.replace(_TOTAL, '""')
        css += f" @page {{ @bottom-right {{ white-space: pre; padding-right: {len(str(total))}ch; }} }}"
    else:
        head = sp.head.replace(_TOTAL, f'"{total}"')
    if block:
        head = head.replace(FIRST_PAGE_CSS, "")
    return _with_style(head, css) + '<div class="isn-blank"></div>' * MARGIN_BLOCK + "</body></html>"


def total_document(sp: Split, total: int) -> str:
    """One page with nothing but the page total, where the page style prints it (bottom right, same
    font), printed over every page of the note (see `margins_document`)."""
    css = ("@page { @top-left { content: none; } @top-center { content: none; } @top-right { content: none; } "
           "@bottom-left { content: none; } @bottom-center { content: none; } "
           f'@bottom-right {{ content: "{total}"; }} }} '
           "html, body { background: none !important; }")
    return _with_style(sp.head, css) + "</body></html>"


# --- laying out one part (in a worker) ------------------------------------------------------------


class _NoMissingAnchor(logging.Filter):
    """A part links to headings of other parts: those links are added back at the merge."""
    def filter(self, record) -> bool:
        return "for internal URI reference" not in record.getMessage()


def _quiet_weasyprint() -> None:
    logger = logging.getLogger("weasyprint")
    if not any(isinstance(f, _NoMissingAnchor) for f in logger.filters):
        logger.addFilter(_NoMissingAnchor())


def _outline(document, scale: float) -> list:
    """The part's headings in order, flat: [level, label, page, x, y] (nested at the merge, across
    parts: a part that starts with a level-2 heading continues the section of the part before)."""
    found = []
    for number, page in enumerate(document.pages):
        height = page.height * scale
        for level, label, (x, y), _state in page.bookmarks:
            found.append([level, label, number, round(x * scale, 3), round(height - y * scale, 3)])
    return found


# The style sheets of the parts' heads are the same for every part (the note's own, a few lines of
# ours): parsed once per worker and kept, rather than once per part (about 45 ms of each part's layout).
# They are given to WeasyPrint as parsed sheets, in their order; it counts them as the user's rather
# than the author's, which changes nothing here: they are then the only sheets besides its default ones
# (the note has no <style> outside its head, no @layer), and its style attributes carry no !important.
_HEAD_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_OTHER_STYLE = re.compile(r"<style\b(?!>)|<link\b|@layer|@import|@font-face", re.I)
_SHEETS: dict[tuple[str, str], object] = {}       # (base URL, text) -> weasyprint.CSS, in this process
_SHEETS_KEPT = 64


def _parsed_sheets(document_html: str, base_url: str, fetcher) -> tuple[str, list]:
    """`document_html` without the `<style>` elements of its head, and those style sheets parsed (kept
    from one part to the next in this process); the document unchanged and no sheet when it has a
    style sheet elsewhere or of another kind (see `_OTHER_STYLE`)."""
    weasyload.ensure()
    from weasyprint import CSS

    head_end = document_html.find("</head>")
    if head_end < 0 or _OTHER_STYLE.search(document_html) or "<style" in document_html[head_end:]:
        return document_html, []
    head = document_html[:head_end]
    sheets = []
    for text in _HEAD_STYLE.findall(head):
        sheet = _SHEETS.get((base_url, text))
        if sheet is None:
            if len(_SHEETS) >= _SHEETS_KEPT:
                _SHEETS.clear()
            sheet = _SHEETS[(base_url, text)] = CSS(string=text, base_url=base_url, url_fetcher=fetcher)
        sheets.append(sheet)
    return _HEAD_STYLE.sub("", head) + document_html[head_end:], sheets


def render_part(document_html: str, base_url: str) -> dict:
    """Lay out one standalone part; return its PDF and what the merge needs (page count, anchors,
    links to anchors of other parts, outline, tables wider than the text block). Coordinates are PDF
    points from the bottom-left corner; pages are 0-based within the part."""
    weasyload.ensure()
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from . import printcheck

    _quiet_weasyprint()
    fetcher = URLFetcher(allowed_protocols=["data"])
    document_html, sheets = _parsed_sheets(document_html, base_url, fetcher)
    document = HTML(string=document_html, base_url=base_url, url_fetcher=fetcher).render(stylesheets=sheets)
    scale = 0.75
    anchors: dict[str, list] = {}
    links: list[list] = []
    for number, page in enumerate(document.pages):
        height = page.height * scale
        for name, (x, y, *_rest) in page.anchors.items():
            anchors.setdefault(name, [number, round(x * scale, 3), round(height - y * scale, 3)])
    for number, page in enumerate(document.pages):
        height = page.height * scale
        for kind, target, rect, _box in page.links:
            if kind == "internal" and target not in anchors:
                x0, y0, x1, y1 = rect
                links.append([number, target, [round(x0 * scale, 3), round(height - y1 * scale, 3),
                                               round(x1 * scale, 3), round(height - y0 * scale, 3)]])
    return {"pdf": document.write_pdf(), "pages": len(document.pages), "anchors": anchors, "links": links,
            "outline": _outline(document, scale),
            "overflows": printcheck.overflows(document)}


# --- worker processes -----------------------------------------------------------------------------

_POOL: list = []          # [ProcessPoolExecutor] once started in this process


def _workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:        # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _warm_worker() -> None:
    """Pay the first layout's costs (imports, fonts, default style sheets) before the note is ready."""
    render_part("<html><body><p>isnote</p></body></html>", ".")


def _watch_parent(parent: int) -> None:
    """In a worker: end it when the process that started it is gone (killed, or ended without
    stopping its workers), so that no worker outlives a run."""
    from .parentwatch import end_with
    end_with(parent, interval=0.5, code=0)


def _context():
    """How the workers are started: forked from a server process ("forkserver", itself a fresh
    interpreter: nothing of the caller's threads or kernels is inherited) that has imported and
    warmed WeasyPrint once (`isnote.pdfworker`), so that the workers do not each pay for it; fresh
    interpreters ("spawn") where there is no such server."""
    import multiprocessing
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["isnote.pdfworker"])
        return context
    return multiprocessing.get_context("spawn")        # pragma: no cover - not Linux


def start_pool():
    """The worker processes (one per core, at most four), started once per process; None on one core.
    Started ahead (`note.warm_up`) so that their start-up overlaps the notebooks (see `_context`)."""
    if _POOL:
        return _POOL[0]
    import pypdf  # noqa: F401 - the merge's library, imported ahead too (about 0.1 s less after the last part)
    if _workers() < 2:
        return None
    from concurrent.futures import ProcessPoolExecutor
    try:
        pool = ProcessPoolExecutor(max_workers=_workers(), mp_context=_context(),
                                   initializer=_watch_parent, initargs=(os.getpid(),))
        for _ in range(_workers()):
            pool.submit(_warm_worker)
    except (OSError, ValueError, RuntimeError):   # pragma: no cover - no process can be started here
        return None
    _POOL.append(pool)
    import atexit
    atexit.register(stop_pool)        # a clean stop before the interpreter's teardown
    return pool


def stop_pool() -> None:
    """Stop the workers now (they hold no work of value once the PDF is written)."""
    if not _POOL:
        return
    pool = _POOL.pop()
    if getattr(pool, "_pending_work_items", None):      # busy (a run that failed): no waiting
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


# --- the cache --------------------------------------------------------------------------------------


_ENGINE: list[str] = []


def _engine() -> str:
    """What a laid-out part depends on besides its HTML: the versions of WeasyPrint and pypdf, and
    the code of this module and of the width check (read once per process)."""
    if not _ENGINE:
        from importlib.metadata import version     # not the packages: importing WeasyPrint takes a second

        from . import printcheck
        h = hashlib.sha256(f"{version('weasyprint')} {version('pypdf')}".encode())
        for module in (__file__, printcheck.__file__):
            h.update(Path(module).read_bytes())
        _ENGINE.append(h.hexdigest())
    return _ENGINE[0]


def _key(document_html: str) -> str:
    """Cache key of a standalone document (see `_engine` for the rest). The base URL is left out:
    the note's images are inline and the PDF engine is allowed no other URL (`render_part`)."""
    h = hashlib.sha256()
    for piece in (_engine(), document_html):
        h.update(piece.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


class _Cache:
    """Laid-out parts by key: `<key>.pdf` and `<key>.json` in `folder` (no folder: this run only).
    `pages.json` keeps each part's page count by key (to lay out the longest parts first) and the
    page of each heading in the last run (to lay out the contents alongside the parts)."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.memory: dict[str, dict] = {}
        self.added: list[str] = []          # laid out by this run
        self.counts: dict[str, int] = {}
        self.anchor_pages: dict[str, int] = {}
        self.total = 0                       # page total of the last run (0: unknown)
        if folder is not None:
            try:
                saved = json.loads((folder / "pages.json").read_text(encoding="utf-8"))
                self.counts, self.anchor_pages = dict(saved["counts"]), dict(saved["anchor_pages"])
                self.total = int(saved.get("total") or 0)
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                self.counts, self.anchor_pages, self.total = {}, {}, 0

    def get(self, key: str) -> dict | None:
        if key in self.memory:
            return self.memory[key]
        if self.folder is None:
            return None
        try:
            meta = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            meta["pdf"] = (self.folder / f"{key}.pdf").read_bytes()
        except (OSError, ValueError):
            return None
        self.memory[key] = meta
        return meta

    def put(self, key: str, result: dict) -> None:
        self.memory[key] = result
        self.added.append(key)
        if self.folder is None:
            return
        from .atomic import write_bytes, write_text
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_bytes(self.folder / f"{key}.pdf", result["pdf"])
            write_text(self.folder / f"{key}.json",
                       json.dumps({k: v for k, v in result.items() if k != "pdf"}, ensure_ascii=False))
        except OSError:          # a cache that cannot be written (full disk, rights): this run goes on
            self.folder = None

    def save(self, used: set[str], counts: dict[str, int], anchor_pages: dict[str, int], total: int) -> None:
        """Keep the parts of this run only (and their page counts, the headings' pages, the total)."""
        if self.folder is None or not self.folder.is_dir():
            return
        from .atomic import write_text
        try:
            write_text(self.folder / "pages.json",
                       json.dumps({"counts": counts, "anchor_pages": anchor_pages, "total": total},
                                  sort_keys=True))
            for path in self.folder.iterdir():
                if path.suffix in (".pdf", ".json") and path.stem not in used and path.name != "pages.json":
                    path.unlink(missing_ok=True)
        except OSError:          # the next run lays out more parts, nothing else
            pass


# --- the whole document ------------------------------------------------------------------------------


def _render_all(jobs: dict[str, tuple[str, str]], cache: _Cache, order: list[str]) -> None:
    """Lay out the documents of `jobs` (key -> (html, base_url)) not in the cache, in parallel."""
    todo = [k for k in order if k in jobs and cache.get(k) is None]
    if not todo:
        return
    pool = start_pool() if len(todo) > 1 else None
    if pool is not None:   # the longest documents first: no long one left to lay out alone at the end
        todo.sort(key=lambda k: -len(jobs[k][0]))
    if pool is None:
        for k in todo:
            cache.put(k, render_part(*jobs[k]))
        return
    from concurrent.futures.process import BrokenProcessPool
    try:
        futures = {k: pool.submit(render_part, *jobs[k]) for k in todo}
        for k in todo:
            cache.put(k, futures[k].result())
    except BrokenProcessPool:          # a worker died (killed, out of memory): finish here
        stop_pool()
        for k in todo:
            if cache.get(k) is None:
                cache.put(k, render_part(*jobs[k]))


def _margin_jobs(sp: Split, total: int, base_url: str) -> dict[str, tuple[str, str]]:
    """The documents that print the margins of a note of `total` pages: the blocks, then the total
    when it is laid out apart (key -> (html, base_url), in that order)."""
    docs = [margins_document(sp, b, total) for b in range((total - 1) // MARGIN_BLOCK + 1)]
    if total_apart(sp):
        docs.append(total_document(sp, total))
    return {_key(d): (d, base_url) for d in docs}


def write(html: str, target: Path, base_url: str, cache_dir: Path | None = None,
          stats: dict | None = None) -> list[dict]:
    """Write the note's PDF to `target`; return the tables wider than the text block (page numbers
    of the whole document). `cache_dir`: where laid-out parts are kept between runs. `stats`, when
    given, receives the number of documents laid out and reused, and the page count."""
    from .atomic import write_bytes

    stats = {} if stats is None else stats
    sp = split(html)
    if sp is None or not sp.parts:
        result = render_part(html, base_url)
        write_bytes(target, result["pdf"])
        stats.update(laid_out=1, reused=0, pages=result["pages"])
        return result["overflows"]
    cache = _Cache(cache_dir)
    docs = [part_document(sp, i) for i in range(len(sp.parts))]
    keys = [_key(d) for d in docs]
    title = title_document(sp)
    tkey = _key(title)
    jobs = {tkey: (title, base_url), **{k: (d, base_url) for k, d in zip(keys, docs)}}
    # laid out with the parts: the contents with the headings' pages of the last run, and the margins
    # of the last run's page total (mostly unchanged, taken from the cache); laid out again below
    # only when a number moved. No guess on the first run: the contents are laid out once, at the end.
    guess = contents_document(sp, cache.anchor_pages) if cache.anchor_pages else None
    if guess is not None:
        jobs[_key(guess)] = (guess, base_url)
    if cache.total:
        jobs.update(_margin_jobs(sp, cache.total, base_url))
    else:              # first run: the blocks of margins for an estimated total (they need its digits only)
        estimate = max(1, round(sum(estimated_pages(p) for p in sp.parts)) + 2)
        jobs.update(list(_margin_jobs(sp, estimate, base_url).items())[:(estimate - 1) // MARGIN_BLOCK + 1])
    # longest first, by the page counts of the last runs (unknown parts first of all)
    order = sorted(jobs, key=lambda k: -cache.counts.get(k, 1000))
    _render_all(jobs, cache, order)
    results = [cache.get(k) for k in keys]
    front = [cache.get(tkey)]
    ckey = None
    has_contents = _toc_start(sp.front) >= 0
    contents_pages = 0 if not has_contents else cache.get(_key(guess))["pages"] if guess is not None else 1
    for _attempt in range(3):
        starts, page = [], front[0]["pages"] + contents_pages + 1
        for res in results:
            starts.append(page)
            page += res["pages"]
        anchor_pages: dict[str, int] = {}
        for start, res in zip(starts, results):
            for name, (number, _x, _y) in res["anchors"].items():
                anchor_pages.setdefault(name, start + number)
        contents = contents_document(sp, anchor_pages)
        if contents is None:
            break
        ckey = _key(contents)
        _render_all({ckey: (contents, base_url)}, cache, [ckey])
        if cache.get(ckey)["pages"] == contents_pages:
            break
        contents_pages = cache.get(ckey)["pages"]
    else:                               # pragma: no cover - the numbers' width does not settle
        raise RuntimeError("contents of the note's PDF: their page count does not settle")
    if ckey is not None:
        front.append(cache.get(ckey))
    total = page - 1
    margin_jobs = _margin_jobs(sp, total, base_url)
    mkeys = list(margin_jobs)
    _render_all(margin_jobs, cache, mkeys)
    overlays = [cache.get(k) for k in mkeys]
    if sum(o["pages"] for o in overlays[:(total - 1) // MARGIN_BLOCK + 1]) < total:   # pragma: no cover
        raise RuntimeError("margins of the note's PDF: fewer pages than the note's")

    write_bytes(target, merge(front + results, overlays, total_apart(sp)))
    front_keys = [tkey] + ([ckey] if ckey else [])
    used = {*front_keys, *keys, *mkeys}
    cache.save(used, {k: cache.get(k)["pages"] for k in (*front_keys, *keys)}, anchor_pages, total)
    stats.update(laid_out=len(cache.added), reused=len(used - set(cache.added)), pages=total)
    found = []
    first_pages = [1] + ([1 + front[0]["pages"]] if ckey else [])
    for start, res in zip(first_pages + starts, front + results):
        found.extend({**o, "page": o["page"] + start - 1} for o in res["overflows"])
    return found


_NAME_END = rb"(?=[\s/\[\]<>(){}%]|$)"


def _print_margins(writer, overlays, total_apart: bool = False) -> None:
    """Print each page of `overlays` (in order) over the page of the same number, and when
    `total_apart` the one page of the last overlay (the page total) over every page: the page's own
    content is enclosed in q/Q (so that its graphic state does not leak), then the margins' contents
    are appended with their resources renamed (`/m<overlay>_<name>`). Nothing of the page is
    re-parsed. Pages of the overlays beyond the document's are left out."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    def stream(data: bytes):
        s = DecodedStreamObject()
        s.set_data(data)
        return writer._add_object(s)

    def renamed(margin, prefix: str) -> tuple[bytes, list[tuple[str, str, object]]]:
        """The margin page's content with its resources renamed, and (category, new name, value)."""
        contents = margin.get_contents()
        data = contents.get_data() if contents is not None else b""
        entries_out = []
        for category, entries in (margin.get("/Resources") or {}).items():
            entries = entries.get_object()
            if not isinstance(entries, DictionaryObject):
                continue
            for name, value in entries.items():
                new = f"/{prefix}_{name[1:]}"
                data = re.sub(re.escape(name.encode()) + _NAME_END, new.encode(), data)
                entries_out.append((category, new, value))
        return data, entries_out

    def add(page, content_ref, entries, owned=()) -> None:
        """Append `content_ref` to the page's content; its resources: `entries` (of a margin page,
        cloned into the writer) and `owned` (already the writer's)."""
        resources = page["/Resources"].get_object()
        for (category, new, value), clone in [*((e, True) for e in entries), *((e, False) for e in owned)]:
            target = resources.get(category)
            if target is None:
                target = resources[NameObject(category)] = DictionaryObject()
            target = target.get_object()
            if new not in target:
                target[NameObject(new)] = value.clone(writer) if clone else value
        own = page.get("/Contents")
        own = list(own.get_object()) if isinstance(own.get_object(), ArrayObject) else [own]
        page[NameObject("/Contents")] = ArrayObject([push, *own, pop, *content_ref])

    def flate(data: bytes):
        margin_stream = DecodedStreamObject()
        margin_stream.set_data(data)
        return writer._add_object(margin_stream.flate_encode())

    push, pop = stream(b"q\n"), stream(b"\nQ\n")
    blocks = list(overlays)
    every = None                 # the content and resources printed over every page (the total)
    if total_apart and blocks:
        data, entries = renamed(PdfReader(io.BytesIO(blocks.pop()["pdf"])).pages[0], "mt")
        every = (flate(data), [(c, n, v.clone(writer)) for c, n, v in entries])
    number, count = 0, len(writer.pages)
    for block, overlay in enumerate(blocks):
        for margin in PdfReader(io.BytesIO(overlay["pdf"])).pages:
            if number >= count:
                break
            page = writer.pages[number]
            number += 1
            data, entries = renamed(margin, f"m{block}")
            if every is None:
                add(page, [flate(data)], entries)
            else:                                 # each margin in its own graphic state
                add(page, [push, flate(data), pop, every[0]], entries, every[1])


def merge(results: list[dict], overlays: list[dict] = (), total_apart: bool = False) -> bytes:
    """One PDF from the laid-out parts, in order: pages (with the margins of `overlays`, page for page,
    printed over them), named destinations for the whole document, the links between parts, one
    outline, the first part's metadata and language."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject,
                               TextStringObject)
    from pypdf.generic import Fit

    writer = PdfWriter()
    offsets, first_reader = [], None
    for res in results:
        reader = PdfReader(io.BytesIO(res["pdf"]))
        first_reader = first_reader or reader
        offsets.append(len(writer.pages))
        for page in reader.pages:
            writer.add_page(page)
    _print_margins(writer, overlays, total_apart)

    dests: dict[str, list] = {}
    for offset, res in zip(offsets, results):
        for name, (page, x, y) in res["anchors"].items():
            dests.setdefault(name, [offset + page, x, y])
    names = ArrayObject()
    for name in sorted(dests):
        page, x, y = dests[name]
        names.append(TextStringObject(name))
        names.append(ArrayObject([writer.pages[page].indirect_reference, NameObject("/XYZ"),
                                  FloatObject(x), FloatObject(y), NumberObject(0)]))
    tree = writer._add_object(DictionaryObject({NameObject("/Names"): names}))
    writer.root_object[NameObject("/Names")] = DictionaryObject({NameObject("/Dests"): tree})

    for offset, res in zip(offsets, results):
        for page, target, rect in res["links"]:
            if target not in dests:
                continue
            annot = writer._add_object(DictionaryObject({
                NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject([FloatObject(v) for v in rect]),
                NameObject("/BS"): DictionaryObject({NameObject("/W"): NumberObject(0)}),
                NameObject("/Dest"): TextStringObject(target)}))
            pobj = writer.pages[offset + page]
            if "/Annots" not in pobj:
                pobj[NameObject("/Annots")] = ArrayObject()
            pobj["/Annots"].append(annot)

    open_items: list[tuple[int, object]] = []      # (level, node) of the items that can take children
    for offset, res in zip(offsets, results):
        for level, label, page, x, y in res["outline"]:
            while open_items and open_items[-1][0] >= level:
                open_items.pop()
            node = writer.add_outline_item(title=label, page_number=offset + page,
                                           parent=open_items[-1][1] if open_items else None,
                                           fit=Fit.xyz(x, y, 0))
            open_items.append((level, node))

    if first_reader is not None:
        if first_reader.metadata:
            writer.add_metadata({k: v for k, v in first_reader.metadata.items()})
        lang = first_reader.trailer["/Root"].get("/Lang")
        if lang is not None:
            writer.root_object[NameObject("/Lang")] = TextStringObject(str(lang))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

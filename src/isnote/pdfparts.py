"""The note's PDF, laid out in parts on every core, and only the parts that changed.

WeasyPrint needs about a quarter of a second of one core per page of the note, and a register change
used to pay for the whole document again. The print style starts every numbered section and every
annex on a new page, so the note is cut there into independent documents ("parts"): the title page
with the contents, then one part per section or annex. Each part is laid out in a worker process
(one per core), without its running title and page number: those are laid out apart, on pages
with nothing else ("margins"), and printed over the parts' pages at the merge. So a part does not
depend on where it starts, and a part whose HTML is unchanged since the last run is taken from the
cache even when the pages before it changed.

The parts are then put back together with pypdf: pages in order, one table of named destinations
for the whole document (so that links between parts work), the links that point into another part
(WeasyPrint drops them in a part), one outline built from every part's headings, the metadata of the
title part. The contents' page numbers are written last, once every part's pages are known.

The split is a scan of the serialised note: the top-level blocks of `<main>` and the level-1
headings. When the note does not have the expected shape, it is printed as one document (same
result, no parallelism, no cache).
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

MAIN_OPEN = '<main class="isn-body">'
_TAG = re.compile(r"<(/?)div\b|<h1\b")
_TOC_LINK = re.compile(r'<a\b([^>]*?)\bhref="#([^"]+)"')
# no running title on the note's first page (the title page); written into the note's page style by
# `note.render`, dropped from the margins of pages after the first block (their first page is not
# the title page)
FIRST_PAGE_CSS = "@page :first { @top-center { content: none; } }"
TOC_NUMBERS_CSS = ("@media print { .isn-toc a::after { content: leader('.') attr(data-page); } "
                   ".isn-toc a[data-page='']::after { content: none; } }")
PLACEHOLDER_PAGE = "000"


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
    return Split(head=html[:body_end], front=html[body_end:main_at], parts=parts)


NO_MARGINS_CSS = ("@page { @top-center { content: none; } @bottom-left { content: none; } "
                  "@bottom-right { content: none; } }")
MARGIN_BLOCK = 20          # pages per block of margins


def _with_style(head: str, css: str) -> str:
    style = f"<style>{css}</style>"
    return head.replace("</head>", style + "</head>", 1) if "</head>" in head else head + style


def part_document(sp: Split, index: int) -> str:
    """Standalone HTML of part `index` (0-based in `sp.parts`), without running title nor page number."""
    return _with_style(sp.head, NO_MARGINS_CSS) + MAIN_OPEN + sp.parts[index] + "</main></body></html>"


def front_document(sp: Split, pages: dict[str, int] | None) -> str:
    """Standalone HTML of the title page and contents, the contents' page numbers written as text
    (`pages`: anchor -> page number; None: a placeholder of the same width, to count the pages)."""
    def number(m: re.Match) -> str:
        value = PLACEHOLDER_PAGE if pages is None else str(pages.get(m.group(2), ""))
        return f'<a{m.group(1)} data-page="{value}" href="#{m.group(2)}"'
    toc_at = sp.front.find('class="isn-toc"')
    front = sp.front if toc_at < 0 else sp.front[:toc_at] + _TOC_LINK.sub(number, sp.front[toc_at:])
    return _with_style(sp.head, NO_MARGINS_CSS + TOC_NUMBERS_CSS) + front + "</body></html>"


def margins_document(sp: Split, block: int, total: int) -> str:
    """The margins (running title, data mention, "page N / total") of pages `block * MARGIN_BLOCK + 1`
    onwards, on pages that print nothing else; the first page of the note keeps its own rule."""
    first = block * MARGIN_BLOCK + 1
    count = min(MARGIN_BLOCK, total - first + 1)
    head = sp.head.replace("counter(pages)", f'"{total}"')
    if block:
        head = head.replace(FIRST_PAGE_CSS, "")
    css = (f"@page :first {{ counter-reset: page {first}; }} "
           "html, body { background: none !important; } .isn-blank { break-after: page; }")
    return _with_style(head, css) + '<div class="isn-blank"></div>' * count + "</body></html>"


# --- laying out one part (in a worker) ------------------------------------------------------------


class _NoMissingAnchor(logging.Filter):
    """A part links to headings of other parts: those links are added back at the merge."""
    def filter(self, record) -> bool:
        return "for internal URI reference" not in record.getMessage()


def _quiet_weasyprint() -> None:
    logger = logging.getLogger("weasyprint")
    if not any(isinstance(f, _NoMissingAnchor) for f in logger.filters):
        logger.addFilter(_NoMissingAnchor())


def _outline(tree) -> list:
    return [[label, page, round(x, 3), round(y, 3), _outline(children)]
            for label, (page, x, y), children, _state in tree]


def render_part(document_html: str, base_url: str) -> dict:
    """Lay out one standalone part; return its PDF and what the merge needs (page count, anchors,
    links to anchors of other parts, outline, tables wider than the text block). Coordinates are PDF
    points from the bottom-left corner; pages are 0-based within the part."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from . import printcheck

    _quiet_weasyprint()
    fetcher = URLFetcher(allowed_protocols=["data"])
    document = HTML(string=document_html, base_url=base_url, url_fetcher=fetcher).render()
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
            "outline": _outline(document.make_bookmark_tree(scale=scale, transform_pages=True)),
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
    import threading
    import time

    def watch():
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:     # pragma: no cover - pid reused by another user's process
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="isnote-parent-watch").start()


def start_pool():
    """The worker processes (one per core, at most four), started once per process; None on one core.
    Started ahead (`note.warm_up`) so that their start-up overlaps the notebooks. Fresh interpreters
    ("spawn"): nothing of the caller's threads or kernels is inherited."""
    if _POOL:
        return _POOL[0]
    if _workers() < 2:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    try:
        pool = ProcessPoolExecutor(max_workers=_workers(), mp_context=multiprocessing.get_context("spawn"),
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
        if folder is not None:
            try:
                saved = json.loads((folder / "pages.json").read_text(encoding="utf-8"))
                self.counts, self.anchor_pages = dict(saved["counts"]), dict(saved["anchor_pages"])
            except (OSError, ValueError, KeyError, TypeError):
                self.counts, self.anchor_pages = {}, {}

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

    def save(self, used: set[str], counts: dict[str, int], anchor_pages: dict[str, int]) -> None:
        """Keep the parts of this run only (and their page counts, and the headings' pages)."""
        if self.folder is None or not self.folder.is_dir():
            return
        from .atomic import write_text
        try:
            write_text(self.folder / "pages.json",
                       json.dumps({"counts": counts, "anchor_pages": anchor_pages}, sort_keys=True))
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
    # the contents are laid out with the parts, their page numbers taken from the last run (a
    # placeholder on the first run); laid out again below only when a number moved
    guess = front_document(sp, cache.anchor_pages or None)
    gkey = _key(guess)
    jobs = {k: (d, base_url) for k, d in zip(keys, docs)}
    jobs[gkey] = (guess, base_url)
    # longest first, by the page counts of the last runs (unknown parts first of all)
    order = sorted(jobs, key=lambda k: -cache.counts.get(k, 1000))
    _render_all(jobs, cache, order)
    results = [cache.get(k) for k in keys]
    fkey = gkey
    for _attempt in range(3):
        front_pages = cache.get(fkey)["pages"]
        starts, page = [], front_pages + 1
        for res in results:
            starts.append(page)
            page += res["pages"]
        anchor_pages: dict[str, int] = {}
        for start, res in zip(starts, results):
            for name, (number, _x, _y) in res["anchors"].items():
                anchor_pages.setdefault(name, start + number)
        front_html = front_document(sp, anchor_pages)
        fkey = _key(front_html)
        _render_all({fkey: (front_html, base_url)}, cache, [fkey])
        if cache.get(fkey)["pages"] == front_pages:
            break
    else:                               # pragma: no cover - the numbers' width does not settle
        raise RuntimeError("contents of the note's PDF: their page count does not settle")
    front = cache.get(fkey)
    total = page - 1
    margins = [margins_document(sp, b, total) for b in range((total - 1) // MARGIN_BLOCK + 1)]
    mkeys = [_key(m) for m in margins]
    _render_all({k: (m, base_url) for k, m in zip(mkeys, margins)}, cache, mkeys)
    overlays = [cache.get(k) for k in mkeys]
    if sum(o["pages"] for o in overlays) != total:   # pragma: no cover - one blank block per page
        raise RuntimeError("margins of the note's PDF: page count differs from the note's")

    write_bytes(target, merge([front] + results, overlays))
    used = {fkey, *keys, *mkeys}
    cache.save(used, {k: cache.get(k)["pages"] for k in (fkey, *keys)}, anchor_pages)
    stats.update(laid_out=len(cache.added), reused=len(used - set(cache.added)), pages=total)
    found = []
    for start, res in zip([1] + starts, [front] + results):
        found.extend({**o, "page": o["page"] + start - 1} for o in res["overflows"])
    return found


_NAME_END = rb"(?=[\s/\[\]<>(){}%]|$)"


def _print_margins(writer, overlays) -> None:
    """Print each page of `overlays` (in order) over the page of the same number: the page's own
    content is enclosed in q/Q (so that its graphic state does not leak), then the margin's content
    is appended with its resources renamed (`/m<block>_<name>`). Nothing of the page is re-parsed."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    def stream(data: bytes):
        s = DecodedStreamObject()
        s.set_data(data)
        return writer._add_object(s)

    push, pop = stream(b"q\n"), stream(b"\nQ\n")
    number = 0
    for block, overlay in enumerate(overlays):
        for margin in PdfReader(io.BytesIO(overlay["pdf"])).pages:
            page = writer.pages[number]
            number += 1
            own = page.get("/Contents")
            own = list(own.get_object()) if isinstance(own.get_object(), ArrayObject) else [own]
            resources = page["/Resources"].get_object()
            contents = margin.get_contents()
            data = contents.get_data() if contents is not None else b""
            for category, entries in (margin.get("/Resources") or {}).items():
                entries = entries.get_object()
                if not isinstance(entries, DictionaryObject):
                    continue
                target = resources.get(category)
                if target is None:
                    target = resources[NameObject(category)] = DictionaryObject()
                target = target.get_object()
                for name, value in entries.items():
                    new = f"/m{block}_{name[1:]}"
                    data = re.sub(re.escape(name.encode()) + _NAME_END, new.encode(), data)
                    if new not in target:
                        target[NameObject(new)] = value.clone(writer)
            margin_stream = DecodedStreamObject()
            margin_stream.set_data(data)
            page[NameObject("/Contents")] = ArrayObject([push, *own, pop,
                                                         writer._add_object(margin_stream.flate_encode())])


def merge(results: list[dict], overlays: list[dict] = ()) -> bytes:
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
    _print_margins(writer, overlays)

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

    def outline(items, offset, parent=None):
        for label, page, x, y, children in items:
            node = writer.add_outline_item(title=label, page_number=offset + page, parent=parent,
                                           fit=Fit.xyz(x, y, 0))
            outline(children, offset, node)

    for offset, res in zip(offsets, results):
        outline(res["outline"], offset)

    if first_reader is not None:
        if first_reader.metadata:
            writer.add_metadata({k: v for k, v in first_reader.metadata.items()})
        lang = first_reader.trailer["/Root"].get("/Lang")
        if lang is not None:
            writer.root_object[NameObject("/Lang")] = TextStringObject(str(lang))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

"""Post-processing of the note by part, with a memory of the parts (the live preview, isnote.preview).

`isnote.note.post.postprocess` parses, numbers, types and sanitises the whole ~600 kB page at each
build: about a second, most of it on parts that did not change (a text edit changes one cell; the
notebooks' tables, the figures and Annex A stay as they were). Here the exported page is cut at
the cells of the assembled notebook (`render.export_note_html(..., cell_mark=...)`) and each cell is
post-processed on its own, with the state the passes of the whole page would have at its start
(tables, figures and boxes numbered before it, section counters, ids of the page, the numbers of
the tables it refers to); its result is kept, keyed by a hash of the cell's HTML and of that state,
and reused while both are unchanged. The frame (title page, table of contents, footer, script) is
processed each time (it is small and carries the run date).

The result is byte-identical to `post.postprocess` of the whole page (tests/test_postcache.py):
the passes of `postprocess` are the same functions, run on each part with its starting state, in
the same order. Whenever a part does not fit that model (a cell whose HTML is not closed within
itself, a script, a float or a reference outside the body, anything removed by the sanitiser),
the whole page goes through `post.postprocess` instead.

The memory holds the parts of the last build only (a build drops what it did not use).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Iterable

from .. import annexes, frwords, printcheck, readertext, typography
from . import post

MAIN_OPEN = '<main class="isn-body">'
_WRAP_OPEN = '<html lang="fr"><body class="isn-note">' + MAIN_OPEN
_END = "isn-part-end"                  # an element closing each part: a part that leaves a tag open swallows it
_WRAP_CLOSE = f"<{_END}></{_END}></main></body></html>"
_PLACE = "ISNPARTSPLACEHOLDER"          # letters only: no pass of the post-processing changes it
_STRAY_END = re.compile(r"</\s*(?:main|body|html|head)\b|<\s*(?:script|main|body|html|head)\b", re.I)
_HEADINGS = ("h1", "h2", "h3")

CELL_MARK = f"<!--isn-part-{secrets.token_hex(8)}-->"   # written before each cell by the export

_ENABLED: list = []


def enable(on: bool = True) -> None:
    """Post-process by part in this process (the preview); `note.build` asks `enabled()`."""
    _ENABLED[:] = [True] if on else []
    if not on:
        CACHE.clear()
        _NOTEBOOKS.clear()


def enabled() -> bool:
    return bool(_ENABLED)


class Unfit(Exception):
    """A part that cannot be post-processed on its own: the whole page is, as usual."""


def _hash(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(repr(p).encode("utf-8") if not isinstance(p, str) else p.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


class PartCache:
    """Results of the parts of the last build, keyed by (part HTML, starting state)."""

    def __init__(self):
        self.numbered: dict = {}       # (part, tables, figures before) -> ids, references, counts
        self.done: dict = {}           # (part, full starting state) -> HTML, texts, state after...
        self.hits = self.misses = 0

    def clear(self) -> None:
        self.numbered.clear()
        self.done.clear()


CACHE = PartCache()


_NOTEBOOKS: dict = {}     # name -> (sha256 of the file, notebook read)


def read_notebook(path):
    """`nbformat.read` of an executed notebook; in the preview, the notebook read by an earlier
    build is reused while the file's bytes are the same (the note only reads it)."""
    import nbformat

    if not enabled():
        return nbformat.read(str(path), as_version=4)
    data = open(path, "rb").read()
    key = hashlib.sha256(data).hexdigest()
    kept = _NOTEBOOKS.get(getattr(path, "name", str(path)))
    if kept is not None and kept[0] == key:
        return kept[1]
    nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    _NOTEBOOKS[getattr(path, "name", str(path))] = (key, nb)
    return nb


# ---------------------------------------------------------------- one part


def _parse_part(html: str):
    """The part inside the page's body and main (as in the page); Unfit if it does not close
    what it opens, or is not made of elements."""
    from bs4 import BeautifulSoup, Tag

    if not html.startswith("<") or not html.endswith(">") or _STRAY_END.search(html):
        raise Unfit("part boundaries")
    soup = BeautifulSoup(_WRAP_OPEN + html + _WRAP_CLOSE, "html.parser")
    main = soup.find("main")
    last = main.contents[-1] if main is not None and main.contents else None
    if not isinstance(last, Tag) or last.name != _END:
        raise Unfit("a tag left open")
    last.decompose()
    if any(isinstance(c, Tag) and c.name == "p" for c in main.children):
        raise Unfit("a paragraph outside a cell")      # its next sibling would be in another part
    return soup, main


def _local_before(soup) -> None:
    """The passes of `post.postprocess` that come before the numbering (each is local)."""
    for a in post._with_class(soup, "a", "anchor-link"):
        a.decompose()
    for marker in post._with_class(soup, "div", "isn-insert"):
        marker.decompose()
    post._captioned_markdown_tables(soup)
    printcheck.mark_wide_tables(soup)
    readertext.add_rounding_notes(soup)


def _numbered(html: str, start: tuple[int, int]):
    """Parse a part and number its floats from `start`: (soup, main, summary)."""
    soup, main = _parse_part(html)
    _local_before(soup)
    info: dict = {"warnings": []}
    post._number_floats(soup, info, start)
    refs = soup.find_all("a", class_="isn-ref", attrs={"data-target": True})
    if any(a.has_attr("id") for a in refs):
        raise Unfit("a reference with an id")
    summary = {"ids": [(el["id"], el.get("data-number"), el.name in _HEADINGS) for el in soup.find_all(id=True)],
               "refs": sorted({a["data-target"] for a in refs}),
               "after": (info["tables"], info["figures"])}
    return soup, main, summary


# ---------------------------------------------------------------- the page


def _split(html: str, mark: str) -> tuple[str, list[str], str]:
    i = html.find(MAIN_OPEN)
    j = html.rfind("</main>")
    if i < 0 or j < 0 or html.count(MAIN_OPEN) != 1:
        raise Unfit("no body")
    i += len(MAIN_OPEN)
    body = html[i:j]
    if mark not in body and body:
        raise Unfit("no cell marks")
    parts = body.split(mark)
    if parts[0]:
        raise Unfit("text before the first cell")
    parts = parts[1:]
    head, tail = html[:i], html[j:]
    if mark in head or mark in tail:
        raise Unfit("cell mark outside the body")
    return head, [p for p in parts if p], tail


def postprocess(html: str, info: dict, *, allowed_images: set[str] | None = None,
                scripts: Iterable[str] = (), mark: str = CELL_MARK, cache: PartCache | None = None) -> str:
    """`post.postprocess` of the page `html` exported with `mark` before each cell (the marks are
    not in the result), by part, reusing the parts of the previous build held by `cache`."""
    cache = CACHE if cache is None else cache
    scripts = list(scripts)
    work: dict = {"warnings": []}
    try:
        out = _by_part(html, work, allowed_images, scripts, mark, cache)
    except Unfit:
        cache.clear()
        return post.postprocess(html.replace(mark, ""), info, allowed_images=allowed_images, scripts=scripts)
    warnings = work.pop("warnings")
    info.setdefault("warnings", []).extend(warnings)
    info.update(work)
    return out


def _by_part(html: str, info: dict, allowed_images, scripts: list[str], mark: str, cache: PartCache) -> str:
    from bs4 import BeautifulSoup

    from ..htmlguard import sanitize

    head, parts, tail = _split(html, mark)
    keys = [hashlib.sha256(p.encode("utf-8")).hexdigest() for p in parts]
    env = _hash(sorted(allowed_images) if allowed_images is not None else None, scripts)

    # the frame: title page, table of contents, footer, script
    frame = BeautifulSoup(head + _PLACE + tail, "html.parser")
    fmain = frame.find("main")
    if fmain is None or fmain.get_text() != _PLACE:
        raise Unfit("frame")
    if (post._with_class(frame, "figure", "isn-table", "isn-figure") or post._with_class(frame, "aside", "isn-box")
            or frame.find_all("a", class_="isn-ref")):
        raise Unfit("a float or a reference in the frame")
    _local_before(frame)
    before_main = True
    frame_ids: list[tuple[str, object, bool, bool]] = []        # id, number, heading, before the body
    for el in frame.find_all(True):
        if el is fmain:
            before_main = False
        if el.has_attr("id"):
            frame_ids.append((el["id"], el.get("data-number"), el.name in _HEADINGS, before_main))

    # 1. floats numbered part by part (the ids and numbers the references need)
    trees: dict[int, tuple] = {}
    summaries = []
    used_numbered: dict = {}
    n = (0, 0)
    for k, key in enumerate(keys):
        ck = (key, n)
        summary = cache.numbered.get(ck)
        if summary is None:
            soup, main, summary = _numbered(parts[k], n)
            trees[k] = (soup, main)
        used_numbered[ck] = summary
        summaries.append(summary)
        n = summary["after"]
    tables, figures = n

    # every id of the page in order (the first of an id is the one a reference finds)
    targets: dict = {}
    nonheading: set[str] = set()
    ordered = [x[:3] for x in frame_ids if x[3]] + [x for s in summaries for x in s["ids"]] \
        + [x[:3] for x in frame_ids if not x[3]]
    for hid, number, is_heading in ordered:
        targets.setdefault(hid, {"data-number": number} if number is not None else {})
        if not is_heading:
            nonheading.add(hid)

    # 2. the rest of the passes, part by part, from the state the whole page would have
    # (a section's id must differ from every id of the page: what a part asked about the ids of
    # the page is kept with its result, and checked again, instead of keying it by all the ids)
    boxes = 0
    hstate = {"counters": [0, 0, 0], "last": (), "seen_numbers": set()}
    seen = set(nonheading)
    results = []
    used_done: dict = {}
    for k, key in enumerate(keys):
        s = summaries[k]
        start = (0, 0) if k == 0 else summaries[k - 1]["after"]
        known = {t: targets.get(t) for t in s["refs"]}
        ck = _hash(key, start, boxes, hstate["counters"], hstate["last"], sorted(hstate["seen_numbers"]),
                   sorted((t, v is not None, (v or {}).get("data-number")) for t, v in known.items()), env)
        res = next((r for r in cache.done.get(ck, ()) if all((i in seen) == v for i, v in r["asked"].items())), None)
        if res is None:
            cache.misses += 1
            soup, main = trees.pop(k, (None, None))
            if soup is None:
                soup, main, _ = _numbered(parts[k], start)
            res = _finish(soup, main, targets, boxes, {**hstate, "seen_ids": _Probed(seen)}, allowed_images,
                          scripts, sanitize)
        else:
            cache.hits += 1
        used_done.setdefault(ck, []).append(res)
        results.append(res)
        boxes = res["boxes"]
        hstate = {"counters": list(res["hstate"][0]), "last": res["hstate"][1], "seen_numbers": set(res["hstate"][2])}
        seen.update(res["new_ids"])

    # 3. the frame: table of contents, typography, sanitising; the parts in its body
    entries = [e for r in results for e in r["entries"]]
    post._fill_toc(frame, entries)
    typography.apply_soup(frame)
    frwords.apply_soup(frame)
    texts = list(readertext.note_text_nodes(frame))
    at = texts.index(_PLACE)
    texts[at:at + 1] = [t for r in results for t in r["texts"]]
    warnings = info["warnings"]
    warnings.extend(w for r in results for w in r["ref_warnings"])
    warnings.extend(w for r in results for w in r["head_warnings"])
    info["tables"], info["figures"], info["boxes"] = tables, figures, boxes
    info["sections"] = [f"{n} {t}".strip() for lvl, n, t, _ in entries if lvl == 1]
    info["tool_talk"] = readertext.tool_talk("\n".join(texts))
    if info["tool_talk"]:
        warnings.append("termes techniques dans le texte de la note : "
                        + ", ".join(f"« {t} »" for t, _ in info["tool_talk"][:10]))
    sinfo: dict = {"warnings": []}
    sanitize(frame, allowed_images, scripts, sinfo)
    counts = dict(sinfo["sanitised"])
    for r in results:
        for name, v in r["sanitised"].items():
            counts[name] += v
    if sinfo["warnings"] or counts["images"] or counts["liens"] or counts["elements"]:
        raise Unfit("the sanitiser removed something")       # its counts and message: the whole page
    info["sanitised"] = counts
    page = str(frame)
    if page.count(_PLACE) != 1:
        raise Unfit("frame")
    cache.numbered, cache.done = used_numbered, used_done
    return page.replace(_PLACE, "".join(r["html"] for r in results))


class _Probed(set):
    """The ids a part's sections must not take: records which ids of the page it asked about
    (and the answer), and the ids it added."""

    def __init__(self, ids):
        super().__init__(ids)
        self.asked: dict[str, bool] = {}
        self.added: list[str] = []

    def __contains__(self, x) -> bool:
        found = set.__contains__(self, x)
        if x not in self.added:
            self.asked.setdefault(x, found)
        return found

    def add(self, x) -> None:
        self.added.append(x)
        set.add(self, x)


def _finish(soup, main, targets: dict, boxes: int, hstate: dict, allowed_images, scripts, sanitize) -> dict:
    """The passes after the floats' numbering, on one part, from the given state."""
    rinfo: dict = {"warnings": []}
    annexes.resolve_refs(soup, rinfo, known=targets)
    binfo: dict = {"warnings": []}
    post._number_boxes(soup, binfo, boxes)
    probed = hstate["seen_ids"]
    state = {"counters": list(hstate["counters"]), "last": hstate["last"],
             "seen_numbers": set(hstate["seen_numbers"]), "seen_ids": probed}
    hinfo: dict = {"warnings": []}
    entries = post._number_headings(soup, main, hinfo, state)
    typography.apply_soup(soup)
    frwords.apply_soup(soup)
    texts = list(readertext.note_text_nodes(soup))
    sinfo: dict = {"warnings": []}
    sanitize(soup, allowed_images, scripts, sinfo)
    return {"html": main.decode_contents(), "texts": texts, "boxes": binfo["boxes"], "entries": entries,
            "ref_warnings": rinfo["warnings"], "head_warnings": hinfo["warnings"], "sanitised": sinfo["sanitised"],
            "hstate": (list(state["counters"]), state["last"], sorted(state["seen_numbers"])),
            "asked": dict(probed.asked), "new_ids": list(probed.added)}

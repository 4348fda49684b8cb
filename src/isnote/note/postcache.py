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

`make report` uses it too, kept on disk between runs (`load`/`save`, a folder beside the stages):
the file is keyed by the code of the whole package and the versions of the HTML parser, read back
with an unpickler that accepts plain data only, and ignored when absent, damaged, from other code,
or unwritable.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Iterable

from .. import annexes, frwords, printcheck, readertext, typography
from ..hashing import parts_sha256 as _hash
from ..htmlguard import image_digest
from . import post
from .render import SMALL_TABLE_ROWS

MAIN_OPEN = '<main class="isn-body">'
_WRAP_OPEN = '<html lang="fr"><body class="isn-note">' + MAIN_OPEN
_END = "isn-part-end"                  # an element closing each part: a part that leaves a tag open swallows it
_WRAP_CLOSE = f"<{_END}></{_END}></main></body></html>"
_PLACE = "ISNPARTSPLACEHOLDER"          # letters only: no pass of the post-processing changes it
_STRAY_END = re.compile(r"</\s*(?:main|body|html|head)\b|<\s*(?:script|main|body|html|head)\b", re.I)
_HEADINGS = ("h1", "h2", "h3")
# the rows of a long table body (Annex A: one row per retained operation) are kept row by row: a
# register change adds or removes a row, the others are reused
ROWS_MIN = 40
_ROWS_PLACE = "ISNROWSPLACEHOLDER"
# rows that stand for the left-out ones while the part is processed: a numbered table counts its
# rows (a short one is marked `isn-small`); ROWS_MIN is more than that
_STAND_IN = "<tr></tr>" * (SMALL_TABLE_ROWS + 1)
assert ROWS_MIN > SMALL_TABLE_ROWS
# what a kept row may hold: nothing that a pass of the whole page numbers, links or moves
_ROW_TAGS = re.compile(r"<(?:a|h[1-6]|figure|aside|script|style|table|p|li|div|img|pre|code|svg|math|blockquote|q)"
                       r"[\s>/]|\sid\s*=", re.I)
_ROW_FORBIDDEN = ("a", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "aside", "script", "style", "table",
                  "p", "li", "div", "img", "pre", "code", "svg", "math", "blockquote", "q")

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


class PartCache:
    """Results of the parts of the last build, keyed by (part HTML, starting state)."""

    def __init__(self):
        self.numbered: dict = {}       # (part, tables, figures before) -> ids, references, counts
        self.done: dict = {}           # (part, full starting state) -> HTML, texts, state after...
        self.rows: dict = {}           # (row of a long table, images, scripts) -> HTML, texts
        self.used_rows: dict = {}
        self.hits = self.misses = self.row_misses = 0

    def clear(self) -> None:
        self.numbered.clear()
        self.done.clear()
        self.rows.clear()
        self.used_rows.clear()


CACHE = PartCache()

STORE_FILE = "parts.pickle"


_CODE_KEY: list = []


def _code_key() -> str:
    if not _CODE_KEY:
        _CODE_KEY.append(_compute_code_key())
    return _CODE_KEY[0]


def _compute_code_key() -> str:
    """What, besides a part's HTML and starting state, decides its result: the package's code and
    data files (the passes, the sanitiser's rules, the word lists...), the parser and Python."""
    import bs4
    import soupsieve

    from ..jinjacache import package_key
    return _hash(package_key(), bs4.__version__, soupsieve.__version__)


class _PlainData(__import__("pickle").Unpickler):
    """Dicts, lists, tuples, sets, strings and numbers only: the store never names a class or a
    function to call."""

    def find_class(self, module, name):
        raise ValueError(f"{module}.{name} in the note's part store")


def load(folder) -> PartCache:
    """The parts kept by the last `save` into `folder`; empty when there are none that can be used."""
    import io
    from pathlib import Path

    cache = PartCache()
    try:
        data = _PlainData(io.BytesIO((Path(folder) / STORE_FILE).read_bytes())).load()
        if isinstance(data, dict) and data.get("code") == _code_key():
            numbered, done, rows = data["numbered"], data["done"], data["rows"]
            if isinstance(numbered, dict) and isinstance(done, dict) and isinstance(rows, dict):
                cache.numbered, cache.done, cache.rows = numbered, done, rows
    except Exception:           # absent, unreadable, damaged or from other code: start empty
        pass
    return cache


def _plain(x):
    """`x` with str subclasses (the parser's text nodes) made plain str, for the store."""
    if type(x) is str or x is None or type(x) in (int, float, bool):
        return x
    if isinstance(x, str):
        return str(x)
    if isinstance(x, dict):
        return {_plain(k): _plain(v) for k, v in x.items()}
    if type(x) in (list, tuple, set, frozenset):
        return type(x)(_plain(v) for v in x)
    return x


def save(cache: PartCache, folder) -> None:
    """Keep the parts of the last build in `folder` (nothing when it cannot be written)."""
    import pickle
    from pathlib import Path

    from ..atomic import write_bytes

    if not (cache.numbered or cache.done or cache.rows):
        return
    try:
        data = pickle.dumps({"code": _code_key(), "numbered": _plain(cache.numbered), "done": _plain(cache.done),
                             "rows": _plain(cache.rows)}, protocol=4)
        write_bytes(Path(folder) / STORE_FILE, data)
    except Exception:           # a full disk, a read-only folder: the next run redoes the parts
        pass


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


def _long_bodies(html: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, rows) of the contents of the table bodies made of ROWS_MIN plain rows or more
    (`<tr>...</tr>` one after the other, nothing else, no table inside)."""
    found = []
    pos = 0
    while True:
        i = html.find("<tbody>", pos)
        if i < 0:
            return found
        i += len("<tbody>")
        j = html.find("</tbody>", i)
        if j < 0:
            return found
        pos = j
        if _ROW_TAGS.search(html, i, j):
            continue                  # rows holding links, ids, blocks...: they stay in their part
        pieces = html[i:j].split("</tr>")
        if len(pieces) <= ROWS_MIN or pieces[-1] != "":
            continue
        rows = [p + "</tr>" for p in pieces[:-1]]
        if all(r.startswith("<tr>") and "<tr" not in r[3:] and "<t" + "able" not in r and "<tbody" not in r
               for r in rows):
            found.append((i, j, rows))


def _rows_apart(soup, k: int) -> bool:
    """Whether the rows of the k-th long table body can be processed apart from the part: a pass
    of the page reads them only through their text (not a numbered table, no rounding note, its
    width read from its head, nothing around it that changes the typography)."""
    body = soup.find(string=re.compile(rf"^{_ROWS_PLACE}\d+\|{k}$"))
    if body is None:
        return True                   # not left out (rows with attributes)
    tbody = body.parent
    table = tbody.parent if tbody is not None and tbody.name == "tbody" else None
    if table is None or table.name != "table" or tbody.contents[-1] is not body \
            or len(tbody.contents) != _STAND_IN.count("<tr>") + 1:
        return False
    first = table.find("tr")
    if first is None or first.parent.name != "thead":
        return False
    fig = table.find_parent("figure")
    if fig is not None and fig.find("tr", class_="total") is not None:
        return False                  # the rounding note reads the rows' figures
    return not any(p.name in typography.SKIP_TAGS or p.name in ("pre", "p", "li", "aside", "blockquote", "q")
                   for p in table.parents)


def _numbered(html: str, start: tuple[int, int]):
    """Parse a part and number its floats from `start`: (soup, main, summary); the rows of its
    long table bodies are left out (a placeholder), in summary["rows"]."""
    bodies = _long_bodies(html)
    keep: set[int] = set()
    for _ in range(2):
        rows: list[list[str]] = []
        pieces, pos = [], 0
        for k, (i, j, found) in enumerate(bodies):
            if k in keep:
                continue
            rows.append(found)
            pieces += [html[pos:i], f"{_STAND_IN}{_ROWS_PLACE}{len(rows) - 1}|{k}"]
            pos = j
        skeleton = "".join(pieces) + html[pos:]
        soup, main = _parse_part(skeleton)
        unfit = {k for k in range(len(bodies)) if k not in keep and not _rows_apart(soup, k)}
        if not unfit:
            break
        keep |= unfit                 # those rows stay in the part (numbered table, rounding note...)
    else:
        raise Unfit("long tables")
    for k, body in enumerate(soup.find_all(string=re.compile(_ROWS_PLACE))):
        body.replace_with(f"{_ROWS_PLACE}{k}")
    _local_before(soup)
    info: dict = {"warnings": []}
    post._number_floats(soup, info, start)
    refs = soup.find_all("a", class_="isn-ref", attrs={"data-target": True})
    if any(a.has_attr("id") for a in refs):
        raise Unfit("a reference with an id")
    summary = {"ids": [(el["id"], el.get("data-number"), el.name in _HEADINGS) for el in soup.find_all(id=True)],
               "refs": sorted({a["data-target"] for a in refs}),
               "after": (info["tables"], info["figures"]), "rows": rows,
               "images": [image_digest(img.get("src", "")) for img in soup.find_all("img")]}
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
    except Exception:     # Unfit, or anything unforeseen: the whole page gives the reference result
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
    # the run's images matter to a part through its own images only (a chart redrawn elsewhere
    # does not redo it); the note's scripts to every part (none may hold one)
    env = _hash(scripts)

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
                   sorted((t, v is not None, (v or {}).get("data-number")) for t, v in known.items()), env,
                   [(d, None if allowed_images is None else d in allowed_images) for d in s["images"]])
        res = next((r for r in cache.done.get(ck, ()) if all((i in seen) == v for i, v in r["asked"].items())), None)
        if res is None:
            cache.misses += 1
            soup, main = trees.pop(k, (None, None))
            if soup is None:
                soup, main, _ = _numbered(parts[k], start)
            res = _finish(soup, main, targets, boxes, {**hstate, "seen_ids": _Probed(seen)}, allowed_images,
                          scripts, sanitize)
            if s["rows"]:
                res = _with_rows(res, s["rows"], env, allowed_images, scripts, cache)
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
    rows = {k: cache.used_rows.get(k) or cache.rows[k] for r in results for k in r.get("row_keys", ())}
    cache.numbered, cache.done = used_numbered, used_done
    cache.rows, cache.used_rows = rows, {}
    return page.replace(_PLACE, "".join(r["html"] for r in results))


def _with_rows(res: dict, bodies: list[list[str]], env: str, allowed_images, scripts, cache: PartCache) -> dict:
    """The part's result with the rows of its long tables put back, each processed on its own
    (typography, sanitising: the passes that touch a plain row) or taken from the memory."""
    html, texts, keys = res["html"], list(res["texts"]), []
    for k, rows in enumerate(bodies):
        rkeys = [_hash(r, env) for r in rows]
        missing = [i for i, rk in enumerate(rkeys) if rk not in cache.rows and rk not in cache.used_rows]
        if missing:
            cache.row_misses += len(missing)
            done = _process_rows([rows[i] for i in missing], allowed_images, scripts)
            for i, d in zip(missing, done):
                cache.used_rows[rkeys[i]] = d
        got = [cache.used_rows.get(rk) or cache.rows[rk] for rk in rkeys]
        place = f"{_ROWS_PLACE}{k}"
        if html.count(_STAND_IN + place) != 1 or texts.count(place) != 1:
            raise Unfit("rows placeholder")
        html = html.replace(_STAND_IN + place, "".join(g[0] for g in got))
        at = texts.index(place)
        texts[at:at + 1] = [t for g in got for t in g[1]]
        keys += rkeys
    return {**res, "html": html, "texts": texts, "row_keys": keys}


def _process_rows(rows: list[str], allowed_images, scripts) -> list[tuple[str, list[str]]]:
    from bs4 import BeautifulSoup, NavigableString, Tag

    from ..htmlguard import sanitize

    soup = BeautifulSoup(_WRAP_OPEN + "<div><table><tbody>" + "".join(rows) + "</tbody></table></div>"
                         + _WRAP_CLOSE, "html.parser")
    body = soup.find("tbody")
    trs = [c for c in body.contents]
    main = soup.find("main")
    if len(trs) != len(rows) or any(not isinstance(t, Tag) or t.name != "tr" for t in trs) \
            or not isinstance(main.contents[-1], Tag) or main.contents[-1].name != _END \
            or body.find(_ROW_FORBIDDEN) is not None or any(t.has_attr("id") for t in body.find_all(True)):
        raise Unfit("rows")
    typography.apply_soup(soup)
    texts = [[str(n) for n in tr.find_all(string=True) if type(n) is NavigableString] for tr in trs]
    sinfo: dict = {"warnings": []}
    sanitize(soup, allowed_images, scripts, sinfo)
    if any(sinfo["sanitised"].values()) or sinfo["warnings"]:
        raise Unfit("rows sanitised")
    return [(str(tr), t) for tr, t in zip(body.find_all("tr", recursive=False), texts)]


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

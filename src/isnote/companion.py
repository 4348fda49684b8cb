"""Reviewer view of an executed notebook (`<out>/notebooks/NN_name.html`: code, parameters,
outputs), written by nbconvert with the `review` template.

Written by the side process of a run (`python -m isnote.pipeline side`) for the notebooks that
ran, beside the note; every CPU second it takes competes with the PDF's layout on two cores. So:
- one exporter per process: its Jinja templates are compiled once, not once per notebook;
- nbconvert's closing pass over the page (BeautifulSoup: alt text of images, tabindex) is done
  cell by cell (`closing_pass`), each cell parsed inside the elements that hold it in the page;
- with a `cache_dir` (kept by the pipeline beside its stages), the compiled templates are kept on
  disk (isnote.jinjacache), and so are the results of what costs most and whose inputs rarely
  change between runs: the highlighting of a code cell's source (pygments), its sanitising
  (bleach) and the closing pass of each cell. They are keyed by their whole input, the versions
  of the libraries and the package's code, so the page is byte-identical to nbconvert's own
  export (tests/test_companion.py). A cache that cannot be read or written is ignored.

This module imports nbconvert and nbformat only (not the note's modules, nor pandas).
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

from .atomic import write_bytes, write_text
from .hashing import parts_sha256
from .labels import dataset_label

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
REVIEW_TEMPLATE = "review"
MEMO_FILE = "cells.json"

_EXPORTERS: dict = {}           # cache_dir -> exporter
CELL_MARK = f"<!--isn-cell-{secrets.token_hex(8)}-->"      # around each cell of the rendered page


def build(path: Path, params=None, cache_dir: Path | None = None) -> Path:
    """Write the reviewer view of the executed notebook `path` next to it; return its path."""
    import nbformat

    synthetic = bool(params.get("synthetic")) if params is not None else False
    label = dataset_label(params)
    nb = nbformat.read(str(path), as_version=4)
    exp = exporter(cache_dir)
    exp.isn_memo.start(path.name)
    body, _ = exp.from_notebook_node(nb, resources={
        "metadata": {"name": path.stem},
        "isnote": {"notebook": path.name, "synthetic": synthetic, "dataset_label": label,
                   "cell_mark": CELL_MARK}})
    target = path.with_suffix(".html")
    write_text(target, body)
    return target


def build_all(paths, params=None, cache_dir: Path | None = None) -> list[Path]:
    """`build` of each notebook, then the filters' memory saved (with a `cache_dir`)."""
    try:
        return [build(Path(p), params, cache_dir) for p in paths]
    finally:
        save(cache_dir)


def exporter(cache_dir: Path | None = None):
    key = str(cache_dir) if cache_dir is not None else ""
    if key not in _EXPORTERS:
        _EXPORTERS[key] = _make_exporter(Path(cache_dir) if cache_dir is not None else None)
    return _EXPORTERS[key]


def save(cache_dir: Path | None) -> None:
    """Write the filters' memory of this process to `cache_dir` (nothing when it is unwritable)."""
    exp = _EXPORTERS.get(str(cache_dir) if cache_dir is not None else "")
    memo = getattr(exp, "isn_memo", None)
    if memo is not None:
        memo.save()


class _Memo:
    """Results of pure functions of text, by a digest of their input, one group per notebook;
    loaded from and saved to one JSON file (plain text only). A saved group holds what the last
    build of its notebook used, so the file does not grow from run to run."""

    def __init__(self, path: Path | None, versions: str):
        self.path, self.versions = path, versions
        self.old: dict[str, dict[str, str]] = {}
        self.new: dict[str, dict[str, str]] = {}
        self.group = ""
        self.hits = self.misses = 0
        if path is not None:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                groups = data.get("notebooks") if data.get("versions") == versions else None
                if isinstance(groups, dict) and all(isinstance(g, dict) for g in groups.values()):
                    self.old = groups
            except Exception:          # absent, unreadable or damaged: start empty
                self.old = {}

    def start(self, group: str) -> None:
        """What follows belongs to notebook `group` (its entries replace the saved ones); a second
        build of it in this process starts from what the first one used."""
        self.group = group
        if self.new.get(group):
            self.old[group] = self.new[group]
        self.new[group] = {}

    def key(self, *parts) -> str:
        return parts_sha256(*parts)

    def get(self, key: str, compute):
        new = self.new.setdefault(self.group, {})
        got = new.get(key)
        if got is None:
            got = self.old.get(self.group, {}).get(key)
            if not isinstance(got, str):
                self.misses += 1
                got = compute()
                if not isinstance(got, str):
                    return got
            else:
                self.hits += 1
            new[key] = str(got)          # markupsafe.Markup is a str: kept as plain text
        return got

    def save(self) -> None:
        if self.path is None or not any(self.new.values()):
            return
        groups = {g: e for g, e in self.old.items() if g not in self.new}
        groups.update({g: e for g, e in self.new.items() if e})
        if groups == self.old:
            return
        try:
            text = json.dumps({"versions": self.versions, "notebooks": groups}, ensure_ascii=False, sort_keys=True)
            write_bytes(self.path, text.encode("utf-8"))
        except Exception:              # unwritable, or text that UTF-8 cannot hold: computed again next time
            pass


def _versions() -> str:
    import bleach
    import bs4
    import jinja2
    import nbconvert
    import pygments
    import soupsieve

    from .jinjacache import package_key
    parts = [package_key(), nbconvert.__version__, bleach.__version__, pygments.__version__, jinja2.__version__,
             bs4.__version__, soupsieve.__version__]
    try:
        import tinycss2                 # the CSS sanitiser bleach uses, when installed
        parts.append(tinycss2.__version__)
    except Exception:
        parts.append("-")
    return "|".join(parts)


def _make_exporter(cache_dir: Path | None):
    from nbconvert import HTMLExporter

    from . import jinjacache

    memo = _Memo(cache_dir / MEMO_FILE if cache_dir is not None else None, _versions())

    class ReviewExporter(HTMLExporter):
        isn_memo = memo

        def from_notebook_node(self, nb, resources=None, **kw):
            """HTMLExporter's, with its closing pass (BeautifulSoup: alt text, tabindex) done cell
            by cell and kept (`closing_pass`)."""
            from nbconvert.exporters.html import Highlight2HTML, WidgetsDataTypeFilter
            from nbconvert.exporters.templateexporter import TemplateExporter

            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                     resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            mark = (resources.get("isnote") or {}).get("cell_mark") or ""
            html, missing_alt = closing_pass(html, mark, memo)
            if missing_alt:
                self.log.warning("Alternative text is missing on %s image(s).", missing_alt)
            return html, resources

        def _create_environment(self):
            env = super()._create_environment()
            jinjacache.attach(env, jinjacache.folder(cache_dir, "review"))
            return env

        def _register_filter(self, environ, name, jinja_filter):
            out = super()._register_filter(environ, name, jinja_filter)
            f = environ.filters.get(name)
            if name == "clean_html" and f is not None and not getattr(f, "isn_memo", False):
                environ.filters[name] = _memo_clean(f)
            elif name == "highlight_code" and f is not None and hasattr(f, "pygments_lexer") \
                    and not getattr(f, "isn_memo", False):
                environ.filters[name] = _memo_highlight(f)
            return out

    def _memo_clean(f):
        def clean_html(element):
            text = element.decode() if isinstance(element, bytes) else str(element)
            return memo.get(memo.key("clean_html", text), lambda: f(element))
        clean_html.isn_memo = True
        return clean_html

    def _memo_highlight(f):
        def highlight_code(source, language=None, metadata=None):
            lang = language or f.pygments_lexer
            magics = metadata.get("magics_language") if metadata and "magics_language" in metadata else None
            key = memo.key("highlight_code", source, lang, magics, sorted(f.extra_formatter_options.items()))
            # nbconvert's templates do not autoescape: the kept text is used as the computed Markup was
            return memo.get(key, lambda: f(source, language=language, metadata=metadata))
        highlight_code.isn_memo = True
        return highlight_code

    exp = ReviewExporter(template_name=REVIEW_TEMPLATE, extra_template_basedirs=[str(TEMPLATES_DIR)])
    exp.embed_images = False
    exp.optimistic_validation = True     # the notebook validated once, not after each preprocessor
    return exp



# ---------------------------------------------------------------- nbconvert's closing pass, by cell

_VOID_END = re.compile(r"</\s*(?:area|base|br|col|embed|hr|img|input|keygen|link|menuitem|meta|param|source|"
                       r"track|wbr|basefont|bgsound|command|frame|image|isindex|nextid|spacer)\b", re.I)
_PLACE = "ISNCELLPLACE{}ISNCELLEND"
_PLACE_RE = re.compile(r"ISNCELLPLACE(\d+)ISNCELLEND")
_END = "isn-cell-end"


class _Unfit(Exception):
    pass


def _whole_pass(html: str) -> tuple[str, int]:
    """HTMLExporter's closing pass, as nbconvert writes it, on the whole page."""
    soup, missing_alt = _whole_soup(html)
    return str(soup), missing_alt


def closing_pass(html: str, mark: str, memo: _Memo | None = None) -> tuple[str, int]:
    """`_whole_pass` of the page without its marks, byte for byte, done on the frame and on each
    cell apart (a cell is parsed inside the elements that hold it in the page, and its result kept
    by `memo`, keyed by its HTML and those elements). The HTML parser builds the same tree from a
    cell wherever it is, as long as the cell closes what it opens, closes nothing of the page, and
    leaves the parser in its usual state (checked: otherwise, the whole page as nbconvert does)."""
    if not mark or mark not in html:
        return _whole_pass(html.replace(mark, "") if mark else html)
    try:
        return _by_cell(html, mark, memo)
    except Exception:      # _Unfit, or anything unforeseen: the whole page gives nbconvert's result
        return _whole_pass(html.replace(mark, ""))


def _by_cell(html: str, mark: str, memo: _Memo | None) -> tuple[str, int]:
    from bs4 import BeautifulSoup, NavigableString

    pieces = html.split(mark)
    if len(pieces) % 2 == 0 or _PLACE_RE.search(html):
        raise _Unfit("marks")
    cells = pieces[1::2]
    frame_parts = []
    for i, text in enumerate(pieces[0::2]):
        frame_parts.append(text)
        if i < len(cells):
            frame_parts.append(_PLACE.format(i))
    frame_html = "".join(frame_parts)
    for cell in cells:
        c = cell.strip()
        if c and (not c.startswith("<") or not c.endswith(">") or _VOID_END.search(c)):
            raise _Unfit("cell boundaries")

    frame, missing = _whole_soup(frame_html)
    holders = [s for s in frame.find_all(string=_PLACE_RE) if type(s) is NavigableString]
    found = [int(m) for s in holders for m in _PLACE_RE.findall(s)]
    if found != list(range(len(cells))):
        raise _Unfit("placeholders")
    parent = holders[0].parent if holders else None
    if any(s.parent is not parent for s in holders) or parent is None or parent.name in ("script", "style", "template"):
        raise _Unfit("placeholders")
    chain = [t for t in [parent, *parent.parents] if t.name != "[document]"][::-1]
    opening = "".join(f'<{t.name} class="{" ".join(t.get("class", []))}">' for t in chain)
    closing = "".join(f"</{t.name}>" for t in reversed(chain))
    context = "/".join(f"{t.name}.{'.'.join(t.get('class', []))}" for t in chain)

    out = []
    for cell in cells:
        if memo is not None:
            kept = memo.get(memo.key("closing_pass", context, cell),
                            lambda: _cell_pass(cell, opening, closing, len(chain)))
        else:
            kept = _cell_pass(cell, opening, closing, len(chain))
        n, _, text = kept.partition("|")
        missing += int(n)
        out.append(text)
    page = str(frame)
    if len(_PLACE_RE.findall(page)) != len(cells):
        raise _Unfit("frame")
    return _PLACE_RE.sub(lambda m: out[int(m.group(1))], page), missing


def _whole_soup(html: str):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, features="html.parser")
    missing = 0
    for elem in soup.select("img:not([alt])"):
        elem.attrs["alt"] = "No description has been provided for this image"
        missing += 1
    for elem in soup.select(".jp-Notebook div.jp-Cell-inputWrapper"):
        elem.attrs["tabindex"] = "0"
    for elem in soup.select(".jp-Notebook div.jp-OutputArea-output"):
        elem.attrs["tabindex"] = "0"
    return soup, missing


def _cell_pass(cell: str, opening: str, closing: str, depth: int) -> str:
    """The closing pass of one cell inside the elements that hold it: "<images without alt>|<html>"."""
    from bs4 import Tag

    soup, missing = _whole_soup(opening + cell + f"<{_END}></{_END}>" + closing)
    inner = soup
    for _ in range(depth):
        kids = [c for c in inner.contents if isinstance(c, Tag)]
        if len(kids) != 1 or len(inner.contents) != 1:
            raise _Unfit("wrapper")
        inner = kids[0]
    last = inner.contents[-1] if inner.contents else None
    if not isinstance(last, Tag) or last.name != _END or last.contents:
        raise _Unfit("a tag left open or closed too far")
    last.extract()
    return f"{missing}|{inner.decode_contents()}"

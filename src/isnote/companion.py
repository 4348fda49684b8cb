"""Reviewer view of an executed notebook (`<out>/notebooks/NN_name.html`: code, parameters,
outputs), written by nbconvert with the `review` template.

Written by the side process of a run (`python -m isnote.pipeline side`) for the notebooks that
ran, beside the note; every CPU second it takes competes with the PDF's layout on two cores. So:
- one exporter per process: its Jinja templates are compiled once, not once per notebook;
- with a `cache_dir` (kept by the pipeline beside its stages), the compiled templates are kept on
  disk (Jinja's bytecode cache, checked against each template's source), and so are the results
  of the two pure filters that cost most and whose inputs rarely change between runs: the
  highlighting of a code cell's source (pygments) and its sanitising (bleach). They are keyed by
  their whole input and the versions of the libraries, so the page is byte-identical to an
  uncached build (tests/test_companion.py). A cache that cannot be read or written is ignored.

This module imports nbconvert and nbformat only (not the note's modules, nor pandas).
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from .atomic import write_bytes, write_text
from .labels import dataset_label

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
REVIEW_TEMPLATE = "review"
MEMO_FILE = "filters.pickle"
MEMO_MAX = 5000                 # entries kept on disk (a run of the demo uses about 150)

_EXPORTERS: dict = {}           # cache_dir -> exporter


def build(path: Path, params=None, cache_dir: Path | None = None) -> Path:
    """Write the reviewer view of the executed notebook `path` next to it; return its path."""
    import nbformat

    synthetic = bool(params.get("synthetic")) if params is not None else False
    label = dataset_label(params)
    nb = nbformat.read(str(path), as_version=4)
    exp = exporter(cache_dir)
    body, _ = exp.from_notebook_node(nb, resources={
        "metadata": {"name": path.stem},
        "isnote": {"notebook": path.name, "synthetic": synthetic, "dataset_label": label}})
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
    """Results of pure filters, by a digest of their input; loaded from and saved to one file."""

    def __init__(self, path: Path | None, versions: str):
        self.path, self.versions = path, versions
        self.old: dict = {}
        self.new: dict = {}
        self.hits = self.misses = 0
        if path is not None:
            try:
                data = pickle.loads(path.read_bytes())
                if isinstance(data, dict) and data.get("versions") == versions \
                        and isinstance(data.get("entries"), dict):
                    self.old = data["entries"]
            except Exception:          # absent, unreadable or damaged: start empty
                self.old = {}

    def key(self, *parts) -> str:
        h = hashlib.sha256()
        for p in parts:
            h.update(p.encode("utf-8", "surrogatepass") if isinstance(p, str) else repr(p).encode("utf-8"))
            h.update(b"\x1f")
        return h.hexdigest()

    def get(self, key: str, compute):
        got = self.new.get(key)
        if got is None:
            got = self.old.get(key)
            if not isinstance(got, str):
                self.misses += 1
                got = compute()
                if not isinstance(got, str):        # markupsafe.Markup is a str: keep the plain text
                    return got
            else:
                self.hits += 1
            self.new[key] = got
        return got

    def save(self) -> None:
        if self.path is None or not self.new:
            return
        entries = dict(self.old) if len(self.old) + len(self.new) <= MEMO_MAX else {}
        entries.update({k: str(v) for k, v in self.new.items()})
        if entries == self.old:
            return
        try:
            write_bytes(self.path, pickle.dumps({"versions": self.versions, "entries": entries}, protocol=4))
        except Exception:              # unwritable: the next run computes again
            pass


def _versions() -> str:
    import bleach
    import jinja2
    import nbconvert
    import pygments
    parts = [nbconvert.__version__, bleach.__version__, pygments.__version__, jinja2.__version__]
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


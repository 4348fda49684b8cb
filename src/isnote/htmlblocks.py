"""The Jinja environment of the note's HTML blocks (`src/isnote/templates/blocks/*.html.j2`: project
sheets, Annex A, the reader annexes B, C and D, the method annex of the technical annex).

Every printed value is escaped with `display.esc` (the escaping the note has always used), unless
it is already markup (`markupsafe.Markup`: a block rendered by another template, or HTML built by
vectorised pandas code). The template sources are joined line by line (a line break and the
indentation after it are dropped) so that templates can be laid out for reading while the HTML
stays on one line; a space needed between two elements is written on the same line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
import jinja2.ext
from markupsafe import Markup

from .display import esc

BLOCKS_DIR = Path(__file__).resolve().parent / "templates" / "blocks"


class _JoinLines(jinja2.ext.Extension):
    """Drop each line break of a template source with the indentation that follows it."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return re.sub(r"\n[ \t]*", "", source)


def _finalize(value: Any) -> Any:
    return value if isinstance(value, Markup) else Markup(esc(value))


_ENV: list = []


def environment() -> jinja2.Environment:
    """One environment per process (templates compiled once)."""
    if not _ENV:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(BLOCKS_DIR)), autoescape=True,
                                 undefined=jinja2.StrictUndefined, finalize=_finalize,
                                 extensions=[_JoinLines, "jinja2.ext.do"])
        _ENV.append(env)
    return _ENV[0]


def render(name: str, **context: Any) -> str:
    """The block `templates/blocks/<name>.html.j2`, as a plain string."""
    return str(environment().get_template(f"{name}.html.j2").render(**context))


def markup(html: str) -> Markup:
    """HTML built in code (already escaped) that a template prints as is."""
    return Markup(html)

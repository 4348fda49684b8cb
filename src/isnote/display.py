"""What notebooks show: tables and figures as safe HTML fragments with a caption and a source.

Notebooks call these helpers instead of displaying DataFrames directly, so that
- every text coming from the data is HTML-escaped (titles, descriptions are untrusted);
- tables and figures carry a caption and a source line; the note assembly numbers them
  in document order ("Tableau 3 – ...", "Figure 1 – ...") from the `data-caption` attribute;
- numbers are formatted the French way by the caller (see isnote.frnum) or by `formats`.
"""

from __future__ import annotations

import base64
import html
from typing import Callable, Mapping

import pandas as pd

Formatter = Callable[[object], str]


def esc(value: object) -> str:
    """Escape any value for HTML (None/NaN -> empty)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value), quote=True)


def table_html(df: pd.DataFrame, caption: str, *, source: str | None = None, key: str | None = None,
               formats: Mapping[str, Formatter] | None = None, index: bool = False,
               classes: str = "", total_row: bool = False) -> str:
    """Render `df` as an HTML table fragment with escaped cells.

    `key` is a stable identifier (anchor `tab-<key>`), `formats` maps column -> formatter,
    `total_row` styles the last row as a total.
    """
    formats = dict(formats or {})
    frame = df.reset_index() if index else df
    head = "".join(f"<th scope=\"col\">{esc(c)}</th>" for c in frame.columns)
    body_rows = []
    n = len(frame)
    cols = list(frame.columns)
    values = frame.to_numpy(dtype=object)
    for i in range(n):
        cells = []
        for j, col in enumerate(cols):
            v = values[i][j]
            text = formats[col](v) if col in formats else ("" if v is None or (isinstance(v, float) and v != v) else str(v))
            num = isinstance(v, (int, float)) and not isinstance(v, bool)
            cls_attr = ' class="num"' if num else ""
            cells.append(f"<td{cls_attr}>{esc(text)}</td>")
        cls = ' class="total"' if total_row and i == n - 1 else ""
        body_rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    anchor = f' id="tab-{esc(key)}"' if key else ""
    src = f'<p class="source">Source : {esc(source)}</p>' if source else ""
    return (f'<figure class="isn-table {esc(classes)}"{anchor} data-caption="{esc(caption)}">'
            f'<figcaption>{esc(caption)}</figcaption>'
            f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(body_rows)}</tbody></table>{src}</figure>')


def figure_html(png_bytes: bytes, caption: str, *, source: str | None = None, key: str | None = None,
                alt: str | None = None) -> str:
    """Embed a PNG (bytes) as a self-contained figure with caption and source."""
    data = base64.b64encode(png_bytes).decode("ascii")
    anchor = f' id="fig-{esc(key)}"' if key else ""
    src = f'<p class="source">Source : {esc(source)}</p>' if source else ""
    return (f'<figure class="isn-figure"{anchor} data-caption="{esc(caption)}">'
            f'<img src="data:image/png;base64,{data}" alt="{esc(alt or caption)}"/>'
            f'<figcaption>{esc(caption)}</figcaption>{src}</figure>')


def show_html(fragment: str) -> None:
    """Display an HTML fragment in the notebook (and so in the note)."""
    from IPython.display import HTML, display
    display(HTML(fragment))


def insert_marker(name: str) -> str:
    """A placeholder the note assembly replaces with generated content.

    `insert_marker("fiches")`, shown with `show_html` in a notebook, marks where the project sheets
    of the emblematic operations go in the note (without it they get a section of their own after
    the notebooks). It displays nothing in the notebook itself.
    """
    return f'<div class="isn-insert" data-isn-insert="{esc(name)}"></div>'

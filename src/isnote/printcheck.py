"""Print layout checks on WeasyPrint's laid-out pages: no table wider than the text block.

`overflows(document)` takes a rendered WeasyPrint document (`HTML(...).render()`) and lists the
tables whose border box passes the right edge of the page's content box (or starts left of it),
with the page number, the excess in CSS pixels and the beginning of the table's text. The note
assembly runs it on the document it prints (one layout for both) and reports each overflow as a
warning; a test requires none in the notes it builds.
"""

from __future__ import annotations

from typing import Iterable

TOLERANCE_PX = 0.5


def _text(box, limit: int = 70) -> str:
    out: list[str] = []

    def walk(b):
        if sum(len(t) for t in out) > limit:
            return
        text = getattr(b, "text", None)
        if isinstance(text, str) and text.strip():
            out.append(text.strip())
        for child in getattr(b, "children", None) or []:
            walk(child)

    walk(box)
    return " ".join(out)[:limit]


def _tables(box) -> Iterable:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TableBox):
        yield box
    for child in getattr(box, "children", None) or []:
        yield from _tables(child)


def overflows(document, tolerance: float = TOLERANCE_PX) -> list[dict]:
    found = []
    for number, page in enumerate(document.pages, start=1):
        pb = page._page_box
        left = pb.content_box_x()
        right = left + pb.width
        for table in _tables(pb):
            x0 = table.border_box_x()
            x1 = x0 + table.border_width()
            excess = max(x1 - right, left - x0)
            if excess > tolerance:
                found.append({"page": number, "excess_px": round(excess, 1), "text": _text(table)})
    return found


def messages(found: list[dict]) -> list[str]:
    return [f"tableau plus large que la page (page {f['page']}, dépasse de {f['excess_px']} px) : « {f['text']} »"
            for f in found]


# Tables of this many columns or more are laid out for print with fixed, equal columns (the first
# one wider), a smaller font and hyphenated headers (class `isn-wide`, see note.css).
WIDE_COLUMNS = 7


def mark_wide_tables(soup, min_columns: int = WIDE_COLUMNS) -> int:
    """Add the class `isn-wide` to the tables of `min_columns` columns or more; returns how many."""
    n = 0
    for table in soup.find_all("table"):
        row = table.find("tr")
        if row is None:
            continue
        cols = sum(int(c.get("colspan", 1) or 1) for c in row.find_all(["th", "td"], recursive=False))
        if cols >= min_columns and "isn-sortable" not in (table.get("class") or []):
            table["class"] = list(table.get("class") or []) + ["isn-wide"]
            n += 1
    return n

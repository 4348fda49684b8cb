"""Post-processing of the exported note: links and markers tidied, Markdown tables captioned, wide
tables marked, rounding notes, tables/figures/boxes/sections numbered, cross-references resolved,
table of contents, French typography, tool-talk scan, sanitising (isnote.htmlguard); then the PDF
(WeasyPrint) with its check of table widths (isnote.printcheck).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from .. import annexes, frwords, printcheck, readertext, typography
from .render import SMALL_TABLE_ROWS

# --- post-processing --------------------------------------------------------------------------

_NUM_HEADING = re.compile(r"^\s*(\d+(?:\.\d+)*)\.?\s+(.*)$", re.S)
# "Tableau 3 – ", "Tableau – ", "Figure : " written by an author: the assembly numbers captions itself
_NUMBERED_CAPTION = re.compile(r"^\s*(?:Tableau|Figure|Encadré)\s*(?:n°\s*)?\d*\s*[–—:-]\s*", re.I)


def _slug(text: str) -> str:
    import unicodedata

    t = unicodedata.normalize("NFKD", text)
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).lower()
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")
    return t[:60] or "section"


def _with_class(soup, name: str, *classes: str) -> list:
    """Elements `name` carrying one of `classes`, in document order: what `soup.select("name.class")`
    finds, five to ten times faster (soupsieve matched every element of the ~6,000 of the note)."""
    wanted = set(classes)
    return [el for el in soup.find_all(name) if wanted.intersection(el.get("class") or ())]


def _captioned_markdown_tables(soup) -> None:
    """Static Markdown: a paragraph 'Tableau : caption' right before a table makes it a numbered table
    (and a following paragraph 'Source : ...' its source)."""
    for p in list(soup.find_all("p")):
        text = p.get_text(" ", strip=True)
        m = re.match(r"^Tableau\s*:\s*(.+)$", text, re.S)
        if not m:
            continue
        table = p.find_next_sibling()
        if table is None or table.name != "table":
            continue
        caption = m.group(1).strip()
        fig = soup.new_tag("figure", attrs={"class": "isn-table", "data-caption": caption})
        cap = soup.new_tag("figcaption")
        cap.string = caption
        fig.append(cap)
        after = table.find_next_sibling()
        p.replace_with(fig)
        fig.append(table.extract())
        if after is not None and after.name == "p" and re.match(r"^Source\s*:", after.get_text(" ", strip=True)):
            after["class"] = "source"
            fig.append(after.extract())


def _number_floats(soup, info: dict, start: tuple[int, int] = (0, 0)) -> None:
    """`start`: tables and figures numbered before this soup (a part of the note, isnote.note.postcache)."""
    n_tab, n_fig = start
    for fig in _with_class(soup, "figure", "isn-table", "isn-figure"):
        classes = fig.get("class", [])
        caption = fig.get("data-caption") or ""
        cap = fig.find("figcaption")
        if not caption and cap is not None:
            caption = cap.get_text(" ", strip=True)
        caption = _NUMBERED_CAPTION.sub("", caption)
        if "isn-table" in classes:
            n_tab += 1
            label, anchor = f"Tableau {n_tab}", f"tableau-{n_tab}"
            rows = sum(1 for tr in fig.find_all("tr") if any(p.name == "tbody" for p in tr.parents))
            if rows <= SMALL_TABLE_ROWS:
                fig["class"] = classes + ["isn-small"]
        else:
            n_fig += 1
            label, anchor = f"Figure {n_fig}", f"figure-{n_fig}"
        if cap is None:
            cap = soup.new_tag("figcaption")
            if "isn-table" in classes:
                fig.insert(0, cap)
            else:
                img = fig.find("img")
                (img.insert_after(cap) if img is not None else fig.append(cap))
        cap.clear()
        lab = soup.new_tag("span", attrs={"class": "isn-caption-label"})
        lab.string = label
        cap.append(lab)
        cap.append(f" – {caption}")
        fig["data-number"] = label
        if not fig.get("id"):
            fig["id"] = anchor
    info["tables"], info["figures"] = n_tab, n_fig


def _number_boxes(soup, info: dict, start: int = 0) -> None:
    n = start
    for box in _with_class(soup, "aside", "isn-box"):
        n += 1
        cap = box.find(class_="isn-box-caption")
        caption = _NUMBERED_CAPTION.sub("", box.get("data-caption") or (cap.get_text(" ", strip=True) if cap else ""))
        if cap is None:
            cap = soup.new_tag("p", attrs={"class": "isn-box-caption"})
            box.insert(0, cap)
        cap.clear()
        lab = soup.new_tag("span", attrs={"class": "isn-caption-label"})
        lab.string = f"Encadré {n}"
        cap.append(lab)
        cap.append(f" – {caption}")
    info["boxes"] = n


def _number_headings(soup, main, info: dict, state: dict | None = None) -> list[tuple[int, str, str, str]]:
    """Number h1-h3 of the body; returns TOC entries (level, number, title, id). `state` (a part of
    the note, isnote.note.postcache): the counters, last number, numbers and ids seen before this
    soup, updated in place; by default the whole note from its start."""
    state = {} if state is None else state
    counters = state.get("counters", [0, 0, 0])
    seen_ids = state.get("seen_ids")
    if seen_ids is None:
        seen_ids = {t["id"] for t in soup.find_all(id=True) if t.name not in ("h1", "h2", "h3")}
    entries = []
    last: tuple = state.get("last", ())
    seen_numbers: set[tuple] = state.get("seen_numbers", set())
    for h in main.find_all(["h1", "h2", "h3"]):
        level = int(h.name[1])
        text = h.get_text(" ", strip=True)
        if h.has_attr("data-nonum"):
            hid = h.get("id") or _slug(text)
            number, title = "", text
        else:
            m = _NUM_HEADING.match(text)
            if m:
                nums = [int(x) for x in m.group(1).split(".")]
                title = m.group(2).strip()
                counters = (nums + [0, 0, 0])[:3]
            else:
                counters[level - 1] += 1
                for i in range(level, 3):
                    counters[i] = 0
                nums = counters[:level]
                title = text
            if len(nums) > 1 and tuple(nums[:-1]) not in seen_numbers:
                info["warnings"].append(f"section {'.'.join(map(str, nums))} (« {title} ») sans titre de "
                                        f"niveau supérieur {'.'.join(map(str, nums[:-1]))} : ajouter un titre "
                                        f"« {'#' * (len(nums) - 1)} {'.'.join(map(str, nums[:-1]))}. … »")
                seen_numbers.add(tuple(nums[:-1]))
            seen_numbers.add(tuple(nums))
            if tuple(nums) <= last:
                info["warnings"].append(f"numérotation des sections non croissante : {'.'.join(map(str, nums))} "
                                        f"après {'.'.join(map(str, last))} (« {title} »)")
            last = tuple(nums)
            number = ".".join(map(str, nums))
            hid = "sec-" + "-".join(map(str, nums))
            h.clear()
            span = soup.new_tag("span", attrs={"class": "isn-secnum"})
            span.string = number + ("." if len(nums) == 1 else "")
            h.append(span)
            h.append(" " + title)
        base, k = hid, 2
        while hid in seen_ids:
            hid = f"{base}-{k}"
            k += 1
        seen_ids.add(hid)
        h["id"] = hid
        entries.append((level, number, title, hid))
    state.update(counters=counters, seen_ids=seen_ids, last=last, seen_numbers=seen_numbers)
    return entries


def _fill_toc(soup, entries) -> None:
    toc = soup.find(id="sommaire-liste")
    if toc is None:
        return
    for level, number, title, hid in entries:
        if level > 2:
            continue
        li = soup.new_tag("li", attrs={"class": f"toc-l{level}"})
        a = soup.new_tag("a", href=f"#{hid}")
        if number:
            num = soup.new_tag("span", attrs={"class": "toc-num"})
            num.string = number + ("." if level == 1 else "")
            a.append(num)
            a.append(" ")
        a.append(title)
        li.append(a)
        toc.append(li)


def postprocess(html: str, info: dict, *, allowed_images: set[str] | None = None,
                scripts: Iterable[str] = ()) -> str:
    """Number, link and tidy the exported note, then sanitise it (isnote.htmlguard): only the run's
    own images (`allowed_images`: digests) and scripts (`scripts`), internal links, a CSP."""
    from bs4 import BeautifulSoup

    from ..htmlguard import sanitize

    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main") or soup
    for a in _with_class(soup, "a", "anchor-link"):
        a.decompose()
    for marker in _with_class(soup, "div", "isn-insert"):
        marker.decompose()
    _captioned_markdown_tables(soup)
    printcheck.mark_wide_tables(soup)
    readertext.add_rounding_notes(soup)
    _number_floats(soup, info)
    annexes.resolve_refs(soup, info)
    _number_boxes(soup, info)
    entries = _number_headings(soup, main, info)
    _fill_toc(soup, entries)
    info["sections"] = [f"{n} {t}".strip() for lvl, n, t, _ in entries if lvl == 1]
    typography.apply_soup(soup)
    frwords.apply_soup(soup)
    info["tool_talk"] = readertext.tool_talk("\n".join(readertext.note_text_nodes(soup)))
    if info["tool_talk"]:
        info["warnings"].append("termes techniques dans le texte de la note : "
                                + ", ".join(f"« {t} »" for t, _ in info["tool_talk"][:10]))
    sanitize(soup, allowed_images, scripts, info)
    return str(soup)


# --- PDF and reviewer view ---------------------------------------------------------------------


def write_pdf(html: str, target: Path, cache_dir: Path | None = None, stats: dict | None = None) -> list[dict]:
    """PDF from the note HTML (print CSS, A4); no network access. Returns the tables wider than
    the text block found in the laid-out pages (isnote.printcheck). Laid out in parts, in parallel,
    the parts unchanged since the last run taken from `cache_dir` (isnote.pdfparts)."""
    from .. import pdfparts
    return pdfparts.write(html, target, base_url=str(target.parent), cache_dir=cache_dir, stats=stats)

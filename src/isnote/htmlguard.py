"""Last line of defence of the note: whatever got through the escaping, `note.html` loads nothing
from outside and embeds nothing the run did not produce.

`sanitize(soup, allowed_images, scripts, info)` (called by note.postprocess on the whole note):
- keeps an `<img>` only when its source is a `data:` URI whose bytes are one of the run's own
  figures (`allowed_images`: sha256 of the PNG/JPEG/SVG files and outputs of the run); any other
  image (a file of the working folder, a remote address) is removed;
- keeps a link only when it points to an anchor of the note (`#...`); other links become text;
- removes elements that load or run something (iframe, object, embed, external scripts, forms,
  media, `<base>`, `<link>`, refresh), event-handler attributes and `javascript:`/remote URLs in
  any attribute; keeps inline scripts only when they are the note's own (`scripts`);
- cuts very long texts for print with a visible mark and gives long unbroken tokens break
  opportunities (`<wbr>`), so that the page layout stays fast (the CSV tables keep them whole);
- adds a Content-Security-Policy that forbids every remote load.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Iterable

MAX_TEXT_CHARS = 4000           # one text node of the note (a title, a description, a table cell)
MAX_PRE_CHARS = 20000           # preformatted blocks (the parameters of the run, annex C)
CUT_MARK = " …[texte tronqué]"
LONG_TOKEN = 80                 # a run of characters without a break opportunity longer than this ...
TOKEN_STEP = 40                 # ... gets one every TOKEN_STEP characters
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")

DROP_ELEMENTS = ("iframe", "frame", "frameset", "object", "embed", "applet", "base", "link", "form", "input[type=image]",
                 "video", "audio", "source", "track", "portal", "meta[http-equiv]")
_DROP_NAMES = [e.split("[")[0] for e in DROP_ELEMENTS]
URL_ATTRS = ("src", "href", "srcset", "action", "formaction", "poster", "background", "xlink:href", "data",
             "codebase", "cite", "longdesc", "ping", "manifest", "lowsrc", "dynsrc")
_TOKEN = re.compile(r"\S{%d,}" % (LONG_TOKEN + 1))
_DATA_URI = re.compile(r"^data:(image/(?:png|jpeg|svg\+xml));base64,([A-Za-z0-9+/=\s]+)$", re.S)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image_digest(src: str) -> str | None:
    """sha256 of the bytes of a base64 `data:` image URI, None for anything else."""
    m = _DATA_URI.match(src.strip())
    if not m:
        return None
    try:
        return digest(base64.b64decode(re.sub(r"\s", "", m.group(2)), validate=True))
    except ValueError:
        return None


def csp(script_hashes: Iterable[str]) -> str:
    scripts = " ".join(f"'sha256-{h}'" for h in sorted(set(script_hashes))) or "'none'"
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
            f"script-src {scripts}; base-uri 'none'; form-action 'none'")


def _script_hash(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + CUT_MARK


def _break_tokens(soup, node) -> bool:
    """Replace text node `node` by pieces separated by <wbr> inside its long tokens."""
    text = str(node)
    if not _TOKEN.search(text):
        return False
    pieces: list = []
    pos = 0
    for m in _TOKEN.finditer(text):
        pieces.append(text[pos:m.start()])
        tok = m.group()
        for i in range(0, len(tok), TOKEN_STEP):
            if i:
                pieces.append(soup.new_tag("wbr"))
            pieces.append(tok[i:i + TOKEN_STEP])
        pos = m.end()
    pieces.append(text[pos:])
    from bs4 import NavigableString
    first = NavigableString(pieces[0]) if isinstance(pieces[0], str) else pieces[0]
    node.replace_with(first)
    last = first
    for p in pieces[1:]:
        item = NavigableString(p) if isinstance(p, str) else p
        last.insert_after(item)
        last = item
    return True


def _unsafe_url(value: str) -> bool:
    v = re.sub(r"[\s\x00-\x1f]", "", value).lower()
    return not v.startswith("#")


def sanitize(soup, allowed_images: set[str] | None, scripts: Iterable[str], info: dict) -> None:
    """Sanitise the whole note in place (see the module docstring); counts go to `info["sanitised"]`.
    `allowed_images` None: any `data:` image is kept (fragments built in tests)."""
    from bs4 import Comment, NavigableString

    counts = {"images": 0, "liens": 0, "elements": 0, "textes_coupes": 0}
    own_scripts = {s.strip() for s in scripts}
    for el in soup.find_all(_DROP_NAMES):               # = soup.select(", ".join(DROP_ELEMENTS)), faster
        if el.name == "input" and str(el.get("type", "")).strip().lower() != "image":
            continue
        if el.name == "meta" and not el.has_attr("http-equiv"):
            continue
        el.decompose()
        counts["elements"] += 1
    hashes = []
    for el in soup.find_all("script"):
        body = el.string or ""
        if el.has_attr("src") or body.strip() not in own_scripts:
            el.decompose()
            counts["elements"] += 1
        else:
            hashes.append(_script_hash(body))
    for img in soup.find_all("img"):
        found = image_digest(img.get("src", ""))
        if found is None or (allowed_images is not None and found not in allowed_images):
            img.decompose()
            counts["images"] += 1
        elif img.has_attr("srcset"):
            del img["srcset"]
    for a in soup.find_all("a"):
        href = a.get("href")
        if href is not None and _unsafe_url(href):
            a.unwrap()
            counts["liens"] += 1
    for el in soup.find_all(True):
        for attr in list(el.attrs):
            name = attr.lower()
            value = el.attrs[attr]
            value = " ".join(value) if isinstance(value, list) else str(value)
            if name.startswith("on"):
                del el[attr]
            elif name in URL_ATTRS and not (name == "src" and el.name == "img") and _unsafe_url(value):
                del el[attr]
            elif name == "style" and re.search(r"url\s*\(|expression\s*\(|@import", value, re.I):
                del el[attr]
    body = soup.find("body") or soup
    for node in list(body.find_all(string=True)):
        if isinstance(node, Comment):
            node.extract()
            continue
        if not isinstance(node, NavigableString):
            continue
        parents = {p.name for p in node.parents}
        if parents & {"script", "style"}:
            continue
        limit = MAX_PRE_CHARS if "pre" in parents else MAX_TEXT_CHARS
        if len(node) > limit:
            short = NavigableString(_cut(str(node), limit))
            node.replace_with(short)
            node = short
            counts["textes_coupes"] += 1
        _break_tokens(soup, node)
    head = soup.find("head")
    if head is not None:
        meta = soup.new_tag("meta", attrs={"http-equiv": "Content-Security-Policy", "content": csp(hashes)})
        charset = head.find("meta", attrs={"charset": True})
        (charset.insert_after(meta) if charset is not None else head.insert(0, meta))
    info["sanitised"] = counts
    dropped = counts["images"] + counts["liens"] + counts["elements"]
    if dropped:
        info.setdefault("warnings", []).append(
            f"note : {counts['images']} image(s) étrangère(s) au calcul, {counts['liens']} lien(s) externe(s) "
            f"et {counts['elements']} élément(s) actif(s) retirés")


# a figure as isnote.display.figure_html writes it (its attributes are escaped: no ">" inside)
_FIGURE_IMG = re.compile(r'<figure class="isn-figure"[^>]*><img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def run_images(figures_dir, notebooks: Iterable) -> set[str]:
    """Digests of the images the run produced: its figure files, the figures its notebooks showed
    with display.figure_html and the image outputs of its notebooks."""
    from pathlib import Path
    found = {digest(p.read_bytes()) for p in sorted(Path(figures_dir).glob("*"))
             if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".svg") and p.is_file()}
    for nb in notebooks:
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                html = out.get("data", {}).get("text/html")
                if html:
                    html = "".join(html) if isinstance(html, list) else html
                    for m in _FIGURE_IMG.finditer(html):
                        found.add(digest(base64.b64decode(m.group(1))))
                for mime in ("image/png", "image/jpeg"):
                    data = out.get("data", {}).get(mime)
                    if data:
                        data = "".join(data) if isinstance(data, list) else data
                        try:
                            found.add(digest(base64.b64decode(re.sub(r"\s", "", data))))
                        except ValueError:
                            pass
    return found

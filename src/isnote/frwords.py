"""French wording helpers: numbers in words (for the start of a sentence), counts with their noun
(« aucun participant », « 1 opération », « 12 opérations »).

Spelling follows the 1990 reform (hyphens everywhere: « vingt-et-un », « cent-deux »), which
the French administration accepts; « cents » and « quatre-vingts » take their plural s only at
the end of the number.
"""

from __future__ import annotations

import re

UNITS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
         "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf")
TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def _below_100(n: int) -> str:
    if n < 20:
        return UNITS[n]
    t, u = divmod(n, 10)
    if t in (7, 9):                                  # soixante-dix..., quatre-vingt-dix...
        head = "soixante" if t == 7 else "quatre-vingt"
        return f"{head}-{'et-' if n == 71 else ''}{UNITS[10 + u]}"
    if t == 8:
        return "quatre-vingts" if u == 0 else f"quatre-vingt-{UNITS[u]}"
    if u == 0:
        return TENS[t]
    return f"{TENS[t]}-{'et-' if u == 1 else ''}{UNITS[u]}"


def _below_1000(n: int) -> str:
    h, r = divmod(n, 100)
    if h == 0:
        return _below_100(r)
    head = "cent" if h == 1 else f"{UNITS[h]}-cent"
    if r == 0:
        return head + ("s" if h > 1 else "")
    return f"{head}-{_below_100(r)}"


def number_words(n: int) -> str:
    """12 -> 'douze', 224 -> 'deux-cent-vingt-quatre', 1000 -> 'mille' (0 <= n < 1 000 000)."""
    n = int(n)
    if n < 0:
        return "moins " + number_words(-n)
    if n >= 1_000_000:
        raise ValueError(f"{n} : nombre trop grand pour être écrit en lettres")
    th, r = divmod(n, 1000)
    if th == 0:
        return _below_1000(r)
    head = "mille" if th == 1 else f"{_below_1000(th).removesuffix('s') if th % 100 == 0 else _below_1000(th)}-mille"
    if th > 1 and th % 100 == 80:
        head = head.replace("quatre-vingts-mille", "quatre-vingt-mille")
    return head if r == 0 else f"{head}-{_below_1000(r)}"


def count(n, one: str, many: str, *, none: str | None = None, feminine: bool = False) -> str:
    """'aucun participant' / '1 opération' / '12 opérations' (French digit grouping)."""
    from .frnum import fmt_int

    n = int(n)
    if n == 0:
        return none if none is not None else f"{'aucune' if feminine else 'aucun'} {one}"
    return f"{fmt_int(n)} {one if n < 2 else many}"


def sentence_start(n, one: str, many: str, *, feminine: bool = False) -> str:
    """A count that opens a sentence: words, capitalised ('Douze opérations', 'Aucune opération')."""
    n = int(n)
    if n == 0:
        text = f"{'aucune' if feminine else 'aucun'} {one}"
    elif n == 1:
        text = f"{'une' if feminine else 'un'} {one}"
    else:
        text = f"{number_words(n)} {many}"
    return text[:1].upper() + text[1:]


def fmt_amount(x_meur) -> str:
    """An amount given in M€, shown at a readable precision: '38,2 M€'; under 0,1 M€ in k€
    ('42 k€'); under 1 k€ in euros ('850 €'). None -> '–'."""
    from .frnum import fmt_int, fmt_meur

    if x_meur is None:
        return "–"
    x = float(x_meur)
    if abs(x) >= 0.1 or x == 0:
        return fmt_meur(x)
    if abs(x) >= 0.001:
        return f"{fmt_int(x * 1000)}\u00a0k€"
    return f"{fmt_int(x * 1_000_000)}\u00a0€"


def fmt_points(x) -> str:
    """A change in percentage points: '+12,0 points', '−11,7 points'."""
    from .frnum import fmt_num

    if x is None:
        return "–"
    sign = "+" if x > 0 else ("−" if x < 0 else "")
    return f"{sign}{fmt_num(abs(float(x)), 1)}\u00a0{'point' if abs(float(x)) < 2 else 'points'}"


def capitalize(text) -> str:
    text = str(text)
    return text[:1].upper() + text[1:]


FILTERS = {
    "fmt_montant": fmt_amount,
    "fmt_points": fmt_points,
    "en_lettres": lambda n: number_words(int(n)),
    "majuscule": capitalize,
}


# --------------------------------------------------------------------------------------------
# numbers at the start of a sentence, in the note's text

_FEMININE = {"opération", "opérations", "structure", "structures", "réponse", "réponses", "action", "actions",
             "personne", "personnes", "région", "régions", "catégorie", "catégories", "candidate", "candidates"}
_LOWER = "a-zàâäçéèêëîïôöûùüÿœ"
_START = re.compile(r"^(\s*)(\d{1,3})(?=[ \u00a0\u202f]+([" + _LOWER + r"][\w’'-]*))")
_AFTER_STOP = re.compile(r"(?<=[.!?][ \u00a0\n])(\d{1,3})(?=[ \u00a0\u202f]+([" + _LOWER + r"][\w’'-]*))")


def _words(n: str, next_word: str) -> str:
    value = int(n)
    feminine = next_word in _FEMININE
    if value == 1:
        return "Une" if feminine else "Un"
    text = number_words(value)
    if feminine and text.endswith("-et-un"):
        text += "e"
    return capitalize(text)


def spell_sentence_starts(text: str, at_start: bool) -> str:
    """'12 opérations …' at the start of a sentence -> 'Douze opérations …' (numbers below 1 000
    followed by a word in lower case; years, codes and figures followed by a unit are left alone)."""
    text = _AFTER_STOP.sub(lambda m: _words(m.group(1), m.group(2)), text)
    if at_start:
        text = _START.sub(lambda m: m.group(1) + _words(m.group(2), m.group(3)), text)
    return text


def apply_soup(soup) -> None:
    """Spell out the numbers that open a sentence in the paragraphs and list items of the note
    (not in project sheets, quotes or tables, which show data as written)."""
    from bs4 import NavigableString

    for block in soup.find_all(["p", "li"]):
        if any(p.name in ("aside", "blockquote", "q", "figure") or "isn-quote" in (p.get("class") or [])
               for p in [block, *block.parents] if p is not None and p.name):
            continue                                   # data (project sheets, quotes, tables) is shown as written
        first = True
        for node in list(block.find_all(string=True)):
            if type(node) is not NavigableString or any(
                    p.name in ("code", "pre", "script", "style", "td", "th") for p in node.parents if p is not None):
                first = False
                continue
            if not str(node).strip():
                continue
            fixed = spell_sentence_starts(str(node), first)
            first = False
            if fixed != node:
                node.replace_with(NavigableString(fixed))


def fmt_meur_cell(x_meur) -> str:
    """A cell of a column in M€: '38,2'; a non-zero amount under 0,1 M€, which would read '0,0',
    is written with its own unit ('42 k€', '850 €'). None/NaN -> '–'."""
    from .frnum import fmt_num

    if x_meur is None or (isinstance(x_meur, float) and x_meur != x_meur):
        return "–"
    x = float(x_meur)
    if x == 0 or abs(x) >= 0.1:
        return fmt_num(x)
    return fmt_amount(x)

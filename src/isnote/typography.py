"""French typography for the text of the note (not for code, attributes, scripts or URLs).

Rules applied to text:
- a no-break space (U+00A0) before ; : ! ? and », and after « (an ordinary space there is
  replaced; a missing one is added, except where it would break something: ":" between digits
  as in 10:30, punctuation glued to the next character as in URLs or "a?b");
- a narrow no-break space (U+202F) between the digit groups of a number ("6 646", "1 704,0");
- a no-break space before units after a number (%, €, k€, M€, Md€) and after "n°";
- the typographic apostrophe (’) for a straight one between two letters (« l'axe » -> « l’axe »);
- accented capitals for the words of ACCENTED_CAPITALS written without their accent at the start
  of a word in title case (« Evaluation » -> « Évaluation », « Ile-de-France » -> « Île-de-France »;
  words in capitals, such as a beneficiary's name written « EVALUATION », are left as written).

`fix_text` works on a plain string; `apply_html` on an HTML document or fragment, touching only
its text nodes outside <script>, <style>, <code>, <pre>, <kbd>, <samp>, <textarea>.
Both are idempotent.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
NNBSP = "\u202f"

SKIP_TAGS = frozenset({"script", "style", "code", "pre", "kbd", "samp", "textarea", "svg", "math"})

# URLs and e-mail-like tokens are left untouched.
_URL = re.compile(r"(?:https?://|ftp://|file://|mailto:|www\.)[^\s<>\"«»]+", re.IGNORECASE)

_SPACES = "[ \t\r\n]+"  # ordinary white space (not the no-break ones)

_RULES: list[tuple[re.Pattern, str]] = [
    # ordinary spaces before ; : ! ? » -> one no-break space
    (re.compile(_SPACES + r"(?=[;:!?»])"), NBSP),
    # ordinary spaces after « -> one no-break space
    (re.compile(r"«" + _SPACES), "«" + NBSP),
    # missing space before ; ! ? after a word, when the sign ends the word (not "a?b", not "?!" runs)
    (re.compile(r"(?<=[^\W_]|[)\]%€])(?=[;!?]+(?:[\s)\]»\"'’.,]|$))"), NBSP),
    # missing space before ":" after a letter (not a digit: 10:30), when followed by a space or the end
    (re.compile(r"(?<=[^\W\d_]|[)\]%€])(?=:(?:\s|$))"), NBSP),
    # missing space around guillemets
    (re.compile(r"(?<=[^\W_]|[.!?…)])(?=»)"), NBSP),
    (re.compile(r"«(?=[^\W_]|[(\d])"), "«" + NBSP),
    # digit groups of a number: 6 646 / 1 704,0 / 720 332 -> narrow no-break space
    (re.compile(r"(?<![\d,.])(\d{1,3})((?:[ \u00a0]\d{3})+)(?![\d])"), None),
    # space (ordinary, or none) between a number and a unit -> no-break space
    (re.compile(r"(?<=\d)(?:[ \t]+|(?=[%€]))(?=(?:%|€|k€|M€|Md€|Mds€)(?![^\W\d_]))"), NBSP),
    # n° 12 -> n°\u00a012
    (re.compile(r"(?<=\b[nN]°)[ \t]+(?=\d)"), NBSP),
]


# words whose capital is accented in French, as they appear without the accent in data and texts
ACCENTED_CAPITALS = {
    "Ile": "Île", "Iles": "Îles", "Evaluation": "Évaluation", "Evaluations": "Évaluations",
    "Economie": "Économie", "Etat": "État", "Etats": "États", "Etude": "Étude", "Etudes": "Études",
    "Egalite": "Égalité", "Egalité": "Égalité", "Education": "Éducation", "Emergence": "Émergence",
    "Elaboration": "Élaboration", "Equipe": "Équipe", "Etablissement": "Établissement",
    "Etape": "Étape", "Etapes": "Étapes", "Epicerie": "Épicerie", "Energie": "Énergie",
    "Economique": "Économique", "Economiques": "Économiques", "Ecole": "École", "Ecologique": "Écologique",
    "Evaluer": "Évaluer",
}
_CAPITALS = re.compile(r"(?<![\w-])(" + "|".join(sorted(ACCENTED_CAPITALS, key=len, reverse=True))
                       + r")(?![\w])")
_APOSTROPHE = re.compile(r"(?<=[^\W\d_])'(?=[^\W\d_])")


def _group_digits(match: re.Match) -> str:
    head, rest = match.group(1), match.group(2)
    return head + re.sub(r"[ \u00a0]", NNBSP, rest)


def _fix_plain(text: str) -> str:
    for pattern, repl in _RULES:
        if repl is None:
            text = pattern.sub(_group_digits, text)
        else:
            text = pattern.sub(repl, text)
    text = _APOSTROPHE.sub("’", text)
    return _CAPITALS.sub(lambda m: ACCENTED_CAPITALS[m.group(1)], text)


def fix_text(text: str) -> str:
    """Apply the French typography rules to a plain text (URLs inside are left untouched)."""
    if not text:
        return text
    out: list[str] = []
    pos = 0
    for m in _URL.finditer(text):
        out.append(_fix_plain(text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_fix_plain(text[pos:]))
    return "".join(out)


def apply_soup(soup) -> None:
    """Apply `fix_text` in place to the text nodes of a BeautifulSoup tree (outside SKIP_TAGS)."""
    from bs4 import NavigableString

    for node in list(soup.find_all(string=True)):
        if type(node) is not NavigableString:       # comments, doctype, CDATA, script text...
            continue
        if any(parent.name in SKIP_TAGS for parent in node.parents if parent is not None):
            continue
        fixed = fix_text(str(node))
        if fixed != node:
            node.replace_with(NavigableString(fixed))


def apply_html(html: str) -> str:
    """Apply the rules to the text nodes of an HTML document or fragment and return it."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    apply_soup(soup)
    return str(soup)

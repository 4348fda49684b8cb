"""Text logic used by the demo generator to check its own output.

It mirrors the screening described in params/keywords_note_2019.yaml and params/actors_note_2019.yaml:

- text is NORMALISED (lower case, accents removed, œ -> oe, æ -> ae, apostrophes and hyphens or
  dashes turned into spaces, spaces collapsed) and the patterns are matched as whole words;
- an operation is pre-identified when a group with `preidentify: true` hits one of its text
  fields, or when its beneficiary matches an actor (normalised tokens, legal-form words ignored,
  aliases and acronyms accepted).

Two actor matchers are provided: `strict` (an actor name or alias appears as a contiguous run of
tokens, or its acronym appears as a token) is what the intended matches must satisfy; `loose`
(all tokens of a name present in any order, acronyms of two letters or more, the beneficiary's
own initials) is what every other beneficiary must NOT satisfy. So the demo counts hold whichever
reasonable variant the screening implements.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

_APOS = "'\u2019\u2018\u02bc`\u00b4"
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_TRANS = str.maketrans({**{c: " " for c in _APOS + _DASHES}, "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"})
_SPACES = re.compile(r"\s+")
_COMBINING = re.compile("[\u0300-\u036f]")
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")


def normalise(text: object) -> str:
    """Lower case, no accents, œ/æ expanded, apostrophes and dashes -> spaces, spaces collapsed."""
    if text is None:
        return ""
    t = str(text)
    if not t:
        return ""
    t = unicodedata.normalize("NFKD", t.translate(_TRANS))
    t = _COMBINING.sub("", t).lower()
    return _SPACES.sub(" ", t).strip()


def normalise_series(values):
    """Vectorised `normalise` over a pandas Series of strings (empty for missing values)."""
    s = values.fillna("").astype("str")
    s = s.str.translate(_TRANS).str.normalize("NFKD").str.replace(_COMBINING.pattern, "", regex=True)
    return s.str.lower().str.replace(r"\s+", " ", regex=True).str.strip()


def whole_words(pattern: str) -> re.Pattern:
    """Compile `pattern` so that it only matches whole words of normalised text."""
    return re.compile(r"(?<![0-9a-z])(?:" + pattern + r")(?![0-9a-z])")


@dataclass
class KeywordGroups:
    groups: dict[str, list[re.Pattern]]
    preidentify: list[str]

    @classmethod
    def from_yaml(cls, data: dict) -> "KeywordGroups":
        groups = {name: [whole_words(p) for p in g.get("patterns", [])] for name, g in data["groups"].items()}
        pre = [name for name, g in data["groups"].items() if g.get("preidentify")]
        return cls(groups, pre)

    def hits(self, texts: Iterable[object], only_preidentify: bool = True) -> dict[str, int]:
        """Number of matches per group over the given texts (normalised here)."""
        norm = [normalise(t) for t in texts]
        names = self.preidentify if only_preidentify else list(self.groups)
        out: dict[str, int] = {}
        for name in names:
            n = sum(len(p.findall(t)) for p in self.groups[name] for t in norm if t)
            if n:
                out[name] = n
        return out

    def preidentified(self, texts: Iterable[object]) -> bool:
        norm = [normalise(t) for t in texts]
        return any(p.search(t) for name in self.preidentify for p in self.groups[name] for t in norm if t)


def tokens(text: object, drop: frozenset[str] = frozenset()) -> list[str]:
    return [t for t in _TOKEN_SPLIT.split(normalise(text)) if t and t not in drop]


def _acronym(toks: list[str]) -> str:
    return "".join(t[0] for t in toks)


@dataclass
class ActorMatcher:
    legal: frozenset[str]
    variants: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (actor, tokens)
    acronyms: dict[str, str] = field(default_factory=dict)                     # acronym -> actor

    @classmethod
    def from_yaml(cls, data: dict) -> "ActorMatcher":
        legal = frozenset(normalise(w) for w in data.get("legal_form_words", []))
        m = cls(legal)
        for a in data["actors"]:
            for name in [a["name"], *a.get("aliases", [])]:
                toks = tuple(tokens(name, legal))
                if toks:
                    m.variants.append((a["name"], toks))
                    if len(toks) >= 2:
                        m.acronyms.setdefault(_acronym(list(toks)), a["name"])
        return m

    def key(self, name: object) -> str:
        """Continuation key: normalised tokens without legal-form words."""
        return " ".join(tokens(name, self.legal))

    def strict(self, beneficiary: object) -> str | None:
        """Actor whose name/alias is a contiguous token run of the beneficiary (or acronym >= 3 letters)."""
        toks = tokens(beneficiary, self.legal)
        joined = " " + " ".join(toks) + " "
        for actor, v in self.variants:
            if " " + " ".join(v) + " " in joined:
                return actor
        for t in toks:
            if len(t) >= 3 and t in self.acronyms:
                return self.acronyms[t]
        return None

    def loose(self, beneficiary: object) -> str | None:
        """Any plausible match: all tokens of a variant present, any acronym (>= 2 letters) as a
        token, or the initials of a beneficiary of 3 words or more equal to an actor token or acronym."""
        toks = tokens(beneficiary, self.legal)
        tset = set(toks)
        for actor, v in self.variants:
            if set(v) <= tset:
                return actor
        for t in toks:
            if len(t) >= 2 and t in self.acronyms:
                return self.acronyms[t]
        if len(toks) >= 3:
            ini = _acronym(toks)
            singles = {v[0]: a for a, v in self.variants if len(v) == 1}
            if ini in self.acronyms:
                return self.acronyms[ini]
            if ini in singles:
                return singles[ini]
        return None


def token_set_similarity(a: str, b: str, token_threshold: float = 0.9) -> float:
    """Jaccard index of two keys' word sets, two words counting as equal when their spelling is
    close (difflib ratio >= token_threshold). Used to make sure that no fuzzy name match adds
    continuations beyond the designed ones."""
    import difflib

    ta, tb = sorted(set(a.split())), sorted(set(b.split()))
    if not ta or not tb:
        return 0.0
    free = list(tb)
    matched = 0
    for t in ta:
        if t in free:
            free.remove(t)
            matched += 1
            continue
        best = max(free, key=lambda u: difflib.SequenceMatcher(None, t, u, autojunk=False).ratio(), default=None)
        if best is not None and difflib.SequenceMatcher(None, t, best, autojunk=False).ratio() >= token_threshold:
            free.remove(best)
            matched += 1
    return matched / (len(ta) + len(tb) - matched)


# ------------------------------------------------------------------ survey: operation numbers

_OPNUM = re.compile(r"(?<![0-9])([0-9](?:[ \u00a0]?[0-9]){8})(?![0-9])")


def survey_numbers(text: object) -> list[str]:
    """9-digit operation numbers named in a free-text answer (spaces inside numbers tolerated)."""
    if text is None:
        return []
    return [re.sub(r"[ \u00a0]", "", m) for m in _OPNUM.findall(str(text))]


def theme_hits(text: object, patterns: dict[str, str]) -> list[str]:
    t = normalise(text)
    if not t:
        return []
    return [name for name, p in patterns.items() if whole_words(p).search(t)]

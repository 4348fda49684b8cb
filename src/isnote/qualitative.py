"""Qualitative reading of the survey's free observations (section 5.3 of the note).

Themes come from the parameter file `survey_reading` (default `params/survey_reading.yaml`):
per theme a French label, an optional intro and a pattern over normalised text (whole words,
as the keyword groups). An answer belongs to every theme it matches.

Quotes (data, always escaped) are chosen per theme, in the order of the themes, by this rule:
1. answers of the theme not yet quoted under an earlier theme, of at most `quote_max_chars`
   characters (default 180);
2. one answer per type of managing body first, then a second one per type, and so on;
3. within that, the shortest answers first, then by respondent number;
4. at most `quotes_per_theme` quotes (default 3).
The rule is deterministic: the same answers give the same quotes.
"""

from __future__ import annotations

import re
from typing import Mapping

import pandas as pd

from .display import esc
from .errors import InputError
from .frnum import fmt_int, fmt_pct
from .textsearch import normalise

DEFAULT_FILE = "params/survey_reading.yaml"
DEFAULT_QUOTES = 3
DEFAULT_MAX_CHARS = 180

BODY_LABELS = {"AGD": "autorité de gestion déléguée", "OI CD": "conseil départemental",
               "OI PLIE pivot": "PLIE pivot", "OI PLIE": "PLIE", "Autre OI": "autre organisme intermédiaire"}


def spec(params: Mapping) -> dict:
    from .config import load_yaml, resolve

    path = resolve(params.get("survey_reading") or DEFAULT_FILE)
    if not path.is_file():
        return {}
    data = load_yaml(path) or {}
    themes = data.get("themes") or {}
    order = [t for t in (data.get("order") or list(themes)) if t in themes]
    order += [t for t in themes if t not in order]
    out = []
    for key in order:
        pattern = str(themes[key].get("pattern") or "")
        regex = rf"\b(?:{pattern})\b"
        try:
            re.compile(regex)
        except re.error as exc:
            raise InputError(path, f"expression du thème {key!r} invalide ({exc})", column=key, value=pattern) from None
        out.append({"key": key, "label": str(themes[key].get("label", key)), "intro": str(themes[key].get("intro") or ""),
                    "regex": regex})
    return {"themes": out, "quotes": int(data.get("quotes_per_theme", DEFAULT_QUOTES)),
            "max_chars": int(data.get("quote_max_chars", DEFAULT_MAX_CHARS))}


def classify(observations: pd.DataFrame, themes: list[dict]) -> pd.DataFrame:
    """`observations` (respondent_id, body_type, observations) + a bool column per theme."""
    obs = observations.copy()
    text = obs["observations"].astype("string").fillna("")
    norm = normalise(text)
    for t in themes:
        obs[f"theme_{t['key']}"] = norm.str.contains(t["regex"], regex=True).fillna(False).astype(bool)
    return obs


def pick_quotes(rows: pd.DataFrame, n: int, max_chars: int, used: set) -> pd.DataFrame:
    """The quotes of one theme by the documented rule (vectorised)."""
    text = rows["observations"].astype("string").str.strip()
    cand = rows.assign(_len=text.str.len(), _text=text)
    cand = cand[(cand["_len"] <= max_chars) & ~cand["respondent_id"].isin(used)]
    cand = cand.sort_values(["_len", "respondent_id"], kind="stable")
    body = cand["body_type"].astype("string").fillna("") if "body_type" in cand.columns else pd.Series("", index=cand.index)
    cand = cand.assign(_turn=cand.groupby(body, sort=False).cumcount())
    return cand.sort_values(["_turn", "_len", "respondent_id"], kind="stable").head(n)


def reading(observations: pd.DataFrame, params: Mapping) -> list[dict]:
    """Per theme: key, label, intro, count, share of the observations, quotes [(text, body type)]."""
    sp = spec(params)
    if not sp or observations is None or observations.empty:
        return []
    obs = classify(observations, sp["themes"])
    total = len(obs)
    used: set = set()
    out = []
    for t in sp["themes"]:
        rows = obs[obs[f"theme_{t['key']}"]]
        quotes = pick_quotes(rows, sp["quotes"], sp["max_chars"], used)
        used |= set(quotes["respondent_id"])
        out.append({**{k: t[k] for k in ("key", "label", "intro")}, "count": int(len(rows)),
                    "share": len(rows) / total if total else None, "total": total,
                    "quotes": list(zip(quotes["_text"].tolist(),
                                       quotes.get("body_type", pd.Series(dtype="string")).astype("string")
                                       .fillna("").tolist()))})
    return out


def reading_html(observations: pd.DataFrame, params: Mapping) -> str:
    """The qualitative reading as note HTML: a heading per theme, its count, its quotes (escaped)."""
    themes = reading(observations, params)
    if not themes:
        return ""
    total = themes[0]["total"]
    parts = ['<div class="isn-reading">',
             f"<p>Les {esc(fmt_int(total))} observations libres ont été lues et rangées par thème ; une même "
             "réponse peut relever de plusieurs thèmes. Les citations, reproduites telles qu’écrites, sont les "
             "réponses les plus brèves de chaque thème, en variant les types de gestionnaires.</p>"]
    for t in themes:
        if not t["count"]:
            continue
        n = t["count"]
        count = f"{fmt_int(n)} {'structure' if n < 2 else 'structures'}"
        parts.append(f"<h3>{esc(t['label'])}</h3>")
        parts.append(f"<p>{esc(t['intro'])} Il apparaît dans les observations de {esc(count)}, soit "
                     f"{esc(fmt_pct(t['share']))} des répondants qui se sont exprimés.</p>" if t["intro"] else
                     f"<p>Ce thème apparaît dans les observations de {esc(count)}, soit "
                     f"{esc(fmt_pct(t['share']))} des répondants qui se sont exprimés.</p>")
        for text, body in t["quotes"]:
            who = BODY_LABELS.get(body, body)
            parts.append(f'<blockquote class="isn-quote"><p>« {esc(text)} »'
                         + (f' <span class="isn-quote-who">({esc(who)})</span>' if who else "")
                         + "</p></blockquote>")
    parts.append("</div>")
    return "".join(parts)

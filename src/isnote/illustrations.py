"""Operations the note illustrates first (parameter `illustrations`).

The parameter names a YAML file whose `operations` list gives, per operation, `programme` (fse,
iej), `title` and/or `beneficiary` (at least one). The demo points at the operations the
published 2019 note showed (params/illustrations_note_2019.yaml). An entry with a title matches
the operations of its programme with that title (and that beneficiary when it gives one); an
entry without title matches every operation of its beneficiary. Texts are compared normalised
(lower case, no accents, punctuation and apostrophes as spaces: isnote.textsearch), so that
« Régie de quartier » and « REGIE DE QUARTIER » agree.

The extracts of the results (isnote.tables.extracts) treat a matched operation as emblematic:
within its category and axis it comes first, and it is shown even beyond `extract_max_rows`.
No parameter → no operation is flagged (the published lists).
"""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from .contextfacts import read_file
from .errors import InputError


def entries(params: Mapping) -> pd.DataFrame:
    """The listed operations: programme, title, beneficiary (normalised; empty text when not given)."""
    cols = ["programme", "title", "beneficiary"]
    if not params.get("illustrations"):
        return pd.DataFrame(columns=cols, dtype="string")
    path, data = read_file(params, "illustrations")
    ops = (data or {}).get("operations") if isinstance(data, Mapping) else None
    if not isinstance(ops, list):
        raise InputError(path, "liste « operations » attendue", column="operations",
                         expected="operations: [{programme: fse, title: ..., beneficiary: ...}, ...]")
    rows = []
    for i, op in enumerate(ops, start=1):
        if not isinstance(op, Mapping) or not (op.get("title") or op.get("beneficiary")):
            raise InputError(path, f"opération n° {i} de la liste sans intitulé ni porteur", row=i,
                             column="operations", expected="un intitulé (title) ou un porteur (beneficiary)")
        rows.append({c: str(op.get(c) or "") for c in cols})
    frame = pd.DataFrame(rows, columns=cols)
    from .tables import normalise

    for c in ("title", "beneficiary"):
        frame[c] = normalise(frame[c])
    frame["programme"] = frame["programme"].str.strip().str.lower()
    return frame


def flag(frame: pd.DataFrame, params: Mapping) -> pd.Series:
    """True for the rows of `frame` (programme, title, beneficiary) that the list names."""
    listed = entries(params)
    out = pd.Series(False, index=frame.index)
    if listed.empty or frame.empty:
        return out
    from .tables import normalise

    prog = frame["programme"].astype("string").str.strip().str.lower().fillna("")
    title = normalise(frame["title"]) if "title" in frame.columns else pd.Series("", index=frame.index)
    ben = normalise(frame["beneficiary"]) if "beneficiary" in frame.columns else pd.Series("", index=frame.index)
    keys = pd.DataFrame({"programme": prog, "title": title, "beneficiary": ben}, index=frame.index)
    both = listed[listed["title"].ne("") & listed["beneficiary"].ne("")]
    only_title = listed[listed["title"].ne("") & listed["beneficiary"].eq("")]
    only_ben = listed[listed["title"].eq("")]
    key3 = pd.MultiIndex.from_frame(keys[["programme", "title", "beneficiary"]])
    out |= key3.isin(pd.MultiIndex.from_frame(both[["programme", "title", "beneficiary"]])) if len(both) else False
    if len(only_title):
        key2 = pd.MultiIndex.from_frame(keys[["programme", "title"]])
        out |= key2.isin(pd.MultiIndex.from_frame(only_title[["programme", "title"]]))
    if len(only_ben):
        key2 = pd.MultiIndex.from_frame(keys[["programme", "beneficiary"]])
        out |= key2.isin(pd.MultiIndex.from_frame(only_ben[["programme", "beneficiary"]]))
    return out.astype(bool)


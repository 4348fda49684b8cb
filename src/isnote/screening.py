"""Screening: from the operations of the current wave to a list of candidates, with evidence.

Sources of a candidate (each a flag, see docs/architecture.md):
- text: a whole-word hit of a keyword group marked `preidentify` in params/keywords.yaml, in any
  text field (title, beneficiary, call title, description, actions, results);
- actor: the beneficiary's name matches an ecosystem actor of params/actors.yaml;
- survey: the operation number is named in the free text of the managing bodies' survey;
- lot 5: the operation is on the IEJ lot-5 list;
- continuation (a flag, not a source): the candidate's beneficiary had an operation retained in
  the previous wave (exact or close name), shown apart as a possible continuation.
Pre-identified = text or actor. A keyword group is strong (`role: strong`, it pre-identifies) or
weak (it only raises the ranking score); a strong structured signal (isnote.signals: intervention
category, specific objective) counts as the text source. Every operation of the wave is ranked
(isnote.ranking): score, rank and the signals that raised it, for the candidates too. Suggested
scores and category only help the reviewer: the decision is the review register's (isnote.review).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .config import Params
from .errors import InputError
from .signals import compile_structured, structured_evidence, structured_hits
from .textsearch import (CRITERIA, CRITERION_LABELS, GROUP_ROLE_LABELS, STR_DTYPE, Group, _to_arrow,
                         compile_groups, encode_text, find_hits, match_actors_detail, match_names, normalise)

TEXT_FIELDS = ("title", "beneficiary", "call_title", "description", "actions", "results", "category_label")
FIELD_LABELS = {"title": "intitulé", "beneficiary": "bénéficiaire", "call_title": "appel à projets",
                "description": "description", "actions": "contenu des actions", "results": "bilan",
                "category_label": "catégorie d'intervention"}
SOURCE_LABELS = {"src_text": "texte", "src_actor": "acteur", "src_survey": "enquête",
                 "src_lot5": "lot 5"}
SCORE_COLUMNS = list(CRITERIA.values())

REF_IN_WAVE = "retenue dans la vague"
REF_NOT_FOUND = "absente de la base"
REF_OUT_OF_WINDOW = "hors fenêtre de la vague"

# A 9-digit operation number, possibly written with single spaces, dots or hyphens between its
# digits ("2017 00123", "201.700.123"); never glued to another digit on either side, so two
# numbers separated by a space are read as two numbers.
SURVEY_NUMBER_RX = r"(?<!\d)(\d(?:[ \u00a0\u202f.\-]?\d){8})(?!\d)"


@dataclass
class TextScreen:
    """Text part of the screening, aligned on the rows of the operations given."""

    hits: pd.DataFrame          # long: row, field, group, count, match, context
    counts: pd.DataFrame        # wide: hits_<group> per row (RangeIndex of the operations)
    actor: pd.Series            # matched actor name or NA per row
    actor_key: pd.Series | None = None   # the normalised words of the name that matched the actor
    encoded: dict | None = None          # field -> textsearch.EncodedText (reused for the evidence)


@dataclass
class ScreeningResult:
    candidates: pd.DataFrame
    funnel: dict
    survey_refs: pd.DataFrame
    key_figures: dict
    hits: pd.DataFrame = field(default_factory=pd.DataFrame)        # evidence, long form
    groups: list[Group] = field(default_factory=list)
    ranking: pd.DataFrame = field(default_factory=pd.DataFrame)     # every operation of the wave
    ranking_kf: dict = field(default_factory=dict)                  # `ranking` key-figures block
    signals: list = field(default_factory=list)                     # structured signals


# --------------------------------------------------------------------------------------------
# text and actors


def text_screen(operations: pd.DataFrame, groups: Sequence[Group], actors_yaml: Mapping,
                *, evidence: bool = True) -> TextScreen:
    """Keyword hits on the text fields and actor matching, vectorised.

    Rows are identified by position (`row`, 0..n-1) so that operation numbers need not be unique
    across programmes.
    """
    ops = operations.reset_index(drop=True)
    frame = pd.DataFrame({"row": np.arange(len(ops), dtype=np.int64)})
    # each field normalised once, on its distinct texts; kept for the evidence and the actors
    encoded = {f: encode_text(ops[f]) for f in TEXT_FIELDS if f in ops.columns}
    hits = find_hits(frame, TEXT_FIELDS, groups, evidence=evidence, id_column="row", encoded=encoded)
    hits = hits.rename(columns={"op_id": "row"})
    names = [g.name for g in groups]
    if len(hits):
        wide = hits.pivot_table(index="row", columns="group", values="count", aggfunc="sum", observed=True)
    else:
        wide = pd.DataFrame()
    wide = wide.reindex(index=range(len(ops)), columns=names).fillna(0).astype("int64")
    wide.columns = [f"hits_{c}" for c in names]
    wide.index = pd.RangeIndex(len(ops))
    found = match_actors_detail(ops["beneficiary"] if "beneficiary" in ops.columns
                                else pd.Series([pd.NA] * len(ops), dtype=STR_DTYPE), actors_yaml,
                                encoded=encoded.get("beneficiary"))
    found.index = pd.RangeIndex(len(ops))
    return TextScreen(hits=hits, counts=wide, actor=found["actor"].rename("actor"), actor_key=found["actor_key"],
                      encoded=encoded)


def evidence_hits(operations: pd.DataFrame, rows: np.ndarray, groups: Sequence[Group],
                  encoded: Mapping | None = None) -> pd.DataFrame:
    """Keyword hits with their context for the given rows only (the candidates): the costly
    context extraction is not done for the whole wave. `row` refers to `operations`' positions.
    `encoded`: the fields as `text_screen` encoded them (TextScreen.encoded), not normalised again."""
    rows = np.asarray(rows, dtype=np.int64)
    if encoded is not None:
        sub = {f: e.subset(rows) for f, e in encoded.items()}
        hits = find_hits(pd.DataFrame({"row": rows}), TEXT_FIELDS, groups, evidence=True, id_column="row",
                         encoded=sub)
        return hits.rename(columns={"op_id": "row"})
    ops = operations.reset_index(drop=True)
    frame = pd.DataFrame({"row": rows})
    for f in TEXT_FIELDS:
        if f in ops.columns:        # a take that keeps the column's (Arrow) storage: no object copy
            frame[f] = ops[f].take(rows).reset_index(drop=True) if len(rows) else ops[f].iloc[:0].to_numpy()
    hits = find_hits(frame, TEXT_FIELDS, groups, evidence=True, id_column="row")
    return hits.rename(columns={"op_id": "row"})


# --------------------------------------------------------------------------------------------
# survey references


def extract_survey_numbers(text: pd.Series) -> pd.DataFrame:
    """9-digit numbers in free text: one row per number found (columns: index of `text`, raw, op_id).

    Handles prefixes ("n°", "dossier", "MDFSE-"), spaces, dots or hyphens inside a number, and
    several numbers per answer separated by commas, "et", "/", ";" or spaces.
    """
    obj = text.astype(object).where(text.notna(), None)
    found = pd.Series(obj, index=text.index, dtype=object).str.extractall(SURVEY_NUMBER_RX)
    if found.empty:
        return pd.DataFrame({"index": pd.Series(dtype="int64"), "raw": pd.Series(dtype=STR_DTYPE),
                             "op_id": pd.Series(dtype=STR_DTYPE)})
    raw = found[0].astype(STR_DTYPE)
    out = pd.DataFrame({"index": found.index.get_level_values(0), "raw": raw.to_numpy(),
                        "op_id": raw.str.replace(r"\D", "", regex=True).to_numpy()})
    return out.reset_index(drop=True)


def survey_references(survey: pd.DataFrame, operations: pd.DataFrame, current_wave: str,
                      excluded: pd.DataFrame | None = None) -> pd.DataFrame:
    """Operation numbers named in the survey, with their status.

    Columns: respondent_id, raw, op_id, status (retenue dans la vague | absente de la base |
    hors fenêtre de la vague), programme, wave (of the operation when found).
    """
    cols = ["respondent_id", "raw", "op_id", "status", "programme", "wave"]
    if survey is None or len(survey) == 0 or "operations_named" not in survey.columns:
        return pd.DataFrame({c: pd.Series(dtype=STR_DTYPE) for c in cols})
    sv = survey.reset_index(drop=True)
    nums = extract_survey_numbers(sv["operations_named"])
    resp = sv["respondent_id"].astype(STR_DTYPE) if "respondent_id" in sv.columns \
        else pd.Series(np.arange(len(sv)).astype(str), dtype=STR_DTYPE)
    refs = pd.DataFrame({"respondent_id": resp.iloc[nums["index"].to_numpy()].to_numpy(),
                         "raw": nums["raw"].to_numpy(), "op_id": nums["op_id"].to_numpy()})
    refs = refs.drop_duplicates(["respondent_id", "op_id"]).reset_index(drop=True)
    ops = operations[["op_id", "programme", "wave"]].astype(str).drop_duplicates("op_id")
    refs = refs.merge(ops, on="op_id", how="left")
    in_base = refs["wave"].notna()
    status = np.where(refs["wave"].eq(current_wave), REF_IN_WAVE,
                      np.where(in_base, REF_OUT_OF_WINDOW, REF_NOT_FOUND))
    if excluded is not None and len(excluded) and "reason" in excluded.columns:
        win = excluded.loc[excluded["reason"].astype(str).str.contains("fenêtre", regex=False), "op_id"]
        status = np.where(~in_base & refs["op_id"].isin(set(win.astype(str))), REF_OUT_OF_WINDOW, status)
    refs["status"] = status
    refs = refs[cols]
    for c in cols:
        refs[c] = refs[c].astype(STR_DTYPE)
    return refs.sort_values(["respondent_id", "op_id"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# helpers


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(what, f"colonne(s) absente(s) : {', '.join(missing)}",
                         expected="les colonnes " + ", ".join(columns))


def _decided(register: pd.DataFrame | None) -> pd.DataFrame:
    """Register rows as strings: op_id, programme, vague, decision."""
    cols = ["op_id", "programme", "vague", "decision"]
    if register is None or len(register) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    reg = register.copy()
    for c in cols:
        if c not in reg.columns:
            reg[c] = ""
        reg[c] = reg[c].astype("string").fillna("").str.strip().astype(object)
    return reg[cols]


def _register_status(ops: pd.DataFrame, register: pd.DataFrame | None) -> pd.Series:
    """Decision recorded for each row of `ops` ('' when none), matched on (op_id, programme)."""
    reg = _decided(register)
    key = ops[["op_id", "programme"]].astype(str).reset_index(drop=True)
    exact = key.merge(reg[reg["programme"] != ""].drop_duplicates(["op_id", "programme"]),
                      on=["op_id", "programme"], how="left")["decision"]
    # rows of the register without a programme are matched on op_id alone
    loose = key.merge(reg[reg["programme"] == ""].drop_duplicates("op_id")[["op_id", "decision"]],
                      on="op_id", how="left")["decision"]
    return exact.fillna(loose).fillna("").astype(str)


def _continuations(cur: pd.DataFrame, ops: pd.DataFrame, register: pd.DataFrame | None,
                   previous_wave: str | None, legal_words: Sequence[str]) -> pd.Series:
    """For each current-wave row: `;`-joined op ids of the previous wave, retained, same beneficiary."""
    out = pd.Series("", index=cur.index, dtype=object)
    if not previous_wave or register is None or "beneficiary" not in ops.columns:
        return out
    reg = _decided(register)
    kept = reg[(reg["vague"] == previous_wave) & (reg["decision"] == "retenue")]
    if kept.empty:
        return out
    prev_ops = ops[ops["wave"].astype(str) == previous_wave][["op_id", "programme", "beneficiary"]].astype(
        {"op_id": str, "programme": str})
    prev = prev_ops.merge(kept[["op_id", "programme"]], on=["op_id", "programme"], how="inner")
    if prev.empty:
        prev = prev_ops[prev_ops["op_id"].isin(set(kept["op_id"]))]
    if prev.empty:
        return out
    prev = prev.reset_index(drop=True)
    pairs = match_names(cur["beneficiary"], prev["beneficiary"], legal_words)
    if pairs.empty:
        return out
    pairs["prev_op"] = prev.loc[pairs["right"].to_numpy(), "op_id"].to_numpy()
    joined = (pairs.sort_values(["left", "prev_op"]).drop_duplicates(["left", "prev_op"])
              .groupby("left")["prev_op"].agg(";".join))
    out.loc[joined.index] = joined.to_numpy()
    return out


def _typology_rules(typology: Mapping, source) -> list[tuple[str, str, str]]:
    rules = []
    keys = set((typology.get("categories") or {}).keys())
    for i, r in enumerate(typology.get("rules") or []):
        cat = str(r.get("category", ""))
        if cat not in keys:
            raise InputError(source, "règle vers une catégorie inconnue", column=f"rules[{i}].category",
                             value=cat, expected=", ".join(sorted(keys)))
        pattern = str(r.get("pattern") or "")
        rules.append((cat, str(r.get("name") or cat), pattern))
    return rules


def suggest_category(docs: pd.Series, typology: Mapping, source="typology.yaml") -> pd.DataFrame:
    """Suggested category and the rule that fired (first matching rule, whole words).

    `docs` holds normalised text. A rule with an empty pattern matches everything (fallback).
    """
    cat = pd.Series(pd.NA, index=docs.index, dtype=STR_DTYPE)
    rule = pd.Series(pd.NA, index=docs.index, dtype=STR_DTYPE)
    arr = pc.fill_null(_to_arrow(docs), "")
    for category, name, pattern in _typology_rules(typology, source):
        if pattern.strip():
            try:
                hit = pc.match_substring_regex(arr, rf"\b(?:{pattern})\b")
            except pa.ArrowInvalid as exc:
                raise InputError(source, f"expression régulière invalide ({exc})", column=f"rules.{name}",
                                 value=pattern) from None
            hit = np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
        else:
            hit = np.ones(len(docs), dtype=bool)
        free = cat.isna().to_numpy() & hit
        cat[free] = category
        rule[free] = name
    return pd.DataFrame({"suggested_category": cat, "category_rule": rule})


def suggested_scores(counts: pd.DataFrame, groups: Sequence[Group]) -> pd.DataFrame:
    """0-2 per criterion: 0 without hit, 1 for one hit, 2 for two or more (all groups of it)."""
    out = {}
    for criterion, column in CRITERIA.items():
        cols = [f"hits_{g.name}" for g in groups if g.criterion == criterion]
        total = counts[cols].sum(axis=1) if cols else pd.Series(0, index=counts.index)
        out[column] = total.clip(upper=2).astype("int64")
    return pd.DataFrame(out, index=counts.index)


def _evidence(hits: pd.DataFrame, groups: Sequence[Group], rows: np.ndarray) -> pd.Series:
    """Evidence text per row: one `field · group · «… context …»` line per hit."""
    label = {g.name: g.label for g in groups}
    h = hits[hits["row"].isin(rows)]
    if h.empty:
        return pd.Series(dtype=object)
    lines = (h["field"].map(FIELD_LABELS).fillna(h["field"]).astype(str) + " · "
             + h["group"].map(label).astype(str) + " · «… " + h["context"].astype(str) + " …»")
    return lines.groupby(h["row"].to_numpy()).agg("\n".join)


def normalised_documents(ops: pd.DataFrame) -> pd.Series:
    """All text fields of each operation, normalised, one line per field."""
    arrays = [pc.fill_null(normalise(_to_arrow(ops[f])), "") for f in TEXT_FIELDS if f in ops.columns]
    if not arrays:
        return pd.Series([""] * len(ops), index=ops.index, dtype=STR_DTYPE)
    doc = pc.binary_join_element_wise(*arrays, pa.scalar("\n", pa.large_string()))
    return pd.Series(pd.array(doc, dtype=STR_DTYPE), index=ops.index)


# --------------------------------------------------------------------------------------------
# the screening


def screen(operations: pd.DataFrame, survey: pd.DataFrame | None, lot5: pd.DataFrame | None,
           register: pd.DataFrame | None, params: Params, *, excluded: pd.DataFrame | None = None,
           groups: Sequence[Group] | None = None, actors: Mapping | None = None,
           typology: Mapping | None = None, signals: Sequence | None = None) -> ScreeningResult:
    """Screen the current wave (params `current_wave`) of both programmes.

    `register` is the review register (isnote.review.read_register); `excluded` (optional) lets
    survey numbers of operations outside every wave window be reported as such.
    """
    _require(operations, ["op_id", "programme", "wave", "beneficiary"], "operations.parquet")
    cw = str(params["current_wave"])
    pw = params.get("previous_wave")
    pw = str(pw) if pw is not None else None
    groups = list(groups) if groups is not None else compile_groups(params.path("keywords"))
    actors = actors if actors is not None else params.yaml("actors")
    typology = typology if typology is not None else params.yaml("typology")

    ops = operations.reset_index(drop=True).copy()
    ops["op_id"] = ops["op_id"].astype(str).str.strip()
    ops["programme"] = ops["programme"].astype(str)
    ops["wave"] = ops["wave"].astype(str)
    cur = ops[ops["wave"] == cw].reset_index(drop=True)

    if signals is None:
        signals = compile_structured(params.yaml("keywords"), params.path("keywords")) \
            if params.get("keywords") else []
    signals = list(signals)

    ts = text_screen(cur, groups, actors, evidence=False)      # evidence: for the candidates only (below)
    pre_cols = [f"hits_{g.name}" for g in groups if g.preidentify]
    src_text = (ts.counts[pre_cols].sum(axis=1) > 0).to_numpy() if pre_cols else np.zeros(len(cur), bool)
    sflags = structured_hits(cur, signals)
    strong_sig = [f"sig_{x.name}" for x in signals if x.preidentify]
    if strong_sig:                     # a strong structured signal counts as the text source
        src_text = src_text | (sflags[strong_sig].sum(axis=1) > 0).to_numpy()
    src_actor = ts.actor.notna().to_numpy()

    refs = survey_references(survey, ops, cw, excluded)
    survey_ids = set(refs.loc[refs["status"] == REF_IN_WAVE, "op_id"])
    src_survey = cur["op_id"].isin(survey_ids).to_numpy()
    lot5_ids: set[str] = set()
    if lot5 is not None and len(lot5):
        _require(lot5, ["op_id"], "lot5.parquet")
        lot5_ids = set(lot5["op_id"].astype(str).str.strip())
    src_lot5 = cur["op_id"].isin(lot5_ids).to_numpy()
    pre = src_text | src_actor
    is_cand = pre | src_survey | src_lot5
    # possible continuations: candidates whose beneficiary had an operation retained in the
    # previous wave (a flag shown apart, not a source: the candidate set stays small)
    cont_of = pd.Series("", index=cur.index, dtype=object)
    cand_rows = np.flatnonzero(is_cand)
    if len(cand_rows):
        found = _continuations(cur.iloc[cand_rows], ops, register, pw, actors.get("legal_form_words") or [])
        cont_of.iloc[cand_rows] = found.to_numpy()
    continuation = (cont_of != "").to_numpy()
    decision = _register_status(cur, register)

    # ---- candidates
    rows = np.flatnonzero(is_cand)
    cand = cur.loc[rows, ["op_id", "programme", "wave"]].reset_index(drop=True)
    flags = {"src_text": src_text, "src_actor": src_actor, "src_survey": src_survey, "src_lot5": src_lot5}
    for k, v in flags.items():
        cand[k] = v[rows]
    cand["preidentified"] = pre[rows]
    cand["sources"] = _join_lines([pd.Series(np.where(v[rows], SOURCE_LABELS[k], ""), dtype=object)
                                   for k, v in flags.items()], ";")
    cand["continuation"] = continuation[rows]
    cand["continuation_of"] = cont_of.to_numpy()[rows]
    counts = ts.counts.iloc[rows].reset_index(drop=True)
    cand = pd.concat([cand, counts], axis=1)
    cand_hits = evidence_hits(cur, rows, groups, ts.encoded)
    ev = _evidence(cand_hits, groups, rows)
    extra = _source_evidence(cur, rows, ts.actor, refs, lot5, cont_of, pw)
    text_ev = pd.Series(rows).map(ev).fillna("").astype(object)
    sig_ev = pd.Series(structured_evidence(cur, signals, sflags).to_numpy()[rows], dtype=object)
    cand["evidence"] = _join_lines([text_ev, sig_ev, extra], "\n")
    cand["actor"] = ts.actor.iloc[rows].reset_index(drop=True)
    cand["actor_key"] = (ts.actor_key.iloc[rows].reset_index(drop=True) if ts.actor_key is not None
                         else pd.Series(pd.NA, index=cand.index, dtype=STR_DTYPE))
    for x in signals:
        cand[f"sig_{x.name}"] = sflags[f"sig_{x.name}"].to_numpy()[rows]
    ranked, ranking_kf = _ranking(cur, ts, sflags, groups, signals, actors, ops, register, pw)
    for c in ("score", "rank", "signals"):
        cand[c] = ranked[c].to_numpy()[rows]
    scores = suggested_scores(counts, groups)
    cand = pd.concat([cand, scores], axis=1)
    docs = normalised_documents(cur.loc[rows].reset_index(drop=True))
    cand = pd.concat([cand, suggest_category(docs, typology, params.path("typology"))], axis=1)
    for c in ("op_id", "programme", "wave", "sources", "continuation_of", "evidence", "actor", "actor_key",
              "suggested_category", "category_rule", "signals"):
        cand[c] = cand[c].astype(STR_DTYPE)
    for c in ("src_text", "src_actor", "src_survey", "src_lot5", "preidentified", "continuation"):
        cand[c] = cand[c].astype(bool)
    cand = cand.sort_values(["programme", "op_id"], kind="stable").reset_index(drop=True)

    # ---- funnel and key figures
    funnel = _funnel(cur, pre, src_text, src_actor, src_survey, src_lot5, continuation, is_cand,
                     decision, refs, lot5_ids, ops, cw)
    kf = _key_figures(funnel, cw)
    ranking_all = pd.concat([cur[["op_id", "programme"]].reset_index(drop=True), ranked,
                             pd.DataFrame({"preidentified": pre, "candidate": is_cand})], axis=1)
    ranking_all = ranking_all.sort_values("rank", kind="stable").reset_index(drop=True)
    return ScreeningResult(candidates=cand, funnel=funnel, survey_refs=refs, key_figures=kf,
                           hits=_hits_with_ids(cand_hits, cur), groups=list(groups), ranking=ranking_all,
                           ranking_kf=ranking_kf, signals=signals)


def _ranking(cur: pd.DataFrame, ts: TextScreen, sflags: pd.DataFrame, groups, signals, actors: Mapping,
             ops: pd.DataFrame, register: pd.DataFrame | None, pw: str | None) -> tuple[pd.DataFrame, dict]:
    """Score and rank of every operation of the wave (isnote.ranking); the model is learnt from the
    decisions of the previous wave when the register holds some."""
    from . import ranking as rk

    actor_weight = float(actors.get("actor_weight", 2.0)) if isinstance(actors, Mapping) else 2.0
    feats = rk.build_features(ts.counts, groups, sflags, signals, ts.actor, actor_weight)
    train, y, evaluation = None, None, None
    if pw is not None and register is not None and len(register):
        prev = ops[ops["wave"] == pw].reset_index(drop=True)
        decision = _register_status(prev, register).to_numpy()
        if len(prev) and (decision != "").any():
            prev = prev.assign(_o=np.arange(len(prev))).sort_values(["programme", "op_id"], kind="stable")
            decision = decision[prev["_o"].to_numpy()]
            prev = prev.drop(columns="_o").reset_index(drop=True)
            pts = text_screen(prev, groups, actors, evidence=False)
            train = rk.build_features(pts.counts, groups, structured_hits(prev, signals), signals, pts.actor,
                                      actor_weight)
            y = (decision == "retenue").astype("int64")
            evaluation = rk.evaluate(train, y, int((decision != "").sum()))
            evaluation["wave"] = pw
    model = rk.fit(train, y, feats)
    ranked = rk.rank(feats, model)
    return ranked, rk.key_figures(model, feats, evaluation, pw, ranked)


def _hits_with_ids(hits: pd.DataFrame, cur: pd.DataFrame) -> pd.DataFrame:
    h = hits.copy()
    h.insert(0, "op_id", cur["op_id"].to_numpy()[h["row"].to_numpy()] if len(h) else [])
    h.insert(1, "programme", cur["programme"].to_numpy()[h["row"].to_numpy()] if len(h) else [])
    return h.drop(columns=["row"])


def _join_lines(parts: Sequence[pd.Series], sep: str) -> pd.Series:
    """Join the non-empty strings of aligned Series with `sep`, row by row (vectorised)."""
    if not parts or len(parts[0]) == 0:
        return pd.Series([], dtype=object)
    out = pd.Series("", index=parts[0].index, dtype=object)
    for p in parts:
        p = p.fillna("").astype(str).to_numpy()
        out = pd.Series(np.where((out != "") & (p != ""), out + sep + p, out + p), index=out.index, dtype=object)
    return out


def _source_evidence(cur: pd.DataFrame, rows: np.ndarray, actor: pd.Series, refs: pd.DataFrame,
                     lot5: pd.DataFrame | None, cont_of: pd.Series, pw: str | None) -> pd.Series:
    """Evidence lines of the non-text sources for the candidate rows."""
    ids = pd.Series(cur["op_id"].to_numpy()[rows], dtype=object)
    act = pd.Series(actor.to_numpy()[rows], dtype=object)
    l_actor = ("bénéficiaire · acteur de l'écosystème · «" + act.fillna("") + "»").where(act.notna(), "")
    named = refs[refs["status"] == REF_IN_WAVE].groupby("op_id")["respondent_id"].agg(
        lambda s: ", ".join(sorted(set(s.astype(str)))))
    resp = ids.map(named).astype(object)
    l_survey = ("enquête gestionnaires · répondant(s) " + resp.fillna("")).where(resp.notna(), "")
    l_lot5 = pd.Series("", index=ids.index, dtype=object)
    if lot5 is not None and len(lot5):
        t = lot5.assign(op_id=lot5["op_id"].astype(str).str.strip()).drop_duplicates("op_id")
        titles = (t.set_index("op_id")["title"].fillna("").astype(str) if "title" in t.columns
                  else pd.Series("", index=t["op_id"]))
        title = ids.map(titles).astype(object)
        shown = pd.Series(np.where(title.fillna("") != "", " · «" + title.fillna("") + "»", ""),
                          index=ids.index, dtype=object)
        l_lot5 = ("liste du lot 5 IEJ" + shown).where(title.notna(), "")
    cont = pd.Series(cont_of.to_numpy()[rows], dtype=object).fillna("")
    l_cont = (f"vague {pw} · même bénéficiaire retenu : " + cont.str.replace(";", ", ")).where(cont != "", "")
    return _join_lines([l_actor, l_survey, l_lot5, l_cont], "\n")


def _funnel(cur, pre, src_text, src_actor, src_survey, src_lot5, continuation, is_cand, decision,
            refs, lot5_ids, ops, cw) -> dict:
    funnel: dict = {"wave": cw}
    reviewed = decision.isin(["retenue", "ecartee"]).to_numpy()
    retained = decision.eq("retenue").to_numpy()
    prog = cur["programme"].to_numpy()
    for p in sorted(set(ops["programme"])):
        m = prog == p
        lot5_prog = ops[(ops["programme"] == p) & ops["op_id"].isin(lot5_ids)]
        funnel[p] = {
            "analysed": int(m.sum()),
            "preidentified": int((m & pre).sum()),
            "preidentified_text": int((m & src_text).sum()),
            "preidentified_actor_only": int((m & src_actor & ~src_text).sum()),
            "added_survey": int((m & src_survey & ~pre).sum()),
            "added_lot5": int((m & src_lot5 & ~pre & ~src_survey).sum()),
            "candidates": int((m & is_cand).sum()),
            "reviewed": int((m & reviewed).sum()),
            "reviewed_candidates": int((m & is_cand & reviewed).sum()),
            "retained": int((m & retained).sum()),
            "retained_preidentified": int((m & retained & pre).sum()),
            "retained_not_candidate": int((m & retained & ~is_cand).sum()),
            "continuations": int((m & is_cand & continuation).sum()),
            "survey_in_wave": int((m & src_survey).sum()),
            "lot5_listed": int(len(lot5_prog)),
            "lot5_in_wave": int((m & src_lot5).sum()),
            "lot5_retained": int((m & src_lot5 & retained).sum()),
        }
    unique = refs.drop_duplicates("op_id")
    funnel["survey_refs"] = {
        "named": int(len(unique)),
        "in_wave": int((unique["status"] == REF_IN_WAVE).sum()),
        "not_found": int((unique["status"] == REF_NOT_FOUND).sum()),
        "out_of_window": int((unique["status"] == REF_OUT_OF_WINDOW).sum()),
    }
    funnel["lot5_listed"] = len(lot5_ids)
    return funnel


def complete_funnel(funnel: Mapping, candidates: pd.DataFrame, operations: pd.DataFrame,
                    register: pd.DataFrame | None, params: Params) -> dict:
    """The funnel with the outcome of the review (reviewed, retained...) from the register.

    The screening step computes what the texts, actors, survey and lot 5 give; the review outcome
    is added here, in the step that reads the current wave's decisions, so that a change of
    decision does not rerun the screening.
    """
    cw = str(params["current_wave"])
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in funnel.items()}
    ops = operations[["op_id", "programme", "wave"]]            # the keys only, not the texts
    ops = ops[ops["wave"].astype(str) == cw].reset_index(drop=True)
    ops = ops.assign(op_id=ops["op_id"].astype(str).str.strip(), programme=ops["programme"].astype(str))
    decision = _register_status(ops, register)
    reviewed = decision.isin(["retenue", "ecartee"]).to_numpy()
    retained = decision.eq("retenue").to_numpy()
    key = ops["programme"] + "|" + ops["op_id"]
    cand = candidates.assign(_k=candidates["programme"].astype(str) + "|" + candidates["op_id"].astype(str))
    is_cand = key.isin(cand["_k"]).to_numpy()
    def flagged(col: str) -> np.ndarray:
        if col not in cand.columns:
            return np.zeros(len(ops), dtype=bool)
        return key.isin(cand.loc[cand[col].fillna(False).astype(bool), "_k"]).to_numpy()

    pre = flagged("preidentified")
    lot5 = flagged("src_lot5")
    prog = ops["programme"].to_numpy()
    for p, block in out.items():
        if not isinstance(block, dict) or "analysed" not in block:
            continue
        m = prog == p
        block.update({
            "reviewed": int((m & reviewed).sum()),
            "reviewed_candidates": int((m & is_cand & reviewed).sum()),
            "retained": int((m & retained).sum()),
            "retained_preidentified": int((m & retained & pre).sum()),
            "retained_not_candidate": int((m & retained & ~is_cand).sum()),
            "lot5_retained": int((m & lot5 & retained).sum()),
        })
    return out


def key_figures(funnel: dict, cw: str) -> dict:
    """Public name of the `screening` key-figures block builder."""
    return _key_figures(funnel, cw)


def _key_figures(funnel: dict, cw: str) -> dict:
    """The `screening` block of key_figures.json (nesting of the published figures file)."""
    kf: dict = {}
    for p, block in funnel.items():
        if not isinstance(block, dict) or "analysed" not in block:
            continue
        entry = {k: block[k] for k in ("analysed", "preidentified", "added_survey", "added_lot5",
                                       "candidates", "reviewed", "retained", "continuations")}
        if block["lot5_listed"] or p == "iej":
            entry.update({k: block[k] for k in ("lot5_in_wave", "lot5_retained")})
            # the lot-5 list is the IEJ's: its length, whether or not each number is in the base
            entry["lot5_listed"] = funnel.get("lot5_listed", 0) if p == "iej" else block["lot5_listed"]
        kf[p] = {cw: entry}
    refs = funnel.get("survey_refs", {})
    if "fse" in kf:
        kf["fse"][cw].update({f"survey_{k}": v for k, v in refs.items()})
    return kf


# --------------------------------------------------------------------------------------------
# tables shown in the note (French labels; numbers formatted by the caller via formats)

FUNNEL_STEPS = [
    ("analysed", "Opérations analysées"),
    ("preidentified", "Pré-identifiées (mots-clés ou nom du porteur)"),
    ("preidentified_text", "dont repérées par les mots-clés"),
    ("preidentified_actor_only", "dont repérées par le seul nom du porteur"),
    ("added_survey", "Ajoutées : citées par l'enquête auprès des gestionnaires"),
    ("added_lot5", "Ajoutées : liste du lot 5 de l'évaluation IEJ"),
    ("candidates", "Opérations candidates à l'examen"),
    ("reviewed", "Opérations examinées (décision enregistrée)"),
    ("retained", "Opérations retenues"),
]


# rows of the funnel and sources tables that come from an input a run may not have (the managers'
# survey, the IEJ lot-5 list): left out when the key-figure block `perimeter` says it is absent
SOURCE_ROWS = {"survey": ("added_survey", "src_survey"), "lot5": ("added_lot5", "src_lot5")}


def absent_rows(perimeter: Mapping | None) -> set[str]:
    """Row keys of the tables to leave out for the inputs the run does not have."""
    perimeter = perimeter or {}
    return {k for src, keys in SOURCE_ROWS.items() if perimeter.get(src) is False for k in keys}


def funnel_table(funnel: dict, programme_labels: Mapping[str, str], perimeter: Mapping | None = None) -> pd.DataFrame:
    """Steps of the funnel in rows, one column per programme (integers)."""
    progs = [p for p in programme_labels if isinstance(funnel.get(p), dict)]
    rows = []
    skip = absent_rows(perimeter)
    for key, label in FUNNEL_STEPS:
        if key in skip:
            continue
        rows.append({"Étape": label, **{programme_labels[p]: int(funnel[p].get(key, 0)) for p in progs}})
    return pd.DataFrame(rows)


def groups_table(groups: Sequence[Group], criterion_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The keyword groups searched: label, role, criterion, number of expressions."""
    criterion_labels = criterion_labels or CRITERION_LABELS
    return pd.DataFrame([{
        "Groupe de mots-clés": g.label,
        "Rôle": GROUP_ROLE_LABELS[bool(g.preidentify)],
        "Critère de la grille": criterion_labels.get(g.criterion, "–") if g.criterion else "–",
        "Expressions": len(g.patterns),
    } for g in groups])


def sources_table(candidates: pd.DataFrame, programme_labels: Mapping[str, str],
                  perimeter: Mapping | None = None) -> pd.DataFrame:
    """Number of candidates flagged by each source (an operation may have several)."""
    flags = [("src_text", "Mots-clés dans les textes"), ("src_actor", "Nom du porteur (acteurs de l'écosystème)"),
             ("src_survey", "Enquête auprès des gestionnaires"), ("src_lot5", "Liste du lot 5 (IEJ)"),
             ("continuation", "Porteur retenu à la vague précédente")]
    skip = absent_rows(perimeter)
    flags = [(col, label) for col, label in flags if col not in skip]
    rows = []
    for col, label in flags:
        row = {"Source": label}
        for p, plabel in programme_labels.items():
            row[plabel] = int(candidates.loc[candidates["programme"] == p, col].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def group_hits_table(candidates: pd.DataFrame, groups: Sequence[Group],
                     programme_labels: Mapping[str, str]) -> pd.DataFrame:
    """Number of candidates with at least one hit of each keyword group, per programme."""
    rows = []
    for g in groups:
        col = f"hits_{g.name}"
        row = {"Groupe de mots-clés": g.label}
        for p, plabel in programme_labels.items():
            row[plabel] = int((candidates.loc[candidates["programme"] == p, col] > 0).sum())
        rows.append(row)
    return pd.DataFrame(rows)

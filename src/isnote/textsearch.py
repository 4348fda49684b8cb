"""Text normalisation, keyword search and actor matching, vectorised on Arrow strings.

Normalised text is lower-case ASCII made of `[a-z0-9]` words separated by single spaces:
accents and other combining marks are removed (NFKD), ligatures are expanded (œ -> oe,
æ -> ae, ß -> ss ...), apostrophes, hyphens, dashes and every other punctuation become a space,
runs of spaces collapse and the text is stripped. Keyword patterns (params/keywords.yaml) are
RE2 regular expressions written against that text and always matched as whole words (`\\b`),
so "rénovation" never matches "innovation" and "préinnovation" (one word) is not a hit either,
while "pré-innovation" (two words once the hyphen is a space) is.

Two implementations of `normalise` give the same result:
- `normalise_reference`: a chain of pyarrow compute kernels (utf8_lower, utf8_normalize NFKD,
  regex removal of marks, ligatures, punctuation to spaces). Clear, but about 15 s for a
  million texts of 450 characters on the project machine.
- the default fast path: lookup tables (one per UTF-8 sequence length) applied with numpy to the
  Arrow data buffer, block by block (about 3 s for the same input, no Python code per row). The
  tables are built by running the reference on every code point of the Basic Multilingual
  Plane; the rare rows holding a code point whose transliteration is longer than its UTF-8
  encoding (e.g. "½" -> "1 2") or a code point outside that plane (emoji, mathematical letters
  such as "𝐈") go through the reference path. Tests check that both agree on every code point.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import InputError

# Letters with no Unicode decomposition, transliterated explicitly (after lower-casing).
TRANSLIT = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "ı": "i"}

STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)      # pandas' default `str` dtype

# The four criteria of the grid (Tableau 1): criterion key in keywords.yaml -> register column.
CRITERIA = {
    "reponse_nouvelle": "score_besoin",
    "experimentation": "score_experimentation",
    "implication": "score_implication",
    "effets": "score_effets",
}
# How the note names them, and a keyword group's role, wherever it lists the groups (the screening
# section's table and the method annex say the same thing in the same words)
CRITERION_LABELS = {
    "reponse_nouvelle": "réponse nouvelle à un besoin mal couvert",
    "experimentation": "expérimentation, changement d'échelle",
    "implication": "implication des parties prenantes",
    "effets": "effets sociaux et environnementaux",
}
GROUP_ROLE_LABELS = {True: "pré-identification", False: "score suggéré seulement"}


# --------------------------------------------------------------------------------------------
# Arrow <-> pandas helpers


def _to_arrow(values: pd.Series | pa.Array | pa.ChunkedArray | Sequence) -> pa.ChunkedArray:
    """Any string-like column -> ChunkedArray of large_string (no copy for Arrow-backed Series)."""
    if isinstance(values, pa.ChunkedArray):
        arr = values
    elif isinstance(values, pa.Array):
        arr = pa.chunked_array([values])
    elif isinstance(values, pd.Series):
        dt = values.dtype
        if not (isinstance(dt, pd.StringDtype) and dt.storage == "pyarrow"):
            values = values.astype(STR_DTYPE)
        a = pa.array(values, from_pandas=True)
        arr = a if isinstance(a, pa.ChunkedArray) else pa.chunked_array([a])
    else:
        arr = pa.chunked_array([pa.array(list(values), type=pa.large_string())])
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return arr


def _to_series(arr: pa.ChunkedArray | pa.Array, index=None, name=None) -> pd.Series:
    return pd.Series(pd.array(arr, dtype=STR_DTYPE), index=index, name=name, copy=False)


# --------------------------------------------------------------------------------------------
# normalisation


def normalise_reference(values) -> pd.Series | pa.ChunkedArray:
    """Normalise with pyarrow compute kernels only (the specification of the fast path)."""
    arr = _to_arrow(values)
    out = _normalise_reference_arrow(arr)
    if isinstance(values, pd.Series):
        return _to_series(out, index=values.index, name=values.name)
    return out


def _normalise_reference_arrow(arr: pa.ChunkedArray, *, finish: bool = True) -> pa.ChunkedArray:
    s = pc.utf8_lower(arr)
    s = pc.utf8_normalize(s, "NFKD")
    s = pc.replace_substring_regex(s, r"[\p{Mn}\p{Cf}]+", "")
    for k, v in TRANSLIT.items():
        if pc.any(pc.match_substring(s, k)).as_py():
            s = pc.replace_substring(s, k, v)
    if not finish:                                   # one space per character (table building)
        return pc.replace_substring_regex(s, r"[^a-z0-9]", " ")
    s = pc.replace_substring_regex(s, r"[^a-z0-9]+", " ")
    return pc.utf8_trim(s, " ")


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lookup tables: ASCII byte -> byte; 2- and 3-byte UTF-8 code points -> 2 or 3 bytes.

    A replacement shorter than the encoding is left-padded with 0 (a marker byte deleted
    afterwards); a replacement longer than it is flagged in `over` (row goes to the reference).
    """
    cps = np.array([c for c in range(0x10000) if not 0xD800 <= c < 0xE000], dtype=np.int64)
    # every code point as one string of an Arrow array, built from its UTF-8 bytes (no row loop)
    width = np.where(cps < 0x80, 1, np.where(cps < 0x800, 2, 3)).astype(np.int64)
    data = "".join(map(chr, cps.tolist())).encode("utf-8")
    offsets = np.concatenate(([0], np.cumsum(width))).astype(np.int64)
    chars = pa.chunked_array([pa.LargeStringArray.from_buffers(len(cps), pa.py_buffer(offsets), pa.py_buffer(data))])
    reps = _normalise_reference_arrow(chars, finish=False).combine_chunks().cast(pa.large_string())
    r_off = np.frombuffer(reps.buffers()[1], dtype=np.int64)[reps.offset: reps.offset + len(reps) + 1]
    r_data = np.frombuffer(reps.buffers()[2], dtype=np.uint8) if reps.buffers()[2] is not None \
        else np.zeros(0, np.uint8)
    r_len = np.diff(r_off)
    over_cp = r_len > width                      # replacement longer than the encoding (reference path)
    keep = np.minimum(r_len, width)              # replacement cut to the encoding's width...
    enc = np.zeros((len(cps), 3), np.uint8)      # ...right-aligned, left-padded with the 0 marker
    for k in range(3):
        j = k - (width - keep)                   # byte of the replacement shown at position k
        ok = (k < width) & (j >= 0) & (j < keep)
        enc[ok, k] = r_data[r_off[:-1][ok] + j[ok]]
    asc = np.zeros(256, np.uint8)
    t2 = np.zeros((0x800, 2), np.uint8)
    t3 = np.zeros((0x10000, 3), np.uint8)
    over = np.zeros(0x10000, bool)
    over[cps[over_cp]] = True
    m1, m2, m3 = width == 1, width == 2, width == 3
    asc[cps[m1]] = enc[m1, 0]
    t2[cps[m2]] = enc[m2, :2]
    t3[cps[m3]] = enc[m3, :3]
    return asc, t2, t3, over


def _row_of(positions: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return np.searchsorted(offsets, positions, side="right") - 1


def _compact(data: np.ndarray, offsets: np.ndarray, drop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove the bytes at sorted positions `drop`; return new data and offsets."""
    if drop.size == 0:
        return data, offsets
    keep = np.ones(data.size, bool)
    keep[drop] = False
    per_row = np.bincount(_row_of(drop, offsets), minlength=offsets.size - 1)
    new_offsets = offsets - np.concatenate(([0], np.cumsum(per_row)))
    return data[keep], new_offsets


BLOCK_BYTES = 1 << 22     # process ~4 MB of text at a time: temporaries stay in cache, no page faults


def _normalise_fast_array(arr: pa.Array) -> pa.Array:
    """Fast path on one large_string Array, block by block (see module docstring)."""
    n = len(arr)
    if n == 0:
        return pa.array([], type=pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset: arr.offset + n + 1]
    total = int(offsets[-1] - offsets[0])
    if total <= BLOCK_BYTES:
        return _normalise_block(arr)
    # row boundaries so that each block holds about BLOCK_BYTES of text
    targets = offsets[0] + np.arange(BLOCK_BYTES, total, BLOCK_BYTES, dtype=np.int64)
    cuts = np.unique(np.concatenate(([0], np.searchsorted(offsets, targets, side="left"), [n])))
    datas, lengths, fallbacks = [], [], []
    for a, b in zip(cuts[:-1], cuts[1:]):
        data, offs, fb = _normalise_bytes(arr.slice(int(a), int(b - a)))
        datas.append(data)
        lengths.append(np.diff(offs))
        if fb.size:
            fallbacks.append(fb + a)
    data = np.concatenate(datas)
    offs = np.concatenate(([0], np.cumsum(np.concatenate(lengths))))
    fallback = np.concatenate(fallbacks) if fallbacks else np.zeros(0, np.int64)
    return _assemble(arr, data, offs, fallback)


def _normalise_block(arr: pa.Array) -> pa.Array:
    data, offs, fallback = _normalise_bytes(arr)
    return _assemble(arr, data, offs, fallback)


def _normalise_bytes(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalised bytes, offsets (from 0) and rows needing the reference path, of one Array."""
    n = len(arr)
    asc, t2, t3, over = _tables()
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset: arr.offset + n + 1]
    base = int(offsets[0])
    offsets = offsets - base
    raw = np.frombuffer(bufs[2], dtype=np.uint8)[base: base + int(offsets[-1])] if bufs[2] is not None \
        else np.zeros(0, np.uint8)
    out = np.take(asc, raw)                            # ASCII bytes; non-ASCII bytes -> 0
    fallback_rows = np.zeros(0, np.int64)
    lead = np.flatnonzero(raw >= 0xC0)
    if lead.size:
        b0 = raw[lead]
        bad_pos = []
        p = lead[b0 < 0xE0]                            # 2-byte sequences
        if p.size:
            cp = ((raw[p] & 0x1F).astype(np.int32) << 6) | (raw[p + 1] & 0x3F)
            rep = t2[cp]
            out[p] = rep[:, 0]
            out[p + 1] = rep[:, 1]
            bad_pos.append(p[over[cp]])
        p = lead[(b0 >= 0xE0) & (b0 < 0xF0)]           # 3-byte sequences
        if p.size:
            cp = ((raw[p] & 0x0F).astype(np.int32) << 12) | ((raw[p + 1] & 0x3F).astype(np.int32) << 6) \
                | (raw[p + 2] & 0x3F)
            rep = t3[cp]
            out[p] = rep[:, 0]
            out[p + 1] = rep[:, 1]
            out[p + 2] = rep[:, 2]
            bad_pos.append(p[over[cp]])
        p = lead[b0 >= 0xF0]                           # 4-byte sequences (emoji, math letters...):
        bad_pos.append(p)                              # rare, their rows go through the reference
        bad = np.concatenate(bad_pos) if bad_pos else np.zeros(0, np.int64)
        if bad.size:
            fallback_rows = np.unique(_row_of(bad, offsets))
    # 1) delete marker bytes
    out, offsets = _compact(out, offsets, np.flatnonzero(out == 0))
    # 2) collapse runs of spaces and drop leading spaces (delete a space after a space or at a row start)
    if out.size:
        sp = out == 32
        dup = np.flatnonzero(sp[1:] & sp[:-1]) + 1
        starts = offsets[:-1][offsets[:-1] < offsets[1:]]
        lead_sp = starts[sp[starts]]
        drop = np.union1d(dup, lead_sp) if lead_sp.size else dup
        out, offsets = _compact(out, offsets, drop)
    # 3) drop the one trailing space a row may still end with
    if out.size:
        ends = offsets[1:][offsets[1:] > offsets[:-1]] - 1
        out, offsets = _compact(out, offsets, ends[out[ends] == 32])
    return out, offsets, fallback_rows


def _assemble(arr: pa.Array, out: np.ndarray, offsets: np.ndarray, fallback_rows: np.ndarray) -> pa.Array:
    n = len(arr)
    validity = None
    null_count = arr.null_count
    if null_count:
        validity = pc.is_valid(arr).buffers()[1]
    result = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets.astype(np.int64, copy=False)),
                                              pa.py_buffer(out), validity, null_count)
    if fallback_rows.size:
        idx = pa.array(fallback_rows)
        fixed = _normalise_reference_arrow(pa.chunked_array([arr.take(idx)])).combine_chunks()
        mask = np.zeros(n, bool)
        mask[fallback_rows] = True
        positions = np.cumsum(mask) - 1
        expanded = fixed.take(pa.array(np.where(mask, positions, 0)))
        result = pc.if_else(pa.array(mask), expanded, result)
    return result


def normalise(series: pd.Series | pa.Array | pa.ChunkedArray) -> pd.Series | pa.ChunkedArray:
    """Normalise texts for searching (see module docstring). Nulls stay null.

    A pandas Series gives a Series (same index, dtype `str` on Arrow); an Arrow array gives a
    ChunkedArray of large_string.
    """
    arr = _to_arrow(series)
    chunks = [_normalise_fast_array(c) for c in arr.chunks] or [pa.array([], type=pa.large_string())]
    out = pa.chunked_array(chunks, type=pa.large_string())
    if isinstance(series, pd.Series):
        return _to_series(out, index=series.index, name=series.name)
    return out


def normalise_text(text: str) -> str:
    """Normalise one string (for parameters and messages, not for data columns)."""
    return normalise(pa.array([text], type=pa.large_string()))[0].as_py() or ""


# --------------------------------------------------------------------------------------------
# keyword groups


@dataclass(frozen=True)
class Group:
    """A keyword group of params/keywords.yaml, compiled to one whole-word RE2 pattern."""

    name: str
    label: str
    patterns: tuple[str, ...]
    preidentify: bool = False
    criterion: str | None = None
    weight: float | None = None          # weight in the rule-based ranking score (default: 2 strong, 1 weak)

    @property
    def rank_weight(self) -> float:
        return float(self.weight) if self.weight is not None else (2.0 if self.preidentify else 1.0)

    @property
    def alternation(self) -> str:
        return "|".join(f"(?:{p})" for p in self.patterns)

    @property
    def regex(self) -> str:
        return rf"\b(?:{self.alternation})\b"


# `role` of a keyword group: pre-identifying (strong) or scoring only (weak)
ROLES_STRONG = ("pre-identification", "preidentification", "strong", "fort")
ROLES_WEAK = ("score", "weak", "faible")


def group_is_strong(spec: Mapping, source="keywords.yaml", name: str = "") -> bool:
    """Whether a keyword group (or structured signal) pre-identifies.

    `role: strong` (or `pre-identification`) / `role: weak` (or `score`) when given; otherwise the
    older key `preidentify: true|false`; otherwise strong (a group pre-identifies by default).
    """
    role = spec.get("role")
    if role is not None:
        r = normalise_text(str(role)).replace(" ", "-")
        if r in ROLES_STRONG:
            return True
        if r in ROLES_WEAK:
            return False
        raise InputError(source, "rôle inconnu", column=f"{name}.role" if name else "role", value=role,
                         expected="strong (pré-identifie) ou weak (score seulement)")
    if "preidentify" in spec:
        return bool(spec.get("preidentify"))
    return True


def _check_re2(pattern: str, file, column: str) -> None:
    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(file, f"expression régulière invalide ({exc})", column=column, value=pattern,
                         expected="une expression RE2 écrite sur le texte normalisé") from None


def compile_groups(keywords_yaml: Mapping | str | Path) -> list[Group]:
    """Keyword groups from the parsed keywords file (or its path), in file order."""
    source = keywords_yaml if isinstance(keywords_yaml, (str, Path)) else "keywords.yaml"
    if isinstance(keywords_yaml, (str, Path)):
        from .config import load_yaml
        keywords_yaml = load_yaml(keywords_yaml)
    groups_spec = (keywords_yaml or {}).get("groups") if isinstance(keywords_yaml, Mapping) else None
    if not isinstance(groups_spec, Mapping) or not groups_spec:
        raise InputError(source, "aucun groupe de mots-clés", column="groups",
                         expected="un dictionnaire `groups` de groupes nommés")
    groups = []
    for name, spec in groups_spec.items():
        name = str(name)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise InputError(source, "nom de groupe invalide", column=f"groups.{name}",
                             expected="minuscules, chiffres et _ (il devient une colonne hits_<nom>)")
        if not isinstance(spec, Mapping):
            raise InputError(source, "groupe mal formé", column=f"groups.{name}",
                             expected="label, preidentify, criterion, patterns")
        patterns = spec.get("patterns") or []
        if isinstance(patterns, str):
            patterns = [patterns]
        patterns = tuple(str(p) for p in patterns if str(p).strip())
        if not patterns:
            raise InputError(source, "groupe sans motif", column=f"groups.{name}.patterns",
                             expected="au moins une expression")
        criterion = spec.get("criterion")
        if criterion is not None and criterion not in CRITERIA:
            raise InputError(source, "critère inconnu", column=f"groups.{name}.criterion", value=criterion,
                             expected=", ".join(CRITERIA))
        weight = spec.get("weight")
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0):
            raise InputError(source, "poids invalide", column=f"groups.{name}.weight", value=weight,
                             expected="un nombre positif ou nul")
        g = Group(name=name, label=str(spec.get("label") or name), patterns=patterns,
                  preidentify=group_is_strong(spec, source, name), criterion=criterion, weight=weight)
        _check_re2(g.regex, source, f"groups.{name}.patterns")
        groups.append(g)
    return groups


def _union_regex(groups: Sequence[Group]) -> str:
    return r"\b(?:" + "|".join(g.alternation for g in groups) + r")\b"


HIT_COLUMNS = ["op_id", "field", "group", "count", "match", "context"]
_SPACE = pa.scalar(" ", pa.large_string())


def _context_regex(group: Group) -> str:
    # lazy prefix: the first occurrence with up to 40 characters before it, starting on a word
    return r"(?P<pre>\b.{0,40}?)\b(?P<m>" + group.alternation + r")\b(?P<post>.{0,40}\b)"


def _encode(arr: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """Distinct texts of a column (nulls read as "") and, per row, the position of its text among
    them: the costly work (normalisation, regular expressions) is done once per distinct text."""
    a = pc.fill_null(arr, "")
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    enc = pc.dictionary_encode(a)
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return enc.dictionary, codes


def _expand(codes: np.ndarray, selected: np.ndarray, n_distinct: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows (ascending) whose distinct text is among `selected` (positions of distinct texts) and,
    for each, the position of its text in `selected`."""
    pos = np.full(n_distinct, -1, dtype=np.int64)
    pos[selected] = np.arange(selected.size, dtype=np.int64)
    at = pos[codes]
    rows = np.flatnonzero(at >= 0)
    return rows, at[rows]


@dataclass(frozen=True)
class EncodedText:
    """A text column as its distinct normalised texts (null read as "") and, per row, the
    position of its text among them: normalised once, searched once per distinct text, and
    reusable by later searches on the same rows (evidence of the candidates, actors)."""

    text: pa.Array
    codes: np.ndarray

    def subset(self, rows: np.ndarray) -> "EncodedText":
        """The same for the given rows only (in that order)."""
        used, inverse = np.unique(self.codes[np.asarray(rows, dtype=np.int64)], return_inverse=True)
        return EncodedText(self.text.take(pa.array(used, type=pa.int64())),
                           np.asarray(inverse, dtype=np.int64).reshape(-1))


def encode_text(values, *, normalised: bool = False) -> EncodedText:
    """EncodedText of a column (`normalised=True` when it already holds normalised text)."""
    distinct, codes = _encode(_to_arrow(values))
    text = distinct if normalised else pc.fill_null(normalise(distinct).combine_chunks(), "")
    return EncodedText(text, codes)


def find_hits(df: pd.DataFrame, fields: Sequence[str], groups: Sequence[Group], *,
              normalised: bool = False, evidence: bool = True, id_column: str = "op_id",
              encoded: Mapping[str, EncodedText] | None = None) -> pd.DataFrame:
    """Keyword hits: one row per (operation, field, group) with at least one whole-word match.

    Columns: op_id (the `id_column` values, any dtype), field, group, count (number of
    non-overlapping matches), match (the first matched words), context (those words with about
    40 normalised characters on each side). `normalised=True` when the fields already hold
    normalised text. Fields absent from `df` are skipped. Each field is screened on its distinct
    texts (identical texts are normalised and searched once), with one combined pattern first;
    per-group counts and contexts are computed only on the matching texts, then given to every
    row holding them. `encoded` (field -> EncodedText, aligned with the rows of `df`) gives fields
    already encoded: they are not read from `df`.
    """
    encoded = encoded or {}
    union = _union_regex(groups)
    ids = pa.Table.from_pandas(df[[id_column]], preserve_index=False).column(0)
    to_pd = {pa.large_string(): STR_DTYPE, pa.string(): STR_DTYPE}.get
    frames = []
    for f in fields:
        enc = encoded.get(f)
        if enc is None:
            if f not in df.columns:
                continue
            enc = encode_text(df[f], normalised=normalised)
        text, codes = enc.text, enc.codes
        hit = np.flatnonzero(np.asarray(pc.match_substring_regex(text, union).to_numpy(zero_copy_only=False), bool))
        if hit.size == 0:
            continue
        sub = text.take(pa.array(hit))
        for g in groups:
            sel = np.flatnonzero(np.asarray(pc.match_substring_regex(sub, g.regex).to_numpy(zero_copy_only=False),
                                            bool))                    # stops at the first match
            if sel.size == 0:
                continue
            texts = sub.take(pa.array(sel))
            rows, at = _expand(codes, hit[sel], len(text))
            take = pa.array(at)
            part = {"op_id": ids.take(pa.array(rows)),
                    "count": pc.count_substring_regex(texts, g.regex).take(take)}
            if evidence:
                ext = pc.extract_regex(texts, _context_regex(g))
                m = ext.field("m")
                part["match"] = m.take(take)
                part["context"] = pc.binary_join_element_wise(
                    pc.utf8_trim(ext.field("pre"), " "), m, pc.utf8_trim(ext.field("post"), " "), _SPACE).take(take)
            frame = pa.table(part).to_pandas(types_mapper=to_pd)
            frame["field"] = f
            frame["group"] = g.name
            frames.append(frame)
    if not frames:
        out = pd.DataFrame({"op_id": df[id_column].iloc[:0].reset_index(drop=True),
                            "count": pd.Series(dtype="int64")})
        for c in ("field", "group", "match", "context"):
            out[c] = pd.Series(dtype=STR_DTYPE)
    else:
        out = pd.concat(frames, ignore_index=True)
    if not evidence:
        out["match"] = ""
        out["context"] = ""
    out["count"] = out["count"].astype("int64")
    out["context"] = out["context"].astype(STR_DTYPE).str.strip()
    for c in ("field", "group", "match"):
        out[c] = out[c].astype(STR_DTYPE)
    if len(out):
        forder = {f: i for i, f in enumerate(fields)}
        gorder = {g.name: i for i, g in enumerate(groups)}
        out = out.assign(_f=out["field"].map(forder), _g=out["group"].map(gorder))
        out = out.sort_values(["op_id", "_f", "_g"], kind="stable").drop(columns=["_f", "_g"])
    return out[HIT_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# ecosystem actors


def _legal_regex(words: Iterable[str]) -> str | None:
    words = sorted({normalise_text(str(w)) for w in words if str(w).strip()}, key=lambda w: (-len(w), w))
    words = [w for w in words if w]
    return (r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b") if words else None


def name_key(names: pd.Series | pa.ChunkedArray, legal_form_words: Iterable[str] = ()) -> pd.Series:
    """Normalised name with legal-form words removed and spaces collapsed (matching key)."""
    arr = normalise(_to_arrow(names) if not isinstance(names, pd.Series) else names)
    a = _to_arrow(arr)
    rx = _legal_regex(legal_form_words)
    if rx:
        a = pc.replace_substring_regex(a, rx, " ")
        a = pc.utf8_trim(pc.replace_substring_regex(a, " {2,}", " "), " ")
    if isinstance(names, pd.Series):
        return _to_series(a, index=names.index, name=names.name)
    return _to_series(a)


def _acronym(key: str) -> str | None:
    """Initials of a name of at least four significant words ("agence valorisation initiatives
    socio economiques" -> "avise"); None for shorter names (too ambiguous)."""
    words = key.split()
    if len(words) < 4:
        return None
    acro = "".join(w[0] for w in words)
    return acro if len(acro) >= 4 and acro.isalpha() else None


# Words that never distinguish an actor on their own: a key made only of them (after
# normalisation) is refused. Region and department names (TERRITORIES) are generic too.
GENERIC_WORDS = frozenset("""
a au aux d de des du en et l la le les pour par sur un une
association associations asso ass federation federations federal federale union unions
regional regionale regionales regionaux region regions
departemental departementale departementales departementaux departement departements
national nationale nationales nationaux territorial territoriale territoriaux local locale locaux
interregional interregionale intercommunal intercommunale communal communale
direction directions delegation comite comites maison maisons centre centres conseil groupement
syndicat syndicats chambre chambres collectif reseau reseaux pole poles agence institut office
mission service services plateforme espace cooperation
confederation generale general generales generaux societe societes entreprise entreprises emploi insertion
formation initiative initiatives
france francais francaise metropole ville commune communaute agglomeration pays
sas sasu sarl sa eurl gip gie fondation
""".split())

# Regions (current and former) and departments, normalised: `{territory}` in an actor pattern.
TERRITORIES = tuple(sorted(set("""
alsace aquitaine auvergne bourgogne bretagne centre champagne ardenne corse franche comte guadeloupe
guyane martinique mayotte reunion languedoc roussillon limousin lorraine midi pyrenees nord pas calais
normandie basse haute picardie poitou charentes provence alpes cote azur paca rhone loire
ile france idf grand est hauts occitanie nouvelle pays val
ain aisne allier ardeche ardennes ariege aube aude aveyron bouches calvados cantal charente cher correze
creuse dordogne doubs drome eure finistere gard garonne gers gironde herault ille vilaine indre isere jura
landes loiret lot marne mayenne meurthe moselle meuse morbihan nievre oise orne puy dome
saone sarthe savoie seine somme tarn vaucluse vendee vienne vosges yonne essonne hauts yvelines
marne maritime atlantiques ardeche lozere manche deux sevres var
""".split())))


def generic_words(actors_yaml: Mapping) -> frozenset[str]:
    """GENERIC_WORDS + TERRITORIES + the file's legal-form words (except those it lists as
    distinctive) + its own `generic_words`, all normalised."""
    extra = [normalise_text(str(w)) for w in (actors_yaml.get("generic_words") or [])]
    legal = [normalise_text(str(w)) for w in (actors_yaml.get("legal_form_words") or [])]
    distinctive = {normalise_text(str(w)) for w in (actors_yaml.get("distinctive_words") or ["scop", "scic"])}
    words = set(GENERIC_WORDS) | set(TERRITORIES) | {w for w in legal + extra if w}
    words |= {t for w in extra + list(actors_yaml.get("territories") or []) for t in normalise_text(str(w)).split()}
    return frozenset(w for w in words if w not in distinctive)


def is_distinctive(key: str, generic: frozenset[str]) -> bool:
    """A key is distinctive when one of its words is not generic and has at least 3 letters."""
    return any(w not in generic and len(w) >= 3 and not w.isdigit() for w in key.split())


@dataclass(frozen=True)
class Actor:
    """An ecosystem actor of params/actors.yaml, compiled for matching."""

    name: str
    kind: str
    keys: tuple[str, ...]           # matched on the name key (legal-form words removed)
    full_keys: tuple[str, ...]      # matched on the normalised name (legal-form words kept)
    patterns: tuple[str, ...]       # RE2 on the normalised name ({territory} expanded)

    def regex(self, which: str) -> str | None:
        alts = {"keys": [re.escape(k) for k in sorted(self.keys, key=lambda s: (-len(s), s))],
                "full": [re.escape(k) for k in sorted(self.full_keys, key=lambda s: (-len(s), s))]
                + [f"(?:{p})" for p in self.patterns]}[which]
        return (r"\b(?:" + "|".join(alts) + r")\b") if alts else None


def compile_actors(actors_yaml: Mapping, source="actors.yaml") -> list[Actor]:
    """Actors of the parsed actors file, their keys checked.

    Each name and alias gives a key: the normalised name without legal-form words when that is
    distinctive, otherwise the whole normalised name (so "Union régionale des SCOP" is looked for
    as such, never as "régionale"); a name that is not distinctive either way is refused. An
    actor may also give `patterns` (RE2 on the normalised name, `{territory}` standing for any
    region or department name: "{territory} activ(?:e|es|s)?" for the former regional members of
    France Active). Acronyms of names of four words or more are derived unless
    `derive_acronyms: false`; a derived acronym that is not distinctive is dropped.
    """
    legal = actors_yaml.get("legal_form_words") or []
    generic = generic_words(actors_yaml)
    territories = sorted({normalise_text(str(t)) for t in (actors_yaml.get("territories") or TERRITORIES)}
                         - {""}, key=lambda s: (-len(s), s))
    territory_rx = "(?:" + "|".join(re.escape(t) for t in territories) + ")"
    derive = bool(actors_yaml.get("derive_acronyms", True))
    out: list[Actor] = []
    seen: dict[str, str] = {}
    for i, spec in enumerate(actors_yaml.get("actors") or []):
        if not isinstance(spec, Mapping) or not str(spec.get("name") or "").strip():
            raise InputError(source, "acteur sans nom", column=f"actors[{i}]", expected="name, aliases, kind")
        name = str(spec["name"])
        variants = [name] + [str(a) for a in (spec.get("aliases") or [])]
        stripped = name_key(pd.Series(variants, dtype=STR_DTYPE), legal).fillna("").tolist()
        full = [normalise_text(v) for v in variants]
        keys, full_keys = [], []
        for raw, k, f in zip(variants, stripped, full):
            if k and is_distinctive(k, generic):
                keys.append(k)
            elif f and is_distinctive(f, generic):
                full_keys.append(f)
            else:
                raise InputError(source, f"la clé « {raw} » de l'acteur « {name} » n'est faite que de mots "
                                 "génériques : elle signalerait des porteurs sans rapport avec l'acteur",
                                 column=f"actors[{i}].aliases",
                                 value=raw, expected="un nom ou un sigle distinctif (gardez le mot qui "
                                 "distingue l'acteur, par exemple « SCOP » dans « Union régionale des SCOP »)")
            acro = _acronym(k) if derive and k else None
            if acro and is_distinctive(acro, generic):
                keys.append(acro)
        patterns = []
        for p in spec.get("patterns") or []:
            rx = str(p).replace("{territory}", territory_rx)
            _check_re2(rf"\b(?:{rx})\b", source, f"actors[{i}].patterns")
            probe = pa.array(["", *sorted(generic)], type=pa.large_string())
            if pc.any(pc.match_substring_regex(probe, rf"^(?:{rx})$")).as_py():
                raise InputError(source, f"un motif de l'acteur « {name} » reconnaît un mot générique seul",
                                 column=f"actors[{i}].patterns", value=str(p),
                                 expected="un motif qui exige un mot distinctif")
            patterns.append(rx)
        keys = [k for k in dict.fromkeys(keys) if k not in seen]
        full_keys = [k for k in dict.fromkeys(full_keys) if k not in seen]
        for k in keys + full_keys:
            seen[k] = name
        out.append(Actor(name=name, kind=str(spec.get("kind") or ""), keys=tuple(keys),
                         full_keys=tuple(full_keys), patterns=tuple(patterns)))
    return out


def actor_keys(actors_yaml: Mapping) -> dict[str, str]:
    """Matching key -> actor name, for names, aliases and acronyms of params/actors.yaml."""
    return {k: a.name for a in compile_actors(actors_yaml) for k in a.keys + a.full_keys}


def match_actors_detail(beneficiary: pd.Series, actors_yaml: Mapping | Sequence[Actor], *,
                        encoded: EncodedText | None = None) -> pd.DataFrame:
    """Ecosystem actor found in each beneficiary name and the key that matched (or NA).

    Columns `actor` (actor name) and `actor_key` (the normalised words that matched), on the
    index of `beneficiary`. Whole words only. One combined pass finds the names that match any
    actor; each actor is then looked for on those names only; the longest match wins (ties: the
    first actor of the file). `encoded`: the names already encoded (isnote.textsearch.encode_text).
    """
    actors = list(actors_yaml) if not isinstance(actors_yaml, Mapping) else compile_actors(actors_yaml)
    legal = [] if not isinstance(actors_yaml, Mapping) else (actors_yaml.get("legal_form_words") or [])
    index = beneficiary.index
    empty = pd.DataFrame({"actor": pd.Series(pd.NA, index=index, dtype=STR_DTYPE),
                          "actor_key": pd.Series(pd.NA, index=index, dtype=STR_DTYPE)})
    if not actors or len(beneficiary) == 0:
        return empty
    # each distinct name is normalised and matched once, then given to every row holding it
    enc = encoded if encoded is not None else encode_text(beneficiary)
    full, codes = enc.text, enc.codes
    if legal:
        rx = _legal_regex(legal)
        stripped = pc.utf8_trim(pc.replace_substring_regex(pc.replace_substring_regex(full, rx, " "), " {2,}", " "), " ")
    else:
        stripped = full
    rx_keys = [r for a in actors if (r := a.regex("keys"))]
    rx_full = [r for a in actors if (r := a.regex("full"))]
    hit = np.zeros(len(full), dtype=bool)
    if rx_keys:
        hit |= np.asarray(pc.match_substring_regex(stripped, "|".join(rx_keys)).to_numpy(zero_copy_only=False), bool)
    if rx_full:
        hit |= np.asarray(pc.match_substring_regex(full, "|".join(rx_full)).to_numpy(zero_copy_only=False), bool)
    rows = np.flatnonzero(hit)
    if rows.size == 0:
        return empty
    idx = pa.array(rows)
    sub = {"keys": stripped.take(idx), "full": full.take(idx)}
    best_len = np.zeros(rows.size, dtype=np.int64)
    best_actor = np.full(rows.size, -1, dtype=np.int64)
    best_key = np.full(rows.size, None, dtype=object)
    for j, a in enumerate(actors):
        for which in ("keys", "full"):
            r = a.regex(which)
            if not r:
                continue
            m = pc.extract_regex(sub[which], r"(?P<m>" + r + r")")
            m = m.combine_chunks() if isinstance(m, pa.ChunkedArray) else m
            words = np.asarray(m.field("m").to_pylist() if m.null_count < len(m) else [None] * len(m), dtype=object)
            valid = np.asarray(m.is_valid().to_numpy(zero_copy_only=False), bool)
            lengths = np.where(valid, pc.fill_null(pc.utf8_length(m.field("m")), 0).to_numpy(zero_copy_only=False), 0)
            better = valid & (lengths > best_len)
            best_len[better] = lengths[better]
            best_actor[better] = j
            best_key[better] = words[better]
    names = np.array([a.name for a in actors], dtype=object)
    ok = best_actor >= 0
    found, at = _expand(codes, rows[ok], len(full))
    actor = np.full(len(beneficiary), None, dtype=object)
    key = np.full(len(beneficiary), None, dtype=object)
    actor[found] = names[best_actor[ok]][at]
    key[found] = best_key[ok][at]
    return pd.DataFrame({"actor": pd.Series(actor, index=index, dtype=STR_DTYPE),
                         "actor_key": pd.Series(key, index=index, dtype=STR_DTYPE)})


def match_actors(beneficiary: pd.Series, actors_yaml: Mapping) -> pd.Series:
    """Ecosystem actor found in each beneficiary name (whole words), or NA (see match_actors_detail)."""
    return match_actors_detail(beneficiary, actors_yaml)["actor"].rename("actor")


# --------------------------------------------------------------------------------------------
# fuzzy beneficiary names (continuations)


@functools.lru_cache(maxsize=1 << 16)
def _token_ratio(a: str, b: str) -> float:
    # cached: the same pairs of words (« association », « insertion »...) come back across names
    return 1.0 if a == b else difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _may_reach(a: str, b: str, threshold: float) -> bool:
    """Whether two words' character ratio can reach `threshold`: the ratio is 2·M/(len a + len b)
    with M <= the shorter length (difflib's real_quick_ratio), so unequal lengths bound it."""
    return 2.0 * min(len(a), len(b)) / (len(a) + len(b)) >= threshold


def token_set_similarity(a: str, b: str, token_threshold: float = 0.9) -> float:
    """Similarity of two name keys as sets of words (0..1): a Jaccard index where two words count
    as the same when their spelling is close (character ratio >= `token_threshold`: "compagnon" ~
    "compagnons", but not "arles" ~ "ales"). Word order does not matter."""
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
        # only words whose length allows the threshold can be the accepted best (same first best)
        best = max((u for u in free if _may_reach(t, u, token_threshold)), key=lambda u: _token_ratio(t, u),
                   default=None)
        if best is not None and _token_ratio(t, best) >= token_threshold:
            free.remove(best)
            matched += 1
    return matched / (len(ta) + len(tb) - matched)


def match_names(left: pd.Series, right: pd.Series, legal_form_words: Iterable[str] = (),
                threshold: float = 0.9) -> pd.DataFrame:
    """Pairs (left index, right index, score, how) whose names match.

    Exact key match (legal-form words removed) first, vectorised; then, for the left names with
    no exact match, a token-set similarity >= `threshold` (see token_set_similarity) against the
    right names: a loop, meant for small sets (candidates x previously retained operations).
    """
    lk = name_key(left, legal_form_words)
    rk = name_key(right, legal_form_words)
    L = pd.DataFrame({"left": left.index, "key": lk.to_numpy()}).dropna()
    L = L[L["key"] != ""]
    R = pd.DataFrame({"right": right.index, "key": rk.to_numpy()}).dropna()
    R = R[R["key"] != ""]
    exact = L.merge(R, on="key")[["left", "right"]]
    exact["score"] = 1.0
    exact["how"] = "exact"
    rest = L[~L["left"].isin(exact["left"])]
    fuzzy_rows = []
    if len(rest) and len(R):
        rkeys = R.drop_duplicates("key").reset_index(drop=True)
        rkey_list = rkeys["key"].tolist()
        rtok = [set(k.split()) for k in rkey_list]
        for lid, lkey in zip(rest["left"], rest["key"]):       # small sets: candidates x retained
            ltok = set(lkey.split())
            for j, rt in enumerate(rtok):
                # a Jaccard index >= threshold needs comparable numbers of words
                if min(len(ltok), len(rt)) < threshold * max(len(ltok), len(rt)):
                    continue
                score = token_set_similarity(lkey, rkey_list[j])
                if score >= threshold:
                    for rid in R.loc[R["key"] == rkey_list[j], "right"]:
                        fuzzy_rows.append((lid, rid, round(score, 4), "similaire"))
    fuzzy = pd.DataFrame(fuzzy_rows, columns=["left", "right", "score", "how"])
    out = pd.concat([exact, fuzzy], ignore_index=True) if len(fuzzy) else exact
    return out.reset_index(drop=True)

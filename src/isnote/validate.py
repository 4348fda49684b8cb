"""Validation of the tables read by isnote.readers (vectorised).

Fatal problems raise isnote.errors.InputError naming file, line, column and what was expected
(first offending row + how many others). Recoverable oddities are normalised and counted in the
QualityLog; harmless surprises (a region outside the list, qualitative rows of unknown
operations, unknown lot-5 numbers) are counted warnings.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from .errors import InputError
from .readers import QualityLog, Table, fail_rows, isin, norm_header, norm_key

REASON_AT = "assistance technique"
REASON_WINDOW = "hors fenêtre des vagues"
REASON_UNKNOWN_OS = "code d'objectif spécifique absent de la nomenclature"
REASON_REACT = "axe REACT-EU (compté à part)"
REASON_NO_DATE = "date définissant les vagues absente"
WARN_REGION_EMPTY = "région non renseignée (ni région ni zone) : « non renseignée »"

FIX_OS_DOTS = "code OS écrit avec points ou espaces, compacté"
FIX_AXE = "axe écrit autrement qu'un numéro (ex. « Axe 3 »), normalisé"
FIX_REGION = "région : casse, accents ou espaces corrigés"
FIX_ANSWER = "réponse d'enquête normalisée (casse, espaces, libellé long)"
WARN_AXE_FILLED = "axe vide, déduit du code OS"
WARN_PI_FILLED = "PI vide, reprise de la nomenclature"
WARN_REGION = "région absente de la liste de la nomenclature (conservée telle quelle)"
WARN_QUAL_UNKNOWN = "lignes qualitatives d'opérations absentes des extractions (ignorées)"
WARN_QUAL_MISSING = "opérations sans ligne qualitative (textes vides)"
WARN_PART_UNKNOWN = "enregistrements de participants d'opérations absentes des extractions (ignorés)"
WARN_PART_NO_OP = "enregistrements de participants sans numéro d'opération (ignorés)"
WARN_LOT5_UNKNOWN = "numéros du lot 5 absents de l'extraction IEJ (signalés, non bloquant)"
WARN_LOT5_DUP = "numéros du lot 5 en double (dédoublonnés)"
WARN_LOT5_EMPTY = "lignes du lot 5 sans numéro (ignorées)"

ANSWERS = {"oui": "oui", "non": "non", "nsp": "nsp", "ne se prononce pas": "nsp", "ne sait pas": "nsp",
           "n.s.p.": "nsp", "ne se prononce pas.": "nsp"}
ANSWERS_EXPECTED = "oui, non ou ne se prononce pas (nsp)"


def require_values(table: Table, columns: Iterable[str], mask: pd.Series | None = None) -> None:
    """Cells of `columns` must not be empty (on the rows of `mask`)."""
    df = table.df
    for col in columns:
        empty = df[col].isna()
        if mask is not None:
            empty &= mask
        table.fail(empty, col, "valeur manquante", expected="une valeur (colonne obligatoire)")


def check_unique(table: Table, col: str, what: str, mask: pd.Series | None = None) -> None:
    """Values of `col` must be unique (among the rows of `mask`)."""
    df = table.df
    s = df[col] if mask is None else df[col].where(mask)
    dup = s.notna() & s.duplicated(keep="first")
    if dup.any():
        first_line = df["_line"].groupby(s).transform("min")
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        table.fail(dup, col, f"{what} en double (déjà présent ligne {int(first_line.iloc[pos])})",
                   expected=f"un {what} unique")


# ----------------------------------------------------------------------------------- operations

def compact_os(os_codes: pd.Series) -> pd.Series:
    """'3.9.1.1' / '3 9 1 1' / '4at1' -> '3911' / '4AT1'; 2021-2027 codes keep their dot
    ('eso4.1' -> 'ESO4.1')."""
    s = os_codes.astype("str")
    compact = s.str.replace(r"[\s.]", "", regex=True).str.upper()
    named = s.str.fullmatch(r"\s*[A-Za-z]{3}\d+\.\d+\s*").fillna(False).astype(bool)
    return compact.mask(named, s.str.strip().str.upper())


def validate_operations(table: Table, nomenclature: dict, regions: list[str] | None, log: QualityLog,
                        programmes: Iterable[str], *, unknown_os: str = "error",
                        wave_date: str = "programming_date") -> pd.DataFrame:
    """Check and normalise the operations of one file (its `programme` column already set).

    Rows marked `_exclude` by the mapping (e.g. another operational programme) are only checked
    for their operation number; the others get the full validation. An OS code absent from the
    nomenclature stops the run (`unknown_os="error"`) or flags the row `_unknown_os` (`"exclude"`:
    excluded after the programme and axis exclusions, counted). Returns the normalised frame.
    """
    df = table.df
    label = table.label
    programmes = list(programmes)
    keep = df["_exclude"].isna() if "_exclude" in df else pd.Series(True, index=df.index)
    # programme
    table.fail(keep & df["programme"].isna(), "programme", "programme non déterminé",
               expected=" ou ".join(programmes))
    table.fail(keep & ~df["programme"].isin(programmes), "programme", "programme inconnu",
               expected=" ou ".join(programmes))
    require_values(table, ["op_id"])
    check_unique(table, "op_id", "numéro d'opération")
    # with unknown_os="exclude" an empty OS is one more code absent from the nomenclature
    # a programming date is required; another wave date (start, first agreement) may be empty
    # on a published list: such a row is excluded (REASON_NO_DATE) and counted
    required = ([] if unknown_os == "exclude" else ["os"]) + ([wave_date] if wave_date == "programming_date" else [])
    require_values(table, required + ["ct", "ue"], keep)

    # OS codes: compact form, known for the programme
    raw_os = df["os"]
    os_codes = compact_os(raw_os)
    log.fix(label, FIX_OS_DOTS, int((keep & raw_os.notna() & (os_codes != raw_os)).sum()))
    df["os"] = os_codes
    expected_axe = pd.Series(pd.NA, index=df.index, dtype="str")
    expected_pi = pd.Series(pd.NA, index=df.index, dtype="str")
    for prog in programmes:
        in_prog = keep & (df["programme"] == prog)
        if not in_prog.any():
            continue
        codes = (nomenclature.get(prog) or {}).get("os") or {}
        known = os_codes.isin(list(codes))
        if unknown_os == "exclude":
            df["_unknown_os"] = (df["_unknown_os"] if "_unknown_os" in df else False) | (in_prog & ~known)
        else:
            table.fail(in_prog & ~known, "os", f"code OS inconnu pour le programme {prog}",
                       expected="un code de la nomenclature : " + ", ".join(codes))
        axes = pd.Series({k: str(v.get("axe", "")) for k, v in codes.items()}, dtype="str")
        pis = pd.Series({k: str(v.get("pi", "")) for k, v in codes.items()}, dtype="str")
        expected_axe = expected_axe.mask(in_prog, os_codes.map(axes))
        expected_pi = expected_pi.mask(in_prog, os_codes.map(pis))

    # axis: "Axe 3" -> "3"; empty -> from the OS; must agree with the OS
    raw_axe = df["axe"]
    plain = raw_axe.str.fullmatch(r"[1-9]\d*").fillna(False).astype(bool)
    axe = raw_axe.where(plain)
    if (~plain & raw_axe.notna()).any():
        other = raw_axe[~plain & raw_axe.notna()]
        axe = axe.fillna(other.str.extract(r"(\d+)", expand=False).str.lstrip("0").astype("str"))
    axe = axe.where(raw_axe.notna())
    axe = axe.where(axe.isna() | (axe != ""), "0")
    log.fix(label, FIX_AXE, int((keep & raw_axe.notna() & (axe != raw_axe)).sum()))
    unreadable = keep & raw_axe.notna() & axe.isna()
    table.fail(unreadable, "axe", "axe illisible", expected="un numéro d'axe, ex. 3")
    filled = keep & axe.isna()
    if "axe" in table.sourced:          # a layout without an axis column is not a data problem
        log.warn(label, WARN_AXE_FILLED, int(filled.sum()))
    axe = axe.mask(filled, expected_axe)
    mismatch = keep & axe.notna() & expected_axe.notna() & (axe != expected_axe)
    if mismatch.any():
        pos = int(np.flatnonzero(mismatch.to_numpy())[0])
        table.fail(mismatch, "axe", f"axe incohérent avec le code OS {os_codes.iloc[pos]}",
                   expected=f"axe {expected_axe.iloc[pos]} (d'après la nomenclature)", values=raw_axe)
    df["axe"] = axe
    pi_gap = keep & df["pi"].isna() & expected_pi.notna() & (expected_pi != "")
    if "pi" in table.sourced:
        log.warn(label, WARN_PI_FILLED, int(pi_gap.sum()))
    df["pi"] = df["pi"].mask(pi_gap, expected_pi)

    # amounts and dates
    over = keep & (df["ue"] > df["ct"] + 0.01)
    if over.any():
        table.fail(over, "ue", "montant UE supérieur au coût total",
                   expected=f"un montant UE inférieur ou égal au coût total ({table.column_label('ct')})")
    backwards = keep & df["start_date"].notna() & df["end_date"].notna() & (df["end_date"] < df["start_date"])
    table.fail(backwards, "end_date", "date de fin antérieure à la date de début",
               expected=f"une date postérieure à « {table.column_label('start_date')} »")

    if regions:
        df["region"] = normalise_regions(df["region"], regions, label, log, keep)
    no_region = keep & df["region"].isna()
    if no_region.any():                   # never defaulted to a fixed region: counted
        log.warn(label, WARN_REGION_EMPTY, int(no_region.sum()))
        df["region"] = df["region"].mask(no_region, "non renseignée")
    return df


def normalise_regions(values: pd.Series, regions: list[str], label: str, log: QualityLog,
                      mask: pd.Series | None = None) -> pd.Series:
    """Map case/accent/spacing variants to the canonical spellings; count fixes and unknowns."""
    def loose(s: pd.Series) -> pd.Series:       # hyphens and apostrophes count as spaces
        return norm_key(s).str.replace(r"[-'\s]+", " ", regex=True).str.strip()

    canon = pd.Series(list(regions), index=loose(pd.Series(list(regions), dtype="str")).tolist(), dtype="str")
    canon = canon[~canon.index.duplicated()]
    keys = loose(values)
    mapped = keys.map(canon).astype("str")
    mask = pd.Series(True, index=values.index) if mask is None else mask
    present = values.notna() & mask
    log.fix(label, FIX_REGION, int((present & mapped.notna() & (mapped != values)).sum()))
    unknown = present & mapped.isna()
    if unknown.any():
        log.warn(label, WARN_REGION, int(unknown.sum()), example=values[unknown].iloc[0])
    return mapped.where(mapped.notna(), values)


def check_unique_across(frames: list[pd.DataFrame]) -> None:
    """Operation numbers must be unique across files (both programmes)."""
    if len(frames) < 2:
        return
    allops = pd.concat([f[["op_id", "_line", "_file"]] for f in frames], ignore_index=True)
    dup = allops["op_id"].notna() & allops["op_id"].duplicated(keep="first")
    _fail_on_duplicate(allops, dup, "numéro d'opération déjà présent dans",
                       expected="un numéro unique dans l'ensemble des programmes")


def _fail_on_duplicate(frame: pd.DataFrame, dup: pd.Series, what: str, *, expected: str) -> None:
    """Stop (InputError) on the rows of `frame` (op_id, _line, _file: rows of several files) flagged
    in `dup`, naming the file of the first one and the file and line where its op_id first appears."""
    if not dup.any():
        return
    pos = int(np.flatnonzero(dup.to_numpy())[0])
    op = frame["op_id"].iloc[pos]
    first = frame[frame["op_id"] == op].iloc[0]
    fail_rows(frame["_file"].iloc[pos], frame["_line"], dup,
              f"{what} {first['_file']} (ligne {int(first['_line'])})",
              column="op_id", expected=expected, values=frame["op_id"])


def assign_waves(dates: pd.Series, waves: dict) -> pd.Series:
    """Key of the wave whose window (inclusive) holds each date; NA outside every window."""
    out = pd.Series(pd.NA, index=dates.index, dtype="str")
    for key, w in waves.items():
        start, end = pd.Timestamp(w["start"]), pd.Timestamp(w["end"])
        inside = dates.notna() & (dates >= start) & (dates <= end) & out.isna()
        out = out.mask(inside, str(key))
    return out


def check_waves(waves: dict, source: str) -> None:
    """Wave windows: readable dates, start <= end, no overlap."""
    spans = []
    for k, w in waves.items():
        try:
            spans.append((pd.Timestamp(w["start"]), pd.Timestamp(w["end"]), str(k)))
        except (KeyError, TypeError, ValueError):
            raise InputError(source, f"fenêtre de la vague {k} illisible", column=f"waves.{k}",
                             value=w, expected="{start: AAAA-MM-JJ, end: AAAA-MM-JJ}") from None
    spans.sort()
    for s, e, k in spans:
        if e < s:
            raise InputError(source, f"vague {k} : fin avant le début", column="waves",
                             expected="start <= end")
    for (s1, e1, k1), (s2, e2, k2) in zip(spans, spans[1:]):
        if s2 <= e1:
            raise InputError(source, f"les fenêtres des vagues {k1} et {k2} se chevauchent", column="waves",
                             expected="des fenêtres disjointes")


def excluded_axes(nomenclature: dict, programme: str, exclude_axes) -> set[str]:
    """Technical-assistance axes of a programme: those listed in `exclude_axes` (a list applying
    to every programme, or a dict programme -> list) plus those whose nomenclature title starts
    with "Assistance technique" (axis 4 of the PON FSE, axis 2 of the PON IEJ)."""
    if isinstance(exclude_axes, dict):
        listed = {str(a) for a in (exclude_axes.get(programme) or [])}
    else:
        listed = {str(a) for a in (exclude_axes or [])}
    axes = ((nomenclature or {}).get(programme) or {}).get("axes") or {}
    titled = {str(a) for a, title in axes.items() if str(title).strip().lower().startswith("assistance technique")}
    return listed | titled


def exclusion_reasons(ops: pd.DataFrame, exclude_axes, waves: dict, nomenclature: dict | None = None,
                      react_apart: dict[str, set[str]] | None = None,
                      wave_dates: pd.Series | None = None) -> pd.Series:
    """Why each operation is out of scope (NA = in scope), in this order: the mapping's own
    exclusion (another programme or fund), technical assistance (see excluded_axes), a REACT-EU
    axis counted apart (`react_apart`: programme -> axes), an OS code absent from the nomenclature
    (`_unknown_os`), a wave date outside every wave."""
    reason = pd.Series(pd.NA, index=ops.index, dtype="str")
    if "_exclude" in ops:
        reason = reason.fillna(ops["_exclude"])
    at = pd.Series(False, index=ops.index)
    for prog in ops["programme"].dropna().unique():
        axes = excluded_axes(nomenclature or {}, str(prog), exclude_axes)
        at |= (ops["programme"] == prog) & ops["axe"].isin(sorted(axes))
    reason = reason.mask(reason.isna() & at.fillna(False), REASON_AT)
    react = pd.Series(False, index=ops.index)
    for prog, axes in (react_apart or {}).items():
        react |= (ops["programme"] == prog) & ops["axe"].isin(sorted(axes))
    reason = reason.mask(reason.isna() & react.fillna(False), REASON_REACT)
    if "_unknown_os" in ops:
        reason = reason.mask(reason.isna() & ops["_unknown_os"].fillna(False).astype(bool), REASON_UNKNOWN_OS)
    if wave_dates is not None:
        reason = reason.mask(reason.isna() & wave_dates.isna(), REASON_NO_DATE)
    reason = reason.mask(reason.isna() & ops["wave"].isna(), REASON_WINDOW)
    return reason


# ----------------------------------------------------------------------------------- other inputs

def join_qualitative(ops: pd.DataFrame, tables: list[Table], log: QualityLog) -> tuple[pd.DataFrame, dict]:
    """Join qualitative texts by operation number. Returns (ops, rows joined per file label)."""
    text_cols = ["call_title", "description", "actions", "results"]
    joined: dict[str, int] = {}
    known = set(ops["op_id"].dropna())
    frames = []
    for t in tables:
        require_values(t, ["op_id"])
        check_unique(t, "op_id", "numéro d'opération")
        q = t.df
        in_ops = pd.Series(isin(q["op_id"], known), index=q.index)
        unknown = ~in_ops
        if unknown.any():
            log.warn(t.label, WARN_QUAL_UNKNOWN, int(unknown.sum()), example=q.loc[unknown, "op_id"].iloc[0])
        joined[t.label] = int(in_ops.sum())
        frames.append(q.loc[in_ops, ["op_id", *text_cols, "_line"]].assign(_file=t.label))
    if not frames:
        return ops, joined
    qual = pd.concat(frames, ignore_index=True)
    _fail_on_duplicate(qual, qual["op_id"].duplicated(keep="first"), "opération déjà décrite dans",
                       expected="une seule ligne qualitative par opération")
    qual = qual.set_index("op_id")
    for c in text_cols:
        ops[c] = ops[c].fillna(ops["op_id"].map(qual[c]).astype("str"))
    return ops, joined


def validate_survey(table: Table, log: QualityLog) -> pd.DataFrame:
    df = table.df
    require_values(table, ["respondent_id", "respondent", "body_type", "answer"])
    check_unique(table, "respondent_id", "identifiant de répondant")
    raw = df["answer"]
    key = norm_key(raw).str.replace(r"\s*\.$", "", regex=True)
    ans = key.map({norm_header(k): v for k, v in ANSWERS.items()}).astype("str")
    table.fail(raw.notna() & ans.isna(), "answer", "réponse hors des valeurs permises", expected=ANSWERS_EXPECTED)
    log.fix(table.label, FIX_ANSWER, int((ans.notna() & (ans != raw)).sum()))
    df["answer"] = ans
    return df


def validate_lot5(table: Table, known_iej: set, log: QualityLog) -> pd.DataFrame:
    df = table.df
    empty = df["op_id"].isna()
    log.warn(table.label, WARN_LOT5_EMPTY, int(empty.sum()))
    df = df.loc[~empty]
    dup = df["op_id"].duplicated(keep="first")
    if dup.any():
        log.warn(table.label, WARN_LOT5_DUP, int(dup.sum()), example=df.loc[dup, "op_id"].iloc[0])
    df = df.loc[~dup].copy()
    df["in_extract"] = isin(df["op_id"], known_iej)
    unknown = ~df["in_extract"]
    if unknown.any():
        log.warn(table.label, WARN_LOT5_UNKNOWN, int(unknown.sum()), example=df.loc[unknown, "op_id"].iloc[0])
    return df.reset_index(drop=True)

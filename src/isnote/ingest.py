"""Ingest step: read every input through the mapping, validate, exclude, write the clean tables.

    python -m isnote.ingest --params params/demo.yaml

reads the files of `inputs` (params), validates them, excludes technical assistance and the
operations outside every wave window, and writes `<out>/clean/` (docs/architecture.md). On bad
input it prints `ERREUR : <message>` on stderr and exits with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import reallists as RL
from . import validate as V
from .atomic import write_text
from .config import Layout, Params, load_params, resolve
from .errors import InputError, IsnoteError
from .labels import TOTAL_WAVES_LABEL, default_wave_label
from .frdates import long_date as fr_date  # noqa: F401  (used by the notebooks too)
from .parquet_io import DATE_COLUMNS, FLOAT_COLUMNS, write_parquet
from .readers import QualityLog, display_name, isin, load_mapping, read_participant_counts, read_table
from .validate import REASON_AT, REASON_WINDOW  # noqa: F401  (re-exported for the notebook)

OPERATION_COLUMNS = ["op_id", "programme", "wave", "title", "beneficiary", "legal_form", "beneficiary_type",
                     "axe", "pi", "os", "region", "service", "place", "programming_date", "start_date",
                     "end_date", "ct", "ue", "planned_participants", "n_actions", "call_title", "description",
                     "actions", "results", "participants", "agreement_date", "programme_name",
                     "category_code", "category_label"]
SURVEY_COLUMNS = ["respondent_id", "respondent", "body_type", "answer", "operations_named", "observations"]
LOT5_COLUMNS = ["op_id", "title", "in_extract"]
INT_COLUMNS = ("planned_participants", "n_actions")

Q_FILE, Q_READ, Q_KEPT = "fichier", "lignes lues", "retenues"
Q_AT, Q_WINDOW, Q_OTHER = "exclues (AT)", "exclues (hors vagues)", "exclues (autre programme ou fonds)"
Q_REACT, Q_CODE = "comptées à part (REACT-EU)", "exclues (code hors nomenclature)"
Q_FIXES, Q_FIX_DETAIL, Q_WARN = "corrections", "détail des corrections", "avertissements"
QUALITY_COLUMNS = [Q_FILE, Q_READ, Q_KEPT, Q_AT, Q_WINDOW, Q_OTHER, Q_REACT, Q_CODE, Q_FIXES, Q_FIX_DETAIL, Q_WARN]

DEFAULT_PROGRAMME_LABELS = {"fse": "PON FSE", "iej": "PON IEJ"}
MEASURES = {"n_ops": "opérations", "ue": "montant UE programmé (M€)", "ct": "coût total (M€)"}


@dataclass
class IngestResult:
    operations: pd.DataFrame
    excluded: pd.DataFrame
    survey: pd.DataFrame
    lot5: pd.DataFrame
    quality: pd.DataFrame
    meta: dict
    corrections: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: pd.DataFrame = field(default_factory=pd.DataFrame)
    perimeter: dict = field(default_factory=dict)     # key-figure block (reallists.perimeter)
    os_labels: dict = field(default_factory=dict)     # programme -> OS code -> label read in the data


def _paths(spec, what: str, source: str) -> list[tuple[str | None, Path]]:
    """inputs.<what> may be absent, a path, a list of paths, or a dict programme -> path."""
    if spec is None or spec == "" or spec == {} or spec == []:
        return []
    if isinstance(spec, (str, Path)):
        return [(None, resolve(spec))]
    if isinstance(spec, list):
        return [(None, resolve(p)) for p in spec if p]
    if isinstance(spec, dict):
        return [(str(k), resolve(v)) for k, v in spec.items() if v]
    raise InputError(source, f"inputs.{what} illisible", column=f"inputs.{what}", value=spec,
                     expected="un chemin, une liste de chemins ou un dictionnaire programme: chemin")


def _roles(what: str, files: list[tuple[str | None, Path]]) -> list[str]:
    """Keys of ingest_meta.json: operations.fse, qualitative.iej, participants, survey, lot5..."""
    return [f"{what}.{prog}" if prog else (what if len(files) == 1 else f"{what}.{i + 1}")
            for i, (prog, _p) in enumerate(files)]


def _empty_ops() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: pd.Series([], dtype="str") for c in OPERATION_COLUMNS}))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Operations columns with their contract types, in contract order."""
    out = pd.DataFrame(index=df.index)
    for c in OPERATION_COLUMNS:
        s = df[c] if c in df else pd.Series(pd.NA, index=df.index)
        if c in DATE_COLUMNS:
            out[c] = pd.to_datetime(s).astype("datetime64[s]")
        elif c in FLOAT_COLUMNS:
            out[c] = s.astype("float64")
        elif c in INT_COLUMNS:
            out[c] = s.astype("Int64")
        elif c == "participants":
            out[c] = s.fillna(0).astype("int64")
        else:
            out[c] = s.astype("str")
    return out


def run(params: Params) -> IngestResult:
    """Read, validate and split the inputs of a run. Raises InputError on bad input."""
    source = display_name(params.source)
    log = QualityLog()
    mapping = load_mapping(params.path("mapping"))
    nomenclature = params.yaml("nomenclature") or {}
    regions = nomenclature.get("regions") or []
    programmes = [str(p) for p in (params.get("programmes") or {k: 1 for k in nomenclature if k != "regions"})]
    waves = params["waves"]
    V.check_waves(waves, source)
    wave_col = RL.wave_date(params)
    react_mode, react_axes = RL.react_eu(params, nomenclature)
    unknown_os = str(params.get("unknown_os") or "error")
    if unknown_os not in ("error", "exclude"):
        raise InputError(source, "valeur de unknown_os inconnue", column="unknown_os", value=unknown_os,
                         expected="error ou exclude")
    inputs = params.get("inputs") or {}
    meta: dict[str, dict] = {}
    qrows: dict[str, dict] = {}

    # --- operations
    op_files = _paths(inputs.get("operations"), "operations", source)
    if not op_files:
        raise InputError(source, "aucun fichier d'opérations dans les paramètres", column="inputs.operations",
                         expected="inputs: operations: {fse: chemin, iej: chemin}")
    op_rules = mapping.kind("operations").rules
    frames: list[pd.DataFrame] = []
    for role, (prog, path) in zip(_roles("operations", op_files), op_files):
        t = read_table(path, "operations", mapping, log=log)
        if "programme" not in op_rules:
            if prog is None:
                raise InputError(source, "programme des opérations inconnu", column="inputs.operations",
                                 expected="un dictionnaire programme: chemin, ou une règle « programme » "
                                          "dans la table de correspondance")
            t.df["programme"] = prog
        elif prog is not None:
            t.df["programme"] = t.df["programme"].fillna(prog)
        df = V.validate_operations(t, nomenclature, regions, log, programmes, unknown_os=unknown_os,
                                   wave_date=wave_col)
        df["_file"] = t.label
        frames.append(df)
        meta[role] = t.meta()
        qrows[t.label] = {Q_READ: t.rows}
    V.check_unique_across(frames)
    ops = pd.concat(frames, ignore_index=True)
    if "_exclude" not in ops:
        ops["_exclude"] = pd.Series(pd.NA, index=ops.index, dtype="str")
    ops["wave"] = V.assign_waves(ops[wave_col], waves)

    # --- participants: records per operation, or the planned number when the layout has no file
    part_files = _paths(inputs.get("participants"), "participants", source)
    counts = pd.Series(dtype="int64")
    part_meta = []
    for role, (_prog, path) in zip(_roles("participants", part_files), part_files):
        pc = read_participant_counts(path, mapping, log=log)
        meta[role] = pc.meta
        part_meta.append(pc)
        counts = counts.add(pc.counts, fill_value=0).astype("int64") if len(counts) else pc.counts
    if part_files:
        ops["participants"] = ops["op_id"].map(counts).fillna(0).astype("int64")
        known = ops["op_id"]
        for pc in part_meta:
            label = pc.meta["path"]
            unknown = pc.counts[~isin(pc.counts.index, known)]
            if len(unknown):
                log.warn(label, V.WARN_PART_UNKNOWN, int(unknown.sum()), example=unknown.index[0])
            log.warn(label, V.WARN_PART_NO_OP, pc.missing_op)
            qrows[label] = {Q_READ: pc.rows, "_counts": pc.counts}
    elif "participants" in op_rules:
        ops["participants"] = ops["participants"].fillna(0).astype("int64")
    else:
        ops["participants"] = 0

    # --- qualitative texts
    qual_tables = []
    qual_files = _paths(inputs.get("qualitative"), "qualitative", source)
    for role, (_prog, path) in zip(_roles("qualitative", qual_files), qual_files):
        t = read_table(path, "qualitative", mapping, log=log, allow_empty=True)
        meta[role] = t.meta()
        qrows[t.label] = {Q_READ: t.rows}
        qual_tables.append(t)
    ops, joined = V.join_qualitative(ops, qual_tables, log)
    for label, n in joined.items():
        qrows[label][Q_KEPT] = n

    # --- exclusions
    reason = V.exclusion_reasons(ops, params.get("exclude_axes") or [], waves, nomenclature,
                                 react_apart=react_axes if react_mode == "apart" else None,
                                 wave_dates=ops[wave_col])
    ops = ops.assign(_reason=reason)
    if qual_tables:
        text = ops[["call_title", "description", "actions", "results"]].notna().any(axis=1)
        missing = ops["_reason"].isna() & ~text
        log.warn(qual_tables[0].label, V.WARN_QUAL_MISSING, int(missing.sum()))
    for label in list(qrows):
        sel = ops["_file"] == label
        if not sel.any():
            continue
        r = ops.loc[sel, "_reason"]
        own = [V.REASON_AT, V.REASON_WINDOW, V.REASON_REACT, V.REASON_UNKNOWN_OS, V.REASON_NO_DATE]
        qrows[label].update({Q_KEPT: int(r.isna().sum()), Q_AT: int((r == V.REASON_AT).sum()),
                             Q_WINDOW: int(r.isin([V.REASON_WINDOW, V.REASON_NO_DATE]).sum()),
                             Q_OTHER: int((r.notna() & ~r.isin(own)).sum()),
                             Q_REACT: int((r == V.REASON_REACT).sum()),
                             Q_CODE: int((r == V.REASON_UNKNOWN_OS).sum())})
    in_scope = ops["_reason"].isna()
    perimeter = RL.perimeter(ops, params, nomenclature)
    _check_current_wave(ops, params, wave_col, perimeter, source)
    os_labels = _os_labels(ops.loc[in_scope])
    sort_keys = ["programme", "op_id"]
    operations = _typed(ops.loc[in_scope].sort_values(sort_keys, kind="stable").reset_index(drop=True))
    excl = ops.loc[~in_scope].sort_values(["_reason", "programme", "op_id"], kind="stable", na_position="last")
    excluded = _typed(excl.reset_index(drop=True))
    excluded["reason"] = excl["_reason"].astype("str").to_numpy()
    for label, row in qrows.items():
        if "_counts" in row:
            kept = row.pop("_counts")
            row[Q_KEPT] = int(kept[isin(kept.index, operations["op_id"])].sum())

    # --- survey
    survey = pd.DataFrame({c: pd.Series([], dtype="str") for c in SURVEY_COLUMNS})
    survey_files = _paths(inputs.get("survey"), "survey", source)
    parts = []
    for role, (_prog, path) in zip(_roles("survey", survey_files), survey_files):
        t = read_table(path, "survey", mapping, log=log)
        parts.append(V.validate_survey(t, log)[SURVEY_COLUMNS + ["_line"]].assign(_file=t.label))
        meta[role] = t.meta()
        qrows[t.label] = {Q_READ: t.rows, Q_KEPT: t.rows}
    if parts:
        survey = pd.concat(parts, ignore_index=True)
        dup = survey["respondent_id"].duplicated(keep="first")
        if dup.any():
            V.fail_rows(survey.loc[dup, "_file"].iloc[0], survey["_line"], dup,
                        "identifiant de répondant déjà présent dans un autre fichier d'enquête",
                        column="respondent_id", expected="un identifiant unique", values=survey["respondent_id"])
        survey = survey[SURVEY_COLUMNS]

    # --- lot 5
    lot5 = pd.DataFrame({"op_id": pd.Series([], dtype="str"), "title": pd.Series([], dtype="str"),
                         "in_extract": pd.Series([], dtype=bool)})
    known_iej = set(ops.loc[ops["programme"] == "iej", "op_id"])
    lot5_files = _paths(inputs.get("lot5"), "lot5", source)
    parts = []
    for role, (_prog, path) in zip(_roles("lot5", lot5_files), lot5_files):
        t = read_table(path, "lot5", mapping, log=log, allow_empty=True)
        part = V.validate_lot5(t, known_iej, log)[LOT5_COLUMNS]
        parts.append(part)
        meta[role] = t.meta()
        qrows[t.label] = {Q_READ: t.rows, Q_KEPT: int(part["in_extract"].sum())}
    if parts:
        lot5 = pd.concat(parts, ignore_index=True).drop_duplicates("op_id", keep="first").reset_index(drop=True)

    quality = _quality(qrows, log)
    perimeter["survey"] = bool(len(survey))
    perimeter["lot5"] = bool(len(lot5))
    perimeter["qualitative"] = bool(qual_tables)
    perimeter["participants"] = bool(part_files) or "participants" in op_rules
    return IngestResult(operations=operations, excluded=excluded, survey=survey.astype("str"), lot5=lot5,
                        quality=quality, meta=meta, corrections=log.fixes_frame(), warnings=log.warnings_frame(),
                        perimeter=perimeter, os_labels=os_labels)


OS_LABEL_MAX = 90      # labels of specific objectives read in the data are cut (word boundary) for tables


def _os_labels(ops: pd.DataFrame) -> dict:
    """Labels of the OS codes as written in the data (mapping column `os_label`), the most frequent
    one per code: used where the nomenclature has none (FSE+ 2021-2027)."""
    if "os_label" not in ops or not ops["os_label"].notna().any():
        return {}
    sel = ops.loc[ops["os_label"].notna(), ["programme", "os", "os_label"]]
    counts = sel.value_counts().reset_index(name="n").sort_values(["programme", "os", "n", "os_label"],
                                                                   ascending=[True, True, False, True])
    first = counts.drop_duplicates(["programme", "os"]).copy()
    long = first["os_label"].str.len() > OS_LABEL_MAX
    cut = first.loc[long, "os_label"].str.slice(0, OS_LABEL_MAX).str.replace(r"[\s,;:]+\S*$", "", regex=True)
    first.loc[long, "os_label"] = cut + "…"
    return {str(p): dict(zip(g["os"].astype(str), g["os_label"].astype(str))) for p, g in first.groupby("programme")}


def _check_current_wave(ops: pd.DataFrame, params: Params, wave_col: str, perimeter: dict, source: str) -> None:
    """A current wave without any operation stops the run with a clear message naming its window
    and the date range the data covers (instead of a note of empty tables)."""
    cw = params["current_wave"]
    if bool((ops["_reason"].isna() & (ops["wave"] == cw)).any()):
        return
    w = params["waves"][cw]
    rng = perimeter.get("data_range") or {}
    what = RL.WAVE_DATES[wave_col]
    covered = (f"les opérations retenables des données ont une {what} comprise entre le {fr_date(rng['min'])} "
               f"et le {fr_date(rng['max'])}" if rng.get("min") else f"aucune opération des données n'a de {what}")
    raise InputError(source, f"la vague {cw} (du {fr_date(w['start'])} au {fr_date(w['end'])}, selon la {what}) "
                     f"ne contient aucune opération ; {covered}", column=f"waves.{cw}",
                     expected="une fenêtre de la vague courante (current_wave) qui recouvre des dates des données")


def _quality(qrows: dict[str, dict], log: QualityLog) -> pd.DataFrame:
    rows = []
    for label, r in qrows.items():
        rows.append({Q_FILE: label, Q_READ: r.get(Q_READ), Q_KEPT: r.get(Q_KEPT), Q_AT: r.get(Q_AT),
                     Q_WINDOW: r.get(Q_WINDOW), Q_OTHER: r.get(Q_OTHER), Q_REACT: r.get(Q_REACT),
                     Q_CODE: r.get(Q_CODE), Q_FIXES: log.n_fixes(label),
                     Q_FIX_DETAIL: log.fixes_text(label), Q_WARN: log.warnings_text(label)})
    q = pd.DataFrame(rows, columns=QUALITY_COLUMNS)
    for c in (Q_READ, Q_KEPT, Q_AT, Q_WINDOW, Q_OTHER, Q_REACT, Q_CODE, Q_FIXES):
        q[c] = pd.array(q[c].tolist(), dtype="Int64")
    for c in (Q_FILE, Q_FIX_DETAIL, Q_WARN):
        q[c] = q[c].astype("str")
    return q


# ----------------------------------------------------------------------------------- writing

def write_csv(df: pd.DataFrame, target: Path) -> None:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    write_text(target, buf.getvalue())


def write_clean(result: IngestResult, layout: Layout) -> dict[str, Path]:
    """Write the clean tables of docs/architecture.md under layout.clean (atomically)."""
    clean = layout.clean
    clean.mkdir(parents=True, exist_ok=True)
    out = {
        "operations": clean / "operations.parquet", "excluded": clean / "excluded.parquet",
        "survey": clean / "survey.parquet", "lot5": clean / "lot5.parquet", "quality": clean / "quality.csv",
        "corrections": clean / "corrections.csv", "warnings": clean / "warnings.csv",
        "meta": clean / "ingest_meta.json", "os_labels": clean / "os_labels.json",
    }
    write_parquet(result.operations, out["operations"])
    write_parquet(result.excluded, out["excluded"])
    write_parquet(result.survey, out["survey"])
    write_parquet(result.lot5, out["lot5"])
    write_csv(result.quality, out["quality"])
    write_csv(result.corrections, out["corrections"])
    write_csv(result.warnings, out["warnings"])
    write_text(out["meta"], json.dumps(result.meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    write_text(out["os_labels"], json.dumps(result.os_labels, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return out


# ----------------------------------------------------------------------------------- key figures

def _programmes(params: Params) -> list[str]:
    return [str(p) for p in (params.get("programmes") or {"fse": 1, "iej": 1})]


def _block(sel: pd.DataFrame, participants: bool = False) -> dict:
    out = {"n_ops": int(len(sel)), "ue": float(sel["ue"].sum()) / 1e6, "ct": float(sel["ct"].sum()) / 1e6}
    if participants:
        out["participants"] = int(sel["participants"].sum())
    return out


def volumes(operations: pd.DataFrame, params: Params) -> dict:
    """The `volumes` key-figure block: per programme, per wave: n_ops, ue, ct (M€, unrounded).
    A programme of the parameters without any operation in the data is left out (no empty row)."""
    out: dict = {}
    listed = _programmes(params)
    present = [p for p in listed if bool((operations["programme"] == p).any())]
    for prog in present or listed:
        out[prog] = {}
        for w in params["waves"]:
            sel = operations[(operations["programme"] == prog) & (operations["wave"] == str(w))]
            out[prog][str(w)] = _block(sel)
    return out


def pon_totals(operations: pd.DataFrame, params: Params, *, programme: str = "fse",
               os_axes: tuple[str, ...] = ("3",)) -> dict:
    """The `pon_totals` block: for `programme`, per wave: each axis in scope (axe1..), each OS of
    the axes `os_axes`, and the total, with participants, n_ops, ue, ct (M€ unrounded)."""
    nomen = params.yaml("nomenclature") or {}
    prog_nom = nomen.get(programme) or {}
    excl = V.excluded_axes(nomen, programme, params.get("exclude_axes") or [])
    if str(params.get("react_eu") or "apart") != "include":      # REACT-EU axes counted apart
        excl |= {str(a) for a in (prog_nom.get("react_eu_axes") or [])}
    axes = [str(a) for a in (prog_nom.get("axes") or {}) if str(a) not in excl]
    order = prog_nom.get("os_order") or list(prog_nom.get("os") or {})
    os_codes = [c for c in order if str((prog_nom.get("os") or {}).get(c, {}).get("axe")) in os_axes]
    ops = operations[operations["programme"] == programme]
    out: dict = {programme: {}}
    for w in params["waves"]:
        wave_ops = ops[ops["wave"] == str(w)]
        block = {f"axe{a}": _block(wave_ops[wave_ops["axe"] == a], True) for a in axes}
        block.update({c: _block(wave_ops[wave_ops["os"] == c], True) for c in os_codes})
        block["total"] = _block(wave_ops, True)
        out[programme][str(w)] = block
    return out


def tableau2(volumes: dict, labels: dict | None = None) -> pd.DataFrame:
    """Tableau 2 from the volumes block: rows = programmes + "total", columns = (wave, measure)
    for every wave + "total", measures n_ops, ue, ct (M€, unrounded). Column "programme" = label."""
    labels = {**DEFAULT_PROGRAMME_LABELS, **(labels or {})}
    progs = list(volumes)
    waves: list[str] = []
    for p in progs:
        waves += [w for w in volumes[p] if w not in waves]
    data: dict = {}
    for w in waves + ["total"]:
        for m in MEASURES:
            col = []
            for p in progs:
                cells = [volumes[p].get(x, {}).get(m, 0) for x in (waves if w == "total" else [w])]
                col.append(sum(cells))
            col.append(sum(col))
            data[(w, m)] = col
    df = pd.DataFrame(data, index=pd.Index(progs + ["total"], name="programme_key"))
    df.columns = pd.MultiIndex.from_tuples(df.columns, names=["wave", "measure"])
    for c in df.columns:
        if c[1] == "n_ops":
            df[c] = df[c].astype("int64")
    df.insert(0, ("programme", ""), [labels.get(p, p) for p in progs] + ["Total"])
    return df


def tableau2_display(t2: pd.DataFrame, wave_labels: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """Flat French-labelled Tableau 2 and its formatters (M€ to one decimal, '6 646')."""
    from .frnum import fmt_int, fmt_num, round_half_up
    wave_labels = wave_labels or {}
    out = pd.DataFrame({"Programme": t2[("programme", "")].to_numpy()})
    formats: dict = {}
    for (w, m) in t2.columns:
        if w == "programme":
            continue
        wl = TOTAL_WAVES_LABEL if w == "total" else wave_labels.get(w) or default_wave_label(w)
        col = f"{wl} – {MEASURES[m]}"
        out[col] = t2[(w, m)].to_numpy()
        formats[col] = fmt_int if m == "n_ops" else (lambda v: fmt_num(round_half_up(float(v), 1), 1))
    return out, formats


def quality_display(quality: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The data-quality table as shown in the note (counts formatted, '–' where not applicable)."""
    from .frnum import fmt_int
    shown = quality.copy()
    shown[Q_FILE] = shown[Q_FILE].map(lambda p: Path(str(p)).name)
    counts = [Q_READ, Q_KEPT, Q_AT, Q_WINDOW, Q_OTHER, Q_REACT, Q_CODE, Q_FIXES]
    for optional in (Q_OTHER, Q_REACT, Q_CODE):
        if optional in shown and not shown[optional].fillna(0).astype("int64").any():
            shown = shown.drop(columns=[optional])
            counts.remove(optional)
    for c in counts:
        shown[c] = shown[c].astype("float64")
    shown = shown.rename(columns={Q_FIX_DETAIL: "détail des corrections et avertissements"})
    shown["détail des corrections et avertissements"] = [
        " ; ".join(x for x in (a, b) if x) for a, b in zip(quality[Q_FIX_DETAIL].fillna(""), quality[Q_WARN].fillna(""))]
    shown = shown.drop(columns=[Q_WARN])
    formats = {c: fmt_int for c in counts}
    return shown, formats


# ----------------------------------------------------------------------------------- CLI

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m isnote.ingest",
                                     description="Lit, valide et écrit les tables propres d'un jeu de données.")
    parser.add_argument("--params", default=None, help="fichier de paramètres (défaut : params/demo.yaml)")
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
        result = run(params)
        write_clean(result, params.layout.ensure())
    except IsnoteError as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 2
    ops = result.operations
    print(f"{len(ops)} opérations retenues, {len(result.excluded)} exclues ; tables écrites dans "
          f"{display_name(params.layout.clean)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

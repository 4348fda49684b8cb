"""Export of the result tables: one CSV per table and one XLSX workbook with all of them.

CSV: UTF-8, `,` separator, `.` decimal point, one header row, `\\n` line ends. Amounts keep the
unit of their column name (`*_meur`: M€; in `retained_operations.csv`, `ue` and `ct` are in
EUROS, as in the monitoring extract). Text cells beginning with `=`, `+`, `-` or `@` are
neutralised (prefixed with `'`) so that a spreadsheet never evaluates them; numbers stay numbers.

Each CSV has a sidecar `.schema/<name>.json` (column kinds) so that `build_workbook` writes
numbers as numbers and codes (op_id, os, ...) as text. Outputs are byte-identical across runs:
the workbook's properties carry a constant date and the zip entries a constant timestamp.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from .atomic import write_bytes, write_text
from .formula import neutralise
from .parquet_io import write_parquet  # noqa: F401  (re-exported)

SCHEMA_DIR = ".schema"
WORKBOOK = "tables.xlsx"
FIXED_DATE = dt.datetime(2000, 1, 1, 0, 0, 0)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_NAME_OK = re.compile(r"^[A-Za-z0-9_.-]+$")
RETAINED_COLUMNS = ["op_id", "programme", "wave", "axe", "pi", "os", "region", "service", "title", "beneficiary",
                    "categorie", "categorie_label", "emblematique", "continuation", "ue", "ct", "participants",
                    "programming_date"]


def _kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    if pd.api.types.is_float_dtype(s):
        return "float"
    return "str"


def _check_name(name: str) -> None:
    if not _NAME_OK.match(name):
        raise ValueError(f"nom de table invalide : {name!r}")


def write_table(df: pd.DataFrame, tables_dir: str | Path, name: str, title: str | None = None) -> Path:
    """Write `<tables_dir>/<name>.csv` (and its schema sidecar) atomically; return the CSV path."""
    _check_name(name)
    tables_dir = Path(tables_dir)
    clean = neutralise(df.reset_index(drop=True))
    # dates as ISO text, booleans as true/false words kept by pandas (True/False)
    for col in clean.columns:
        if pd.api.types.is_datetime64_any_dtype(clean[col]):
            clean[col] = clean[col].dt.strftime("%Y-%m-%d")
    text = clean.to_csv(index=False, sep=",", decimal=".", lineterminator="\n")
    path = tables_dir / f"{name}.csv"
    write_text(path, text)
    schema = {"name": name, "title": title or name, "columns": {str(c): _kind(df[c]) for c in df.columns}}
    write_text(tables_dir / SCHEMA_DIR / f"{name}.json", json.dumps(schema, ensure_ascii=False, indent=1) + "\n")
    return path


def export_tables(tables: Mapping[str, pd.DataFrame], tables_dir: str | Path,
                  titles: Mapping[str, str] | None = None) -> list[Path]:
    """Write every table of `tables` (name -> DataFrame) as CSV; return the paths in order."""
    titles = titles or {}
    return [write_table(df, tables_dir, name, titles.get(name)) for name, df in tables.items()]


def retained_operations(retained: pd.DataFrame) -> pd.DataFrame:
    """The retained list of every wave (both programmes) for `retained_operations.csv` (ue, ct in euros)."""
    df = retained.copy()
    for c in RETAINED_COLUMNS:
        if c not in df.columns:
            df[c] = pd.NA
    df = df[RETAINED_COLUMNS].sort_values(["programme", "wave", "op_id"], kind="stable").reset_index(drop=True)
    df["participants"] = df["participants"].fillna(0).astype("int64")
    for c in ("ue", "ct"):
        df[c] = df[c].astype("float64")
    for c in ("emblematique", "continuation"):
        df[c] = df[c].astype("boolean").fillna(False).astype(bool)
    if "programming_date" in df.columns:
        df["programming_date"] = pd.to_datetime(df["programming_date"]).dt.strftime("%Y-%m-%d")
    return df


# --------------------------------------------------------------------------------------------
# workbook


def sheet_names(names: list[str]) -> list[str]:
    """Excel-safe sheet names (<= 31 chars, no []:*?/\\, unique case-insensitively)."""
    out: list[str] = []
    seen: set[str] = set()
    for n in names:
        base = _SHEET_BAD.sub("_", n)[:31] or "feuille"
        cand, i = base, 1
        while cand.lower() in seen:
            suffix = f"~{i}"
            cand = base[: 31 - len(suffix)] + suffix
            i += 1
        seen.add(cand.lower())
        out.append(cand)
    return out


def _read_typed(csv_path: Path, schema: dict | None) -> pd.DataFrame:
    df = pd.read_csv(csv_path, sep=",", dtype=str, keep_default_na=False, encoding="utf-8")
    kinds = (schema or {}).get("columns", {})
    for col in df.columns:
        kind = kinds.get(col)
        s = df[col]
        if kind is None:   # no schema: numbers when every non-empty cell is a number
            num = pd.to_numeric(s.where(s.ne("")), errors="coerce")
            kind = "float" if (num.notna() | s.eq("")).all() and s.ne("").any() else "str"
        if kind in ("int", "float"):
            num = pd.to_numeric(s.where(s.ne("")), errors="coerce")
            df[col] = num.astype("Int64") if kind == "int" and (num.dropna() % 1 == 0).all() else num
        elif kind == "bool":
            df[col] = s.map({"True": True, "False": False, "true": True, "false": False}).astype(object)
    return df


def _cell(v):
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with constant timestamps and sorted-by-original-order entries."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zi.create_system = 0
            dst.writestr(zi, src.read(info.filename))
    return buf.getvalue()


EXCEL_MAX_CHARS = 32767                       # characters in one cell
CUT_MARK = "…[texte tronqué]"
# characters an xlsx file cannot hold (XML 1.0): control characters except tab, line feed, return
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _clean_text_column(s: pd.Series) -> bool:
    """True when `s` holds only text (or nothing) that an xlsx cell can hold as it is: no control
    character, none too long. One search over the column's joined text (the usual case), instead
    of the cell-by-cell checks of `excel_safe`; False means "look cell by cell"."""
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind == "empty":
        return True
    if kind != "string":
        return False
    texts = s.dropna().tolist()
    return max(map(len, texts), default=0) <= EXCEL_MAX_CHARS and _XML_ILLEGAL.search("\n".join(texts)) is None


def excel_safe(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Text cells an xlsx can hold: control characters removed (a vertical tab, Word's manual line
    break, becomes a line feed), cells longer than Excel's limit cut with a visible mark. Returns
    the frame and the counts {"controle": cells cleaned, "tronque": cells cut}."""
    out = df.copy()
    counts = {"controle": 0, "tronque": 0}
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) \
                or pd.api.types.is_datetime64_any_dtype(s):
            continue
        if _clean_text_column(s):
            continue
        is_text = s.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
        if not is_text.any():
            continue
        text = s.where(is_text).astype("string")
        bad = text.str.contains(_XML_ILLEGAL).fillna(False).astype(bool)
        long = (text.str.len() > EXCEL_MAX_CHARS).fillna(False).astype(bool)
        if not (bad.any() or long.any()):
            continue
        fixed = text.str.replace("\x0b", "\n", regex=False).str.replace(_XML_ILLEGAL, "", regex=True)
        fixed = fixed.where(fixed.str.len() <= EXCEL_MAX_CHARS,
                            fixed.str.slice(0, EXCEL_MAX_CHARS - len(CUT_MARK)) + CUT_MARK)
        counts["controle"] += int(bad.sum())
        counts["tronque"] += int((fixed.str.len() < text.str.len()).fillna(False).astype(bool)[long].sum())
        out[col] = s.astype(object).where(~(bad | long), fixed.astype(object))
    return out, counts


def workbook_notice(counts: dict[str, int]) -> list[str]:
    """Lines of the "Lisez-moi" sheet about the cells excel_safe changed (empty when none)."""
    lines = []
    if counts.get("controle"):
        lines.append(f"{counts['controle']} cellule(s) contenaient des caractères de contrôle, retirés "
                     "dans ce classeur (les fichiers CSV les conservent).")
    if counts.get("tronque"):
        lines.append(f"{counts['tronque']} cellule(s) dépassaient la limite d'Excel ({EXCEL_MAX_CHARS} "
                     "caractères) et sont coupées ; le texte complet figure dans les fichiers CSV.")
    return lines


def workbook_bytes(frames: list[tuple[str, pd.DataFrame]]) -> bytes:
    """XLSX bytes with one sheet per (sheet name, frame); deterministic."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    wb.remove(wb.active)
    for title, df in frames:
        ws = wb.create_sheet(title=title)
        df, _ = excel_safe(neutralise(df))
        ws.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for j, col in enumerate(df.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200).tolist()])
            ws.column_dimensions[get_column_letter(j)].width = min(max(8, width + 2), 60)
    props = wb.properties
    props.creator = "isnote"
    props.lastModifiedBy = "isnote"
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    buf = io.BytesIO()
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()     # not save_workbook(): it stamps the current time
    return _normalise_zip(buf.getvalue())


def build_workbook(tables_dir: str | Path, out: str | Path | None = None, *, notice: str | None = None,
                   warnings: list | None = None) -> Path:
    """Gather every `<tables_dir>/*.csv` (sorted by name) into `tables.xlsx`, one sheet per table.

    `notice` (e.g. the synthetic-data warning) becomes a first sheet "Lisez-moi". When cells had
    to be cleaned or cut, a line "AVERTISSEMENT : ..." is appended to `warnings`, or printed on
    the standard error without it.
    """
    tables_dir = Path(tables_dir)
    csvs = sorted(p for p in tables_dir.glob("*.csv") if not p.name.startswith("."))
    frames = []
    counts = {"controle": 0, "tronque": 0}
    for name, path in zip(sheet_names([p.stem for p in csvs]), csvs):
        sp = tables_dir / SCHEMA_DIR / f"{path.stem}.json"
        schema = json.loads(sp.read_text(encoding="utf-8")) if sp.exists() else None
        frame, n = excel_safe(_read_typed(path, schema))
        counts = {k: counts[k] + n[k] for k in counts}
        frames.append((name, frame))
    lines = (notice.splitlines() if notice else []) + workbook_notice(counts)
    if lines:
        frames.insert(0, ("Lisez-moi", pd.DataFrame({"Avertissement": lines})))
        if any(counts.values()):
            line = "AVERTISSEMENT : " + " ".join(workbook_notice(counts))
            if warnings is not None:
                warnings.append(line)
            else:
                import sys
                print(line, file=sys.stderr)
    target = Path(out) if out else tables_dir / WORKBOOK
    write_bytes(target, workbook_bytes(frames))
    return target

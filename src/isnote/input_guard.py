"""Guards on input files, checked before and while reading them (called by readers, review, config).

- `require_regular_file`: a FIFO, a device or a folder given as an input, a register or a
  parameters file is refused at once (opening a FIFO would block the run forever).
- `check_input_file`: size limits before reading; for a workbook (.xlsx), the uncompressed size
  of its zip members, and the rows and cells of each sheet (its declared dimension, then a
  streamed count of its rows), so that a small file that expands to gigabytes, or a sheet of
  millions of rows, is refused in seconds.
- `clean_column`: Unicode normalisation of the cells of one column, counted as corrections:
  zero-width characters removed, control characters removed (identifiers, codes, numbers, dates)
  or replaced by a space (texts), then NFKC (full-width digits `１２３` -> `123`, ligatures...).
  No-break and thin spaces are left to the number parser, which counts them itself. A token
  longer than MAX_TOKEN_CHARS (a word without any space) is an error.
- `ambiguous_amounts`: in a file whose decimal mark is the comma, an amount like `374.609` (a
  point followed by exactly three digits) could be 374,609 € or 374 609 €: refused, never guessed.
- `normalise_ids`: the same cleaning for identifiers read outside the readers (participants
  parquet, review workbook), so that identifiers are compared after normalisation.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:                      # pandas is imported where cells are cleaned, not on every run
    import pandas as pd

MB = 1024 * 1024
MAX_FILE_BYTES = 2048 * MB              # any input file
MAX_XLSX_UNCOMPRESSED = 512 * MB        # sum of the uncompressed zip members of a workbook
MAX_ROWS = 2_000_000                    # rows of one sheet
MAX_CELLS = 60_000_000                  # rows x columns of one sheet
MAX_TOKEN_CHARS = 2_000                 # characters of a "word" (no space) in a text cell

REVIEW_MAX_UNCOMPRESSED = 100 * MB      # the review workbook (a few thousand rows at most)
REVIEW_MAX_ROWS = 100_000

FIX_INVISIBLE = "caractères invisibles ou de contrôle retirés"
FIX_NFKC = "caractères Unicode normalisés (NFKC : chiffres pleine chasse, ligatures...)"

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_ZW_RE = f"[{_ZERO_WIDTH}]"
_CTRL_RE = f"[{_CONTROL}]"
# spaces the number parser recognises and counts: kept out of NFKC (private-use placeholders)
_PROTECT = {"\u00a0": "\ue000", "\u202f": "\ue001", "\u2009": "\ue002", "\u2007": "\ue003"}
_PROTECT_IN = str.maketrans(_PROTECT)
_PROTECT_OUT = str.maketrans({v: k for k, v in _PROTECT.items()})


def _mb(n: int) -> str:
    return f"{n / MB:,.0f} Mo".replace(",", " ")


def require_regular_file(path: str | Path, label: object = None) -> None:
    """Refuse a path that exists but is not a regular file (folder, FIFO, device, socket).
    A missing path is left to the caller (each has its own "introuvable" message)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(label or path, f"fichier inaccessible ({exc.strerror})",
                         expected="un fichier lisible") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(label or path, "ce chemin est un dossier, pas un fichier", expected="un fichier ordinaire")
    if not stat.S_ISREG(st.st_mode):
        kind = "un tube nommé (FIFO)" if stat.S_ISFIFO(st.st_mode) else "un fichier spécial (périphérique, socket)"
        raise InputError(label or path, f"ce chemin est {kind}, pas un fichier ordinaire : il n'est pas lu",
                         expected="un fichier ordinaire")


def check_input_file(path: Path, label: str, fmt: str) -> None:
    """Regular file, size and (for a workbook) expansion limits, before any reading."""
    require_regular_file(path, label)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(label, f"fichier trop volumineux ({_mb(size)})",
                         expected=f"au plus {_mb(MAX_FILE_BYTES)}")
    if fmt == "xlsx":
        check_xlsx(path, label)


_DIM_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")
_ROW_RE = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def check_xlsx(path: Path, label: str, *, max_uncompressed: int | None = None,
               max_rows: int | None = None, max_cells: int | None = None) -> None:
    """Refuse a workbook whose zip expands beyond `max_uncompressed`, or one of whose sheets
    declares or holds more than `max_rows` rows or `max_cells` cells (read in a stream)."""
    max_uncompressed = MAX_XLSX_UNCOMPRESSED if max_uncompressed is None else max_uncompressed
    max_rows = MAX_ROWS if max_rows is None else max_rows
    max_cells = MAX_CELLS if max_cells is None else max_cells
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(label, f"classeur XLSX illisible ({type(exc).__name__})",
                         expected="un classeur Excel .xlsx valide") from None
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > max_uncompressed:
            raise InputError(label, f"classeur trop volumineux une fois décompressé ({_mb(total)} pour "
                             f"{_mb(path.stat().st_size)} sur le disque)",
                             expected=f"au plus {_mb(max_uncompressed)} décompressés")
        for info in infos:
            name = info.filename
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            sheet = name.rsplit("/", 1)[-1][:-4]
            try:
                with zf.open(info) as fh:
                    head = fh.read(64 * 1024)
                    m = _DIM_RE.search(head)
                    if m:
                        rows = int(m.group(4) or m.group(2))
                        cols = _col_number(m.group(3) or m.group(1))
                        _limits(label, sheet, rows, cols, max_rows, max_cells, declared=True)
                    n = len(_ROW_RE.findall(head))
                    tail = head[-16:]
                    while True:
                        chunk = fh.read(4 * MB)
                        if not chunk:
                            break
                        n += len(_ROW_RE.findall(tail + chunk)) - len(_ROW_RE.findall(tail))
                        tail = chunk[-16:]
                        if n > max_rows:
                            _limits(label, sheet, n, 1, max_rows, max_cells, declared=False)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise InputError(label, f"classeur XLSX illisible ({type(exc).__name__})",
                                 expected="un classeur Excel .xlsx valide") from None


def _limits(label, sheet, rows, cols, max_rows, max_cells, *, declared: bool) -> None:
    how = "annonce" if declared else "contient"
    if rows > max_rows:
        raise InputError(label, f"feuille « {sheet} » : trop de lignes (la feuille en {how} "
                         f"{rows:,})".replace(",", " "), expected=f"au plus {max_rows:,} lignes".replace(",", " "))
    if rows * cols > max_cells:
        raise InputError(label, f"feuille « {sheet} » : trop de cellules (la feuille en {how} "
                         f"{rows * cols:,})".replace(",", " "),
                         expected=f"au plus {max_cells:,} cellules".replace(",", " "))


# --------------------------------------------------------------------------------------------
# cells


def _nfkc(s: pd.Series) -> pd.Series:
    """NFKC of a string Series, leaving the no-break and thin spaces alone."""
    return s.str.translate(_PROTECT_IN).str.normalize("NFKC").str.translate(_PROTECT_OUT)


def normalise_cells(s: pd.Series, text: bool) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(cleaned, invisible, nfkc): invisible/control characters removed (identifiers) or
    replaced by a space (texts, `text=True`), then NFKC; the two masks flag the changed cells.
    Only cells holding a character outside ASCII and the Latin-1 letters are touched."""
    import pandas as pd

    s = s.astype("str")
    # ASCII and the accented letters of Latin-1 (U+00C0-U+00FF) are stable: only other cells are examined
    odd = s.str.contains("[^\x09\x0a\x0d\x20-\x7e\u00c0-\u00ff]", regex=True).fillna(False).astype(bool)
    invisible = pd.Series(False, index=s.index)
    changed = pd.Series(False, index=s.index)
    if not odd.any():
        return s, invisible, changed
    sub = s[odd]
    has_zw = sub.str.contains(_ZW_RE, regex=True).fillna(False)
    has_ctrl = sub.str.contains(_CTRL_RE, regex=True).fillna(False)
    clean = sub.str.replace(_ZW_RE, "", regex=True)
    clean = clean.str.replace(_CTRL_RE, " " if text else "", regex=True)
    norm = _nfkc(clean)
    invisible.loc[sub.index] = (has_zw | has_ctrl).to_numpy()
    changed.loc[sub.index] = (norm != clean).fillna(False).to_numpy()
    out = s.copy()
    out.loc[sub.index] = norm
    return out, invisible.astype(bool), changed.astype(bool)


def normalise_ids(s: pd.Series) -> pd.Series:
    """Identifiers compared after normalisation (zero-width and controls removed, NFKC, stripped)."""
    out, _inv, _chg = normalise_cells(s, text=False)
    return out.str.strip()


def clean_column(ctx, s: pd.Series, typ: str, col: str) -> pd.Series:
    """Hook of the readers: normalise one source column (see module docstring); `ctx` is the
    readers' context (label, log, fail)."""
    na = s.isna()
    out, invisible, changed = normalise_cells(s.fillna(""), text=(typ == "string"))
    ctx.log.fix(ctx.label, FIX_INVISIBLE, int(invisible.sum()))
    ctx.log.fix(ctx.label, FIX_NFKC, int(changed.sum()))
    if col == "op_id":
        ctx.fail(wrong_id_values(out).reset_index(drop=True), col,
                 "numéro d'opération d'un type inattendu (date ou nombre décimal : mauvaise colonne, ou "
                 "numéro abîmé par un tableur ?)", expected="un numéro d'opération (texte ou entier)",
                 values=out.reset_index(drop=True))
    if typ == "string":
        long_cells = out.str.len() > MAX_TOKEN_CHARS
        if long_cells.any():
            too_long = long_cells & out.str.contains(rf"\S{{{MAX_TOKEN_CHARS + 1}}}", regex=True).fillna(False)
            ctx.fail(too_long.reset_index(drop=True), col,
                     f"mot de plus de {MAX_TOKEN_CHARS} caractères sans espace (texte corrompu ?)",
                     expected=f"un texte dont les mots font au plus {MAX_TOKEN_CHARS} caractères",
                     values=out.str.slice(0, 40).reset_index(drop=True))
    return out.mask(na)


_WRONG_ID = r"\s*(?:\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?|\d+\.\d*[1-9]\d*|\d(?:\.\d+)?[eE][+-]?\d+)\s*"


def wrong_id_values(s: pd.Series) -> pd.Series:
    """Identifier cells that are dates (`2017-01-01`, from a date cell) or decimal numbers
    (`201712345.5`, `2.01712345e+08`): the wrong column, or numbers damaged by a spreadsheet."""
    return s.astype("str").str.fullmatch(_WRONG_ID).fillna(False).astype(bool)


_AMBIGUOUS = r"\s*[+-]?\d{1,3}(?:\.\d{3})+\s*(?:€|EUR)?\s*"


def ambiguous_amounts(s: pd.Series, decimal: str = ",") -> pd.Series:
    """Cells like `374.609` in a file whose decimal mark is the comma (a point followed by
    exactly three digits: a thousands separator or a decimal point?)."""
    import pandas as pd

    if decimal != ",":
        return pd.Series(False, index=s.index)
    return s.astype("str").str.fullmatch(_AMBIGUOUS).fillna(False).astype(bool)


AMBIGUOUS_MESSAGE = ("montant ambigu : un point suivi de trois chiffres peut séparer les milliers "
                     "ou marquer les décimales")
AMBIGUOUS_EXPECTED = "un montant sans ambiguïté, ex. 374 609,00 ou 374,61 (virgule décimale)"


def check_id_type(arrow_type, label: str, column: str) -> None:
    """An identifier column (parquet) must hold text or integers: floats, dates, booleans... mean
    the wrong column, or numbers damaged by a spreadsheet (201712345 -> 2.01712345e+08)."""
    import pyarrow as pa

    t = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t) or pa.types.is_null(t):
        return
    raise InputError(label, f"type de colonne inattendu pour le numéro d'opération ({t})", column=column,
                     expected="des numéros d'opération en texte ou en entiers (pas des nombres décimaux, "
                              "des dates ni des booléens)")

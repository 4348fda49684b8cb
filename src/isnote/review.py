"""The review round trip: a workbook for the reviewer, and the review register it feeds.

- `export_review` writes the review workbook (by default `revue/a_relire_<register>.xlsx` beside
  the register, outside the outputs: see cli.review_workbook_path): the candidates still without a decision
  (sheet « À revoir », with evidence, suggested scores and category, drop-down lists), the
  decisions already taken (« Décisions prises ») and instructions (« Mode d'emploi »). A hidden
  sheet « isnote » records the wave and the run the workbook was made for.
- `import_review` reads a filled workbook back into the register (CSV, path = params
  `review_register`, format in docs/architecture.md). It validates everything before writing
  anything; a change to a decision already recorded is a conflict, refused unless forced; a
  timestamped copy of the register is kept before each write; rows are never dropped. The whole
  read-merge-write holds `register_lock`, so two imports never interleave.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import io
import os
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import re

import numpy as np
import pandas as pd

from . import input_guard
from .atomic import atomic_path, write_bytes
from .config import Params
from .errors import InputError, IsnoteError, ReviewConflictError
from .formula import neutralise, neutralise_text, unneutralise, unneutralise_text
from .register_schema import DECISION_FIELDS, DECISIONS, REGISTER_COLUMNS, SCORE_COLUMNS

SCORES = ("0", "1", "2")
STATUT_MISSING = "absente des données"
KEY = ["op_id", "programme"]

SHEET_TODO = "À revoir"
SHEET_DONE = "Décisions prises"
SHEET_HELP = "Mode d'emploi"
SHEET_META = "isnote"
SHEET_LISTS = "listes"
WORKBOOK_FORMAT = "isnote-revue-1"

# column headers of the workbook (label shown -> key); the reviewer's columns come last
INPUT_LABELS = {
    "decision": "Décision",
    "categorie": "Catégorie",
    "score_besoin": "Score besoin (0-2)",
    "score_experimentation": "Score expérimentation (0-2)",
    "score_implication": "Score implication (0-2)",
    "score_effets": "Score effets (0-2)",
    "emblematique": "Emblématique (oui)",
    "caractere_innovant": "Caractère innovant",
    "justification": "Justification",
    "relecteur": "Relecteur",
}
INFO_LABELS_TODO = {
    "op_id": "N° opération",
    "programme": "Programme",
    "wave": "Vague",
    "title": "Intitulé",
    "beneficiary": "Bénéficiaire",
    "os": "OS",
    "region": "Région",
    "ct": "Coût total (€)",
    "rank": "Rang",
    "score": "Score de classement",
    "signals": "Indices du classement (poids)",
    "sources": "Sources",
    "actor": "Acteur reconnu",
    "actor_key": "Mots reconnus dans le nom du porteur",
    "evidence": "Éléments trouvés",
    "continuation_of": "Suite de (vague précédente)",
    "sugg_score_besoin": "Besoin suggéré",
    "sugg_score_experimentation": "Expérimentation suggérée",
    "sugg_score_implication": "Implication suggérée",
    "sugg_score_effets": "Effets suggérés",
    "suggested_category": "Catégorie suggérée",
    "category_rule": "Règle de la suggestion",
}
INFO_LABELS_DONE = {
    "op_id": "N° opération",
    "programme": "Programme",
    "vague": "Vague",
    "title": "Intitulé",
    "beneficiary": "Bénéficiaire",
    "date_decision": "Date de la décision",
    "statut": "Statut",
}
WIDTHS = {"op_id": 13, "programme": 10, "wave": 7, "vague": 7, "title": 42, "beneficiary": 30, "os": 7,
          "region": 18, "ct": 13, "sources": 18, "evidence": 70, "rank": 7, "score": 10, "signals": 45,
          "actor": 22, "actor_key": 22, "continuation_of": 14,
          "suggested_category": 24, "category_rule": 28, "decision": 11, "categorie": 28,
          "caractere_innovant": 40, "justification": 40, "relecteur": 14, "date_decision": 12,
          "statut": 18, "emblematique": 12}


# --------------------------------------------------------------------------------------------
# small helpers


def _categories(params: Params) -> dict[str, str]:
    """Typology keys -> labels (params `typology`)."""
    typ = params.yaml("typology") or {}
    cats = typ.get("categories") or {}
    order = [k for k in (typ.get("order") or []) if k in cats] + [k for k in cats if k not in (typ.get("order") or [])]
    return {k: str((cats[k] or {}).get("label", k)) for k in order}


def _fold(text: str) -> str:
    """Lower case without accents (to read what a person typed: « Écartée » -> « ecartee »)."""
    t = unicodedata.normalize("NFKD", str(text).strip().lower())
    return "".join(c for c in t if not unicodedata.combining(c))


def _cell_text(value) -> str:
    """A workbook cell as text: '' for empty, integers without '.0', dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else ""
    if isinstance(value, float):
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime,)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return unneutralise_text(str(value).strip())


LOCK_TIMEOUT = 10.0        # seconds a second import waits for the register lock before giving up


def _safe(value):
    """A value ready for a cell: text that a spreadsheet could run as a formula is neutralised."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_, bool)):
        return "oui" if value else ""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return neutralise_text(value)
    return value


def _line_numbers(df: pd.DataFrame) -> np.ndarray:
    """Line of each data row in the CSV file (header = line 1), counting newlines inside cells."""
    if df.empty:
        return np.zeros(0, dtype=np.int64)
    extra = sum(df[c].str.count("\n").to_numpy() for c in df.columns)
    return 2 + np.concatenate(([0], np.cumsum(1 + extra)[:-1]))


# --------------------------------------------------------------------------------------------
# the register


def empty_register() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in REGISTER_COLUMNS})


def read_register(path: str | Path, params: Params, operations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and validate the review register; every column as text ('' when empty).

    Invalid values raise InputError naming the line and the column. With `operations`, rows
    whose operation is not in the data get `statut` = « absente des données » (kept, not dropped)
    and rows present again get an empty statut.
    """
    path = Path(path)
    input_guard.require_regular_file(path, path)          # a FIFO would block forever
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "registre de revue introuvable",
                         expected="le fichier indiqué par `review_register` dans les paramètres") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"registre de revue illisible : encodage non UTF-8 (octet {exc.start})",
                         expected="un fichier CSV en UTF-8") from None
    if not text.strip():
        raise InputError(path, "registre de revue vide", expected="une ligne d'en-tête : " + ";".join(REGISTER_COLUMNS))
    _check_field_counts(path, text)
    try:
        reg = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"registre de revue illisible ({exc})",
                         expected="un CSV séparé par « ; »") from None
    reg.columns = [str(c).strip() for c in reg.columns]
    missing = [c for c in ("op_id", "decision") if c not in reg.columns]
    if missing:
        raise InputError(path, f"colonne(s) absente(s) : {', '.join(missing)}", row=1,
                         expected="les colonnes " + ";".join(REGISTER_COLUMNS))
    for c in REGISTER_COLUMNS:
        if c not in reg.columns:
            reg[c] = ""
    extra = [c for c in reg.columns if c not in REGISTER_COLUMNS]
    reg = reg[[*REGISTER_COLUMNS, *extra]].astype(object)
    for c in reg.columns:
        reg[c] = unneutralise(reg[c].fillna("").astype(str).str.strip()).astype(object)
    validate_register(reg, params, path)
    if operations is not None:
        reg = flag_missing(reg, operations)
    reg.attrs["source"] = str(path)
    return reg


def _check_field_counts(path: Path, text: str) -> None:
    """Every record has as many fields as the header: a truncated or damaged row is an error
    naming its line (pandas would fill the missing fields with empty values)."""
    try:
        counts = np.fromiter(map(len, csv.reader(io.StringIO(text), delimiter=";")), dtype=np.int64)
    except csv.Error as exc:
        raise InputError(path, f"registre de revue illisible ({exc})", expected="un CSV séparé par « ; »") from None
    # physical line of each record (quoted newlines counted), blank lines skipped as pandas does
    ends = np.fromiter(_record_end_lines(text), dtype=np.int64)
    starts = np.concatenate(([1], ends[:-1] + 1)) if len(ends) else ends
    keep = counts > 0
    counts, starts = counts[keep], starts[keep]
    if len(counts) < 2:
        return
    bad = counts[1:] != counts[0]
    if bad.any():
        i = int(np.flatnonzero(bad)[0]) + 1
        n, want = int(counts[i]), int(counts[0])
        what = "ligne incomplète (tronquée ?)" if n < want else "champs en trop (« ; » dans une valeur non protégée ?)"
        raise InputError(path, f"registre de revue : {what}", row=int(starts[i]), value=f"{n} champ(s)",
                         expected=f"{want} champs comme l'en-tête", more=int(bad.sum()) - 1)


def _record_end_lines(text: str):
    reader = csv.reader(io.StringIO(text), delimiter=";")
    for _ in reader:
        yield reader.line_num


def _fail(path, mask: np.ndarray, lines, column: str, values: pd.Series, message: str,
          expected: str) -> None:
    """`lines`: the line of each row, or a function giving them (counted only for an error)."""
    if mask.any():
        i = int(np.flatnonzero(mask)[0])
        lines = lines() if callable(lines) else lines
        raise InputError(path, message, row=int(lines[i]), column=column, value=values.iloc[i],
                         expected=expected, more=int(mask.sum()) - 1)


def validate_register(reg: pd.DataFrame, params: Params, path) -> None:
    """Check the values of a register (all text). Raises InputError on the first problem."""
    lines = lambda: _line_numbers(reg[list(REGISTER_COLUMNS)])     # noqa: E731 - only for an error
    cats = _categories(params)
    _fail(path, (reg["op_id"] == "").to_numpy(), lines, "op_id", reg["op_id"],
          "numéro d'opération vide", "un numéro d'opération")
    _fail(path, ~reg["decision"].isin(("",) + DECISIONS).to_numpy(), lines, "decision", reg["decision"],
          "décision invalide", "retenue, ecartee ou vide")
    _fail(path, ~reg["categorie"].isin([""] + list(cats)).to_numpy(), lines, "categorie", reg["categorie"],
          "catégorie inconnue", ", ".join(cats) + " ou vide")
    _fail(path, ((reg["decision"] == "retenue") & (reg["categorie"] == "")).to_numpy(), lines, "categorie",
          reg["categorie"], "catégorie manquante pour une opération retenue", ", ".join(cats))
    for c in SCORE_COLUMNS:
        _fail(path, ~reg[c].isin(("",) + SCORES).to_numpy(), lines, c, reg[c], "score invalide", "0, 1, 2 ou vide")
    _fail(path, ~reg["emblematique"].isin(["", "oui"]).to_numpy(), lines, "emblematique", reg["emblematique"],
          "valeur invalide", "oui ou vide")
    dates = reg["date_decision"]
    bad_date = (dates != "") & pd.to_datetime(dates.where(dates != ""), format="%Y-%m-%d", errors="coerce").isna()
    _fail(path, bad_date.to_numpy(), lines, "date_decision", dates, "date invalide", "AAAA-MM-JJ ou vide")
    _fail(path, ~reg["statut"].isin(["", STATUT_MISSING]).to_numpy(), lines, "statut", reg["statut"],
          "statut invalide", f"vide ou « {STATUT_MISSING} »")
    dup = reg.duplicated(KEY, keep="first").to_numpy()
    _fail(path, dup, lines, "op_id", reg["op_id"], "opération présente plusieurs fois dans le registre",
          "une ligne par opération")


def flag_missing(reg: pd.DataFrame, operations: pd.DataFrame) -> pd.DataFrame:
    """Set `statut` to « absente des données » for rows whose operation is not in `operations`."""
    reg = reg.copy()
    ops = operations[["op_id", "programme"]].astype(str)
    by_key = pd.MultiIndex.from_frame(ops)
    key = pd.MultiIndex.from_arrays([reg["op_id"].astype(str), reg["programme"].astype(str)])
    present = key.isin(by_key) | ((reg["programme"] == "") & reg["op_id"].isin(set(ops["op_id"]))).to_numpy()
    reg["statut"] = np.where(present, "", STATUT_MISSING)
    return reg


def register_bytes(reg: pd.DataFrame) -> bytes:
    """The register as written: sorted by (vague, programme, op_id), fixed columns, `;`, LF."""
    out = reg.copy()
    for c in REGISTER_COLUMNS:
        if c not in out.columns:
            out[c] = ""
    extra = [c for c in out.columns if c not in REGISTER_COLUMNS]
    out = out[[*REGISTER_COLUMNS, *extra]].fillna("").astype(str)
    out = out.sort_values(["vague", "programme", "op_id"], kind="stable")
    out = neutralise(out)          # a spreadsheet opening the register never runs a formula
    buf = io.StringIO()
    out.to_csv(buf, sep=";", index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def write_register(reg: pd.DataFrame, path: str | Path) -> None:
    """Write the register atomically (deterministic bytes)."""
    _write_bytes(Path(path), register_bytes(reg))


def _write_bytes(path: Path, content: bytes) -> None:
    write_bytes(path, content)        # atomic, with the mode of the file it replaces (or the umask's)


def backup_register(path: str | Path, now: dt.datetime | None = None) -> Path | None:
    """Copy the register next to itself as `<name>.bak-YYYYMMDDTHHMMSS.csv`; None if absent."""
    path = Path(path)
    if not path.exists():
        return None
    stamp = (now or dt.datetime.now()).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.stem}.bak-{stamp}.csv")
    k = 1
    while target.exists():
        target = path.with_name(f"{path.stem}.bak-{stamp}-{k}.csv")
        k += 1
    _write_bytes(target, path.read_bytes())      # atomic: a failure leaves no truncated backup
    return target


class RegisterBusyError(IsnoteError):
    """Another process holds the register lock for longer than the wait allowed."""


def lock_path(register: str | Path) -> Path:
    register = Path(register)
    return register.with_name(register.name + ".lock")


class register_lock:
    """Exclusive lock of a register (fcntl lock on `<register>.lock`) around a read-modify-write.

    A second holder waits up to `timeout` seconds, then RegisterBusyError: two imports never
    interleave, so no decision is lost."""

    def __init__(self, register: str | Path, timeout: float | None = None):
        self.register = Path(register)
        self.timeout = LOCK_TIMEOUT if timeout is None else timeout
        self.fd: int | None = None

    def __enter__(self) -> "register_lock":
        path = lock_path(self.register)
        path.parent.mkdir(parents=True, exist_ok=True)
        input_guard.require_regular_file(path, path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise RegisterBusyError(
                        f"le registre de revue {self.register} est en cours de modification par un autre import "
                        f"(verrou {path} tenu depuis plus de {self.timeout:g} s) ; rien n'a été importé : "
                        "relancez l'import quand l'autre sera terminé") from None
                time.sleep(0.05)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


# --------------------------------------------------------------------------------------------
# export


def _to_review_rows(candidates: pd.DataFrame, operations: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    cand = candidates.copy()
    cand["op_id"] = cand["op_id"].astype(str)
    cand["programme"] = cand["programme"].astype(str)
    reg = register.copy() if register is not None else empty_register()
    decided = reg.loc[reg["decision"].isin(DECISIONS), KEY].astype(str)
    marker = cand.merge(decided.assign(_d=True), on=KEY, how="left")["_d"].fillna(False).astype(bool).to_numpy()
    todo = cand.loc[~marker].copy()
    info = [c for c in ("title", "beneficiary", "os", "region", "ct") if c in operations.columns]
    ops = operations[KEY + info].copy()
    ops["op_id"] = ops["op_id"].astype(str)
    ops["programme"] = ops["programme"].astype(str)
    todo = todo.merge(ops.drop_duplicates(KEY), on=KEY, how="left")
    for c in SCORE_COLUMNS:
        todo[f"sugg_{c}"] = todo[c] if c in todo.columns else None
    # pending register rows (no decision yet) keep what the reviewer already wrote
    pending = reg.loc[~reg["decision"].isin(DECISIONS), [*KEY, *DECISION_FIELDS]].astype(str)
    todo = todo.drop(columns=[c for c in DECISION_FIELDS if c in todo.columns])
    todo = todo.merge(pending.drop_duplicates(KEY), on=KEY, how="left")
    for c in DECISION_FIELDS:
        todo[c] = todo[c].fillna("")
    if "score" in todo.columns:       # by decreasing ranking score: the most likely first
        todo = todo.sort_values(["programme", "op_id"], kind="stable")
        return todo.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    return todo.sort_values(["programme", "op_id"], kind="stable").reset_index(drop=True)


def _write_sheet(ws, frame: pd.DataFrame, labels: Mapping[str, str], inputs: Sequence[str]) -> dict[str, str]:
    """Header + rows; returns key -> column letter."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    keys = [k for k in labels] + list(inputs)
    heads = [labels.get(k, INPUT_LABELS.get(k, k)) for k in keys]
    ws.append(heads)
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE4EE")
    input_fill = PatternFill("solid", fgColor="FFF4C2")
    letters = {}
    for j, k in enumerate(keys, start=1):
        letter = get_column_letter(j)
        letters[k] = letter
        cell = ws.cell(row=1, column=j)
        cell.font = bold
        cell.fill = input_fill if k in inputs else head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[letter].width = WIDTHS.get(k, 14 if k in inputs else 12)
    values = frame.reindex(columns=keys).astype(object).where(frame.reindex(columns=keys).notna(), None)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in values.itertuples(index=False, name=None):
        ws.append([_safe(v) for v in row])
    for k in ("evidence", "title", "justification", "caractere_innovant", "signals"):
        if k in letters:
            for cell in ws[letters[k]][1:]:
                cell.alignment = wrap
    if "ct" in letters:
        for cell in ws[letters["ct"]][1:]:
            cell.number_format = "#,##0.00"
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{max(ws.max_row, 2)}"
    return letters


def _add_validations(ws, letters: Mapping[str, str], n_rows: int) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    last = max(n_rows + 1, 2) + 200          # room for rows the reviewer might add
    specs = {
        "decision": ("=listes!$A$2:$A$3", "Décision", "Choisir retenue ou ecartee."),
        "categorie": ("=listes!$B$2:$B$6", "Catégorie", "Choisir une des cinq catégories de la typologie."),
        "emblematique": ('"oui"', "Emblématique", "Indiquer oui, ou laisser vide."),
    }
    for c in SCORE_COLUMNS:
        specs[c] = ('"0,1,2"', "Score", "Indiquer 0, 1 ou 2, ou laisser vide.")
    for key, (formula, title, msg) in specs.items():
        if key not in letters:
            continue
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                            errorTitle=title, error=msg, showInputMessage=True, promptTitle=title, prompt=msg)
        dv.add(f"{letters[key]}2:{letters[key]}{last}")
        ws.add_data_validation(dv)


HELP_TEXT = [
    "Relecture des opérations candidates",
    "",
    "Ce classeur a été produit par isnote pour la vague {wave} (exécution « {run} », le {stamp}).",
    "",
    "1. Feuille « À revoir » : une ligne par opération candidate sans décision. Les colonnes grises",
    "   rappellent les données de suivi, les sources qui ont signalé l'opération et les passages des",
    "   textes où les mots-clés ont été trouvés, ainsi que des scores et une catégorie suggérés par",
    "   des règles simples : ce ne sont que des pistes.",
    "2. Remplir les colonnes jaunes : Décision (retenue ou ecartee, liste déroulante), Catégorie",
    "   (obligatoire pour une opération retenue), les quatre scores de la grille (0, 1 ou 2),",
    "   Emblématique (oui pour une fiche projet dans la note), Caractère innovant, Justification,",
    "   Relecteur. Une ligne laissée sans décision reste à revoir ; ce qui y est saisi est conservé.",
    "3. Feuille « Décisions prises » : les décisions déjà enregistrées pour la vague. Une",
    "   modification y est traitée comme un conflit : elle est refusée, sauf import forcé.",
    "4. Enregistrer le classeur puis l'importer :",
    "   make review-import FILE=chemin/du/classeur.xlsx",
    "   (ou : python -m isnote.cli review-import --params <paramètres> --file <classeur>).",
    "   Ajouter FORCE=1 (ou --force) pour appliquer des modifications de décisions déjà prises.",
    "5. L'import vérifie tout avant d'écrire : en cas d'erreur, rien n'est modifié et le message",
    "   indique la feuille, la ligne et la colonne à corriger. Avant chaque écriture, une copie",
    "   datée du registre est gardée à côté de lui.",
    "6. Relancer ensuite « make report » : la note tient compte des nouvelles décisions.",
    "",
    "Ne pas renommer les feuilles ni les en-têtes de colonnes. Le classeur ne vaut que pour la",
    "vague {wave} : un classeur d'une autre vague est refusé à l'import.",
]


def export_review(candidates: pd.DataFrame, operations: pd.DataFrame, register: pd.DataFrame | None,
                  path: str | Path, params: Params, *, now: dt.datetime | None = None) -> Path:
    """Write the review workbook (see module docstring); returns its path."""
    from openpyxl import Workbook

    path = Path(path)
    now = now or dt.datetime.now().replace(microsecond=0)
    wave = str(params["current_wave"])
    run = str(params.get("run_name") or "")
    cats = _categories(params)
    reg = register if register is not None else empty_register()

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TODO
    todo = _to_review_rows(candidates, operations, reg)
    letters = _write_sheet(ws, todo, INFO_LABELS_TODO, list(INPUT_LABELS))
    _add_validations(ws, letters, len(todo))

    done_ws = wb.create_sheet(SHEET_DONE)
    done = reg.loc[reg["decision"].isin(DECISIONS) & (reg["vague"] == wave)].copy()
    info = [c for c in ("title", "beneficiary") if c in operations.columns]
    ops = operations[KEY + info].astype({"op_id": str, "programme": str}).drop_duplicates(KEY)
    done = done.merge(ops, on=KEY, how="left").sort_values(["programme", "op_id"], kind="stable")
    done_letters = _write_sheet(done_ws, done, INFO_LABELS_DONE, list(INPUT_LABELS))
    _add_validations(done_ws, done_letters, len(done))

    help_ws = wb.create_sheet(SHEET_HELP)
    for line in HELP_TEXT:
        help_ws.append([line.format(wave=wave, run=run, stamp=now.strftime("%d/%m/%Y à %H:%M"))])
    help_ws.append([])
    help_ws.append(["Catégories (clé à saisir → libellé)"])
    for k, label in cats.items():
        help_ws.append([k, label])
    help_ws.column_dimensions["A"].width = 100
    help_ws.column_dimensions["B"].width = 60
    from openpyxl.styles import Font
    help_ws["A1"].font = Font(bold=True, size=14)

    lists = wb.create_sheet(SHEET_LISTS)
    lists.append(["decision", "categorie"])
    keys = list(cats)
    for i in range(max(len(DECISIONS), len(keys))):
        lists.append([DECISIONS[i] if i < len(DECISIONS) else None, keys[i] if i < len(keys) else None])
    lists.sheet_state = "hidden"

    meta = wb.create_sheet(SHEET_META)
    for k, v in (("format", WORKBOOK_FORMAT), ("vague", wave), ("run_name", run),
                 ("parametres", params.source.name), ("exporte_le", now.isoformat()),
                 ("a_revoir", len(todo)), ("decisions_prises", len(done))):
        meta.append([k, v])
    meta.sheet_state = "hidden"
    wb.properties.creator = "isnote"
    wb.active = 0

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:         # keeps the mode of the workbook it replaces
        wb.save(tmp)
    return path


# --------------------------------------------------------------------------------------------
# import


@dataclass
class Conflict:
    op_id: str
    programme: str
    column: str
    recorded: str
    proposed: str
    sheet: str
    row: int

    def line(self) -> str:
        return (f"{self.op_id} ({self.programme}), {self.column} : « {self.recorded} » → « {self.proposed} » "
                f"(feuille « {self.sheet} », ligne {self.row})")


@dataclass
class ImportReport:
    register: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)        # pending rows completed, or forced changes
    forced: list[str] = field(default_factory=list)
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    flagged_missing: list[str] = field(default_factory=list)
    backup: Path | None = None
    written: bool = False

    def summary(self) -> str:
        parts = [f"{len(self.added)} décision(s) ajoutée(s)", f"{len(self.updated)} mise(s) à jour",
                 f"{self.unchanged} inchangée(s)"]
        if self.forced:
            parts.append(f"{len(self.forced)} modification(s) forcée(s)")
        if self.flagged_missing:
            parts.append(f"{len(self.flagged_missing)} opération(s) absente(s) des données (lignes conservées)")
        text = "Import : " + ", ".join(parts) + "."
        if self.written:
            text += f"\nRegistre écrit : {self.register}"
            if self.backup:
                text += f"\nCopie de sauvegarde : {self.backup}"
        else:
            text += "\nRegistre inchangé : rien à écrire."
        return text


class _SheetError:
    """Collects the problems of one sheet and raises the first with a count of the others."""

    def __init__(self, path: Path, sheet: str, letters: Mapping[str, str]):
        self.path, self.sheet, self.letters = path, sheet, letters

    def check(self, mask: np.ndarray, rows: np.ndarray, key: str, values: pd.Series, message: str,
              expected: str) -> None:
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            label = INPUT_LABELS.get(key) or INFO_LABELS_TODO.get(key) or key
            raise InputError(self.path, f"feuille « {self.sheet} » : {message}", row=int(rows[i]),
                             column=f"{label} (colonne {self.letters.get(key, '?')})", value=values.iloc[i],
                             expected=expected, more=int(mask.sum()) - 1)


def _open_workbook(path: Path):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.exists():
        raise InputError(path, "classeur introuvable")
    input_guard.require_regular_file(path, path)
    if zipfile.is_zipfile(path):      # size and row limits before loading (a 1.5 M-row sheet...)
        input_guard.check_xlsx(path, str(path), max_uncompressed=input_guard.REVIEW_MAX_UNCOMPRESSED,
                               max_rows=input_guard.REVIEW_MAX_ROWS)
    try:
        return load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(path, f"classeur illisible ({type(exc).__name__})",
                         expected="un classeur .xlsx produit par « make review »") from None


def _formula_workbook(path: Path):
    """The workbook with its formulas (not their cached values), or None when it has none."""
    from openpyxl import load_workbook

    with zipfile.ZipFile(path) as zf:
        has = any(re.search(rb"<(?:\w+:)?f[\s>/]", zf.read(n)) for n in zf.namelist()
                  if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    return load_workbook(path, data_only=False) if has else None


def _read_sheet(wb, path: Path, sheet: str, required: bool, formulas=None) -> tuple[pd.DataFrame, dict[str, str]] | None:
    from openpyxl.utils import get_column_letter

    if sheet not in wb.sheetnames:
        if required:
            raise InputError(path, f"feuille « {sheet} » absente", expected=f"les feuilles « {SHEET_TODO} » "
                             f"et « {SHEET_DONE} » du classeur exporté")
        return None
    ws = wb[sheet]
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        raise InputError(path, f"feuille « {sheet} » vide", row=1, expected="la ligne d'en-tête exportée")
    by_label = {v: k for k, v in {**INFO_LABELS_TODO, **INFO_LABELS_DONE, **INPUT_LABELS}.items()}
    keys, letters = [], {}
    for j, head in enumerate(rows[0], start=1):
        h = _cell_text(head)
        k = by_label.get(h, h if h in REGISTER_COLUMNS else None)
        keys.append(k)
        if k and k not in letters:
            letters[k] = get_column_letter(j)
    for k in ("op_id", "decision"):
        if k not in letters:
            label = INFO_LABELS_TODO.get(k) or INPUT_LABELS.get(k)
            raise InputError(path, f"feuille « {sheet} » : colonne « {label} » absente", row=1,
                             expected="les en-têtes du classeur exporté (ne pas les renommer)")
    width = len(keys)
    body = [list(r[:width]) + [None] * (width - len(r)) for r in rows[1:]]
    frame = pd.DataFrame(body, columns=[k or f"_col{j}" for j, k in enumerate(keys)], dtype=object)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    if formulas is not None and sheet in formulas.sheetnames:
        _no_cached_value(formulas[sheet], frame, path, sheet, letters)
    wanted = ["op_id", "programme", *DECISION_FIELDS]
    out = pd.DataFrame({k: (frame[k].map(_cell_text) if k in frame.columns else "") for k in wanted},
                       index=frame.index).astype(object)
    out["_row"] = np.arange(2, len(out) + 2)
    out["_sheet"] = sheet
    return out, letters


def _no_cached_value(ws_formulas, frame: pd.DataFrame, path: Path, sheet: str, letters: Mapping[str, str]) -> None:
    """A cell written as a formula whose value was never computed (no cached value: the file was
    not saved by a spreadsheet that calculates) would be read as empty: an error naming the cell."""
    width = frame.shape[1]
    body = [list(r[:width]) + [None] * (width - len(r)) for r in ws_formulas.iter_rows(min_row=2, values_only=True)]
    f = pd.DataFrame(body[:len(frame)], columns=frame.columns, dtype=object, index=frame.index[:len(body)])
    for key in ("op_id", "programme", *DECISION_FIELDS):
        if key not in f.columns:
            continue
        is_formula = f[key].map(lambda v: isinstance(v, str) and v.startswith("="), na_action="ignore")
        mask = (is_formula.fillna(False).astype(bool) & frame.loc[f.index, key].isna()).to_numpy()
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            row = int(f.index[i]) + 2
            label = INPUT_LABELS.get(key) or INFO_LABELS_TODO.get(key) or key
            cell = f"{letters.get(key, '?')}{row}"
            raise InputError(path, f"feuille « {sheet} », cellule {cell} : formule sans valeur calculée "
                             "(le classeur n'a pas été recalculé et enregistré par un tableur)", row=row,
                             column=f"{label} (colonne {letters.get(key, '?')})", value=f[key].iloc[i],
                             expected="une valeur saisie (pas une formule), ou le classeur ouvert et "
                                      "enregistré dans un tableur", more=int(mask.sum()) - 1)


def _check_meta(wb, path: Path, params: Params) -> dict[str, str]:
    if SHEET_META not in wb.sheetnames:
        raise InputError(path, f"feuille « {SHEET_META} » absente : ce classeur n'a pas été produit par "
                         "« make review »", expected="un classeur exporté par isnote")
    meta = {}
    for row in wb[SHEET_META].iter_rows(values_only=True):
        if row and row[0] is not None:
            meta[_cell_text(row[0])] = _cell_text(row[1] if len(row) > 1 else None)
    wave = str(params["current_wave"])
    if meta.get("vague") != wave:
        raise InputError(path, f"classeur d'une autre vague (feuille « {SHEET_META} »)", row=2, column="vague",
                         value=meta.get("vague"), expected=f"un classeur exporté pour la vague {wave}")
    run = str(params.get("run_name") or "")
    if run and meta.get("run_name") and meta["run_name"] != run:
        raise InputError(path, f"classeur d'une autre exécution (feuille « {SHEET_META} »)", row=3,
                         column="run_name", value=meta["run_name"], expected=f"un classeur exporté pour « {run} »")
    return meta


def _validate_entries(df: pd.DataFrame, path: Path, sheet: str, letters: Mapping[str, str],
                      operations: pd.DataFrame, cats: Mapping[str, str],
                      register: pd.DataFrame | None = None) -> pd.DataFrame:
    """Normalise and validate the reviewer's entries of one sheet (vectorised checks).

    Operations must be in the data; on the « Décisions prises » sheet, an operation of the
    register that has since disappeared from the data is accepted too (its row is kept).
    """
    err = _SheetError(path, sheet, letters)
    rows = df["_row"].to_numpy()
    filled = (df[list(DECISION_FIELDS)] != "").any(axis=1).to_numpy()
    if sheet == SHEET_TODO:                       # untouched rows are simply still to review
        df = df.loc[filled].copy()
        rows = df["_row"].to_numpy()
    else:
        df = df.loc[(df["op_id"] != "").to_numpy() | filled].copy()
        rows = df["_row"].to_numpy()
    if df.empty:
        return df
    err.check((df["op_id"] == "").to_numpy(), rows, "op_id", df["op_id"], "numéro d'opération vide",
              "le numéro de l'opération revue")
    ops = operations[["op_id", "programme"]].astype(str)
    if sheet == SHEET_DONE and register is not None and len(register):
        ops = pd.concat([ops, register[KEY].astype(str)], ignore_index=True).drop_duplicates()
    known = df["op_id"].isin(set(ops["op_id"])).to_numpy()
    err.check(~known, rows, "op_id", df["op_id"], "opération inconnue dans les données",
              "un numéro d'opération présent dans l'extrait")
    # programme: the one written, else the operation's (when the number is unambiguous)
    single = ops.drop_duplicates("op_id", keep=False).set_index("op_id")["programme"]
    prog = df["programme"].where(df["programme"] != "", df["op_id"].map(single).fillna(""))
    pair_ok = pd.MultiIndex.from_arrays([df["op_id"], prog]).isin(pd.MultiIndex.from_frame(ops))
    err.check(~pair_ok, rows, "programme", prog, "programme absent ou incohérent avec le numéro d'opération",
              "fse ou iej, comme dans l'extrait")
    df["programme"] = prog
    # decision
    dec = df["decision"].map(_fold)
    dec = dec.replace({"ecarte": "ecartee", "retenu": "retenue"})
    err.check(~dec.isin(("",) + DECISIONS).to_numpy(), rows, "decision", df["decision"], "décision invalide",
              "retenue ou ecartee (liste déroulante), ou vide")
    df["decision"] = dec
    # category: a key, or its label
    by_fold = {_fold(k): k for k in cats} | {_fold(v): k for k, v in cats.items()}
    cat = df["categorie"].map(lambda v: by_fold.get(_fold(v), None) if v else "")
    err.check(cat.isna().to_numpy(), rows, "categorie", df["categorie"], "catégorie inconnue",
              ", ".join(cats))
    df["categorie"] = cat
    err.check(((df["decision"] == "retenue") & (df["categorie"] == "")).to_numpy(), rows, "categorie",
              df["categorie"], "catégorie manquante pour une opération retenue", ", ".join(cats))
    for c in SCORE_COLUMNS:
        err.check(~df[c].isin(("",) + SCORES).to_numpy(), rows, c, df[c], "score invalide", "0, 1 ou 2, ou vide")
    emb = df["emblematique"].map(_fold).replace({"o": "oui", "x": "oui", "non": "", "n": ""})
    err.check(~emb.isin(["", "oui"]).to_numpy(), rows, "emblematique", df["emblematique"], "valeur invalide",
              "oui, ou vide")
    df["emblematique"] = emb
    return df


def import_review(workbook_path: str | Path, register_path: str | Path, params: Params,
                  operations: pd.DataFrame, force: bool = False, *, today: dt.date | None = None,
                  now: dt.datetime | None = None, dry_run: bool = False,
                  lock_timeout: float | None = None) -> ImportReport:
    """Import a filled review workbook into the register (see module docstring).

    Raises InputError on a bad workbook and ReviewConflictError when recorded decisions would
    change without `force`; in both cases nothing is written.
    """
    rpath = Path(register_path)
    if dry_run:
        return _import_review(workbook_path, rpath, params, operations, force, today, now, dry_run)
    input_guard.require_regular_file(rpath, rpath)
    with register_lock(rpath, lock_timeout):         # read, merge and write as one step
        return _import_review(workbook_path, rpath, params, operations, force, today, now, dry_run)


def _import_review(workbook_path, rpath: Path, params: Params, operations: pd.DataFrame, force: bool,
                   today, now, dry_run: bool) -> ImportReport:
    wpath = Path(workbook_path)
    today = today or dt.date.today()
    cats = _categories(params)
    input_guard.require_regular_file(rpath, rpath)
    reg = read_register(rpath, params) if rpath.exists() else empty_register()
    wb = _open_workbook(wpath)
    formulas = _formula_workbook(wpath)
    _check_meta(wb, wpath, params)
    entries = []
    for sheet, required in ((SHEET_TODO, True), (SHEET_DONE, False)):
        got = _read_sheet(wb, wpath, sheet, required, formulas)
        if got is None:
            continue
        frame, letters = got
        frame["op_id"] = input_guard.normalise_ids(frame["op_id"])     # zero-width, full-width digits...
        entries.append(_validate_entries(frame, wpath, sheet, letters, operations, cats, reg))
    wb.close()
    if formulas is not None:
        formulas.close()
    entries = [e for e in entries if len(e)]
    new = pd.concat(entries, ignore_index=True) if entries else pd.DataFrame(columns=["op_id", "programme", *DECISION_FIELDS, "_row", "_sheet"])
    # the same operation twice with different entries
    if len(new):
        dup = new.duplicated(KEY, keep=False)
        if dup.any():
            sub = new.loc[dup]
            differs = sub.groupby(KEY)[list(DECISION_FIELDS)].nunique().gt(1).any(axis=1)
            if differs.any():
                op, prog = differs[differs].index[0]
                first = sub[(sub["op_id"] == op) & (sub["programme"] == prog)].iloc[-1]
                raise InputError(wpath, f"feuille « {first['_sheet']} » : l'opération {op} est saisie deux fois "
                                 "avec des valeurs différentes", row=int(first["_row"]), column="N° opération",
                                 expected="une seule saisie par opération")
            new = new.drop_duplicates(KEY, keep="first")

    reg = reg.copy()
    report = ImportReport(register=rpath)
    wave_of = operations[["op_id", "programme", "wave"]].astype(str).drop_duplicates(KEY)

    merged = new.merge(reg[[*KEY, *DECISION_FIELDS, "vague", "date_decision"]].rename(
        columns={c: f"{c}_old" for c in [*DECISION_FIELDS, "vague", "date_decision"]}), on=KEY, how="left",
        indicator=True)
    is_new = (merged["_merge"] == "left_only").to_numpy()
    old_decided = merged["decision_old"].isin(DECISIONS).to_numpy()
    diff = np.column_stack([(merged[c].astype(str) != merged[f"{c}_old"].fillna("").astype(str)).to_numpy()
                            for c in DECISION_FIELDS]) if len(merged) else np.zeros((0, len(DECISION_FIELDS)), bool)
    changed = diff.any(axis=1) if len(merged) else np.zeros(0, bool)
    conflict_rows = ~is_new & old_decided & changed
    for i in np.flatnonzero(conflict_rows):
        r = merged.iloc[i]
        for j in np.flatnonzero(diff[i]):
            c = DECISION_FIELDS[j]
            report.conflicts.append(Conflict(r["op_id"], r["programme"], c, str(r[f"{c}_old"] or ""),
                                             str(r[c]), r["_sheet"], int(r["_row"])))
    if report.conflicts and not force:
        shown = "\n  ".join(c.line() for c in report.conflicts[:30])
        more = len(report.conflicts) - 30
        exc = ReviewConflictError(
            f"{int(conflict_rows.sum())} décision(s) déjà enregistrée(s) seraient modifiées par {wpath} ; "
            f"import refusé, le registre {rpath} n'a pas été modifié.\n  {shown}"
            + (f"\n  ... et {more} autre(s)" if more > 0 else "")
            + "\nPour appliquer ces modifications : make review-import FILE=... FORCE=1 (option --force).")
        exc.conflicts = report.conflicts
        raise exc

    apply = is_new | (~is_new & changed & (~old_decided | force))
    report.unchanged = int((~is_new & ~changed).sum())
    todo = merged.loc[apply].reset_index(drop=True)
    upd = todo[[*KEY, *DECISION_FIELDS]].copy()
    old_wave = todo["vague_old"].fillna("").astype(str)
    data_wave = todo[KEY].merge(wave_of, on=KEY, how="left")["wave"].fillna(str(params["current_wave"]))
    upd["vague"] = np.where(old_wave != "", old_wave, data_wave.astype(str))
    upd["date_decision"] = np.where(upd["decision"] != "", today.isoformat(), "")
    is_added = (todo["_merge"] == "left_only").to_numpy()
    report.added = todo.loc[is_added, "op_id"].tolist()
    report.updated = todo.loc[~is_added, "op_id"].tolist()
    report.forced = todo.loc[~is_added & todo["decision_old"].isin(DECISIONS).to_numpy(), "op_id"].tolist()
    if len(upd):
        keep = reg.merge(upd[KEY].assign(_u=True), on=KEY, how="left")["_u"].isna().to_numpy()
        out = pd.concat([reg.loc[keep], upd], ignore_index=True)
    else:
        out = reg
    out = out.reindex(columns=list(dict.fromkeys([*REGISTER_COLUMNS, *reg.columns]))).fillna("")
    out = flag_missing(out, operations)
    report.flagged_missing = sorted(out.loc[out["statut"] == STATUT_MISSING, "op_id"].astype(str))
    validate_register(out.astype(object), params, rpath)
    content = register_bytes(out)
    previous = rpath.read_bytes() if rpath.exists() else None
    if content != previous and not dry_run:
        report.backup = backup_register(rpath, now)
        rpath.parent.mkdir(parents=True, exist_ok=True)
        _write_bytes(rpath, content)
        report.written = True
    return report

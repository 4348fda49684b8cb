"""A small valid dataset in the demo layout, and helpers to build mutated copies of it.

`make_base(tmp)` copies tests/hostile/base/ into `tmp`, writes the participants parquet and a
parameters file with absolute paths, and returns the parameters path. Tests then mutate one
file (bytes or text) and run ingest.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

HERE = Path(__file__).resolve().parent
BASE = HERE / "base"
ROOT = HERE.parents[1]

FILES = {
    "ops_fse": "operations_pon_fse.csv",
    "ops_iej": "operations_pon_iej.csv",
    "qual_fse": "qualitatif_pon_fse.csv",
    "qual_iej": "qualitatif_pon_iej.csv",
    "participants": "participants_pon_fse.parquet",
    "survey": "enquete_gestionnaires_axe3.csv",
    "lot5": "iej_lot5.csv",
}
ENCODING = {"ops_fse": "cp1252", "ops_iej": "cp1252"}   # the others are UTF-8

# participant records per operation (201700099 is technical assistance; 209999999 is unknown)
PARTICIPANTS = {"201500011": 5, "201700044": 3, "201700055": 4, "201700099": 2, "201700202": 2}

# What the base dataset gives (checked by test_ingest, relied on by the hostile tests).
BASE_IN_SCOPE = {"fse": 8, "iej": 3}
BASE_EXCLUDED = {"assistance technique": 2, "hors fenêtre des vagues": 1}


def write_participants(path: Path, counts: dict[str, int] | None = None, column: str = "N° dossier",
                       extra: list | None = None) -> None:
    counts = PARTICIPANTS if counts is None else counts
    ids = [op for op, n in sorted(counts.items()) for _ in range(n)] + list(extra or [])
    sexes = ["F" if i % 2 else "H" for i in range(len(ids))]
    table = pa.table({column: pa.array(ids, pa.string()).dictionary_encode(),
                      "Sexe": pa.array(sexes, pa.string()).dictionary_encode(),
                      "Tranche d'âge": pa.array(["26-44 ans"] * len(ids), pa.string())})
    pq.write_table(table, path)


def params_dict(d: Path) -> dict:
    return {
        "run_name": "fixture",
        "synthetic": True,
        "dataset_label": "Données de test synthétiques",
        "output_dir": str(d / "out"),
        "programmes": {"fse": "PON FSE", "iej": "PON IEJ"},
        "current_wave": "2019",
        "previous_wave": "2017",
        "waves": {"2017": {"label": "Vague 2017", "start": "2014-01-01", "end": "2017-03-04"},
                  "2019": {"label": "Vague 2019", "start": "2017-03-05", "end": "2018-12-31"}},
        "inputs": {
            "operations": {"fse": str(d / FILES["ops_fse"]), "iej": str(d / FILES["ops_iej"])},
            "qualitative": {"fse": str(d / FILES["qual_fse"]), "iej": str(d / FILES["qual_iej"])},
            "participants": str(d / FILES["participants"]),
            "survey": str(d / FILES["survey"]),
            "lot5": str(d / FILES["lot5"]),
        },
        "mapping": str(ROOT / "params" / "mapping_mdfse.yaml"),
        "nomenclature": str(ROOT / "params" / "nomenclature.yaml"),
        "review_register": str(d / "registre_revue.csv"),
        "exclude_axes": ["4"],
    }


def write_params(d: Path, data: dict) -> Path:
    p = d / "params.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def make_base(d: Path) -> Path:
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    for name in FILES.values():
        if (BASE / name).exists():
            shutil.copyfile(BASE / name, d / name)
    write_participants(d / FILES["participants"])
    return write_params(d, params_dict(d))


def path_of(d: Path, key: str) -> Path:
    return Path(d) / FILES[key]


def read_text(d: Path, key: str) -> str:
    return path_of(d, key).read_bytes().decode(ENCODING.get(key, "utf-8"))


def write_text(d: Path, key: str, text: str, encoding: str | None = None) -> None:
    path_of(d, key).write_bytes(text.encode(encoding or ENCODING.get(key, "utf-8")))


def mutate(d: Path, key: str, fn) -> None:
    """Apply fn(text) -> text to one CSV of the dataset (keeping its encoding)."""
    write_text(d, key, fn(read_text(d, key)))


def set_cell(d: Path, key: str, op_or_row: str, header: str, value: str) -> None:
    """Set the cell of column `header` in the first line starting with `op_or_row`."""
    text = read_text(d, key)
    nl = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(nl)
    head_idx = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    cols = lines[head_idx].split(";")
    j = cols.index(header)
    i = next(i for i, line in enumerate(lines) if line.startswith(op_or_row + ";"))
    cells = lines[i].split(";")
    cells[j] = value
    lines[i] = ";".join(cells)
    write_text(d, key, nl.join(lines))


def line_of(d: Path, key: str, op_or_row: str) -> int:
    """1-based line number (as an editor shows it) of the first line starting with op_or_row."""
    lines = read_text(d, key).replace("\r\n", "\n").split("\n")
    return next(i for i, line in enumerate(lines, 1) if line.startswith(op_or_row + ";"))

"""The layout of the demo files as the mapping describes them: headers, and reading the files back.

Used by the writer (headers) and by the checks (reading what was written).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .constants import FILES, OPS_FIELDS, QUAL_FIELDS


def headers(mapping: dict, kind: str) -> list[str]:
    """The source headers of a section of the mapping (the first one when several are accepted)."""
    # TODO(issue 13): the register columns and the mapping's headers could come from the runtime owner.
    out = []
    for col, spec in mapping[kind].items():
        if col == "read":
            continue
        h = spec["header"] if isinstance(spec, dict) else spec
        out.append(h[0] if isinstance(h, list) else h)
    return out


def read_csv(path: Path, encoding: str, banner: bool = True) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding=encoding,
                       skiprows=1 if banner else 0)


def load_ops(folder: Path) -> pd.DataFrame:
    """Operations of both programmes joined to their texts, with amounts in cents (`ct_c`, `ue_c`)
    and parsed dates (`*_d`)."""
    frames = []
    for prog in ("fse", "iej"):
        ops = read_csv(folder / FILES[f"ops_{prog}"], "cp1252")
        q = read_csv(folder / FILES[f"qual_{prog}"], "utf-8")
        ops.columns, q.columns = OPS_FIELDS, QUAL_FIELDS
        ops = ops.merge(q, on="op_id", how="left", validate="one_to_one")
        ops["programme"] = prog
        frames.append(ops)
    ops = pd.concat(frames, ignore_index=True)
    for c in ("ct", "ue"):
        ops[c + "_c"] = ops[c].str.replace(r"[ \u00a0]", "", regex=True).str.replace(",", "", regex=False).astype("int64")
    for c in ("programming_date", "start_date", "end_date"):
        ops[c + "_d"] = pd.to_datetime(ops[c], format="%d/%m/%Y")
    ops = ops.fillna("")
    return ops

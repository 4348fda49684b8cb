"""Parquet tables of a run (`<out>/clean/*.parquet`): the one writer and its one policy.

Every table is written with an explicit Arrow schema derived from the frame, so that the bytes
depend only on the data (no pandas index or pandas metadata, no library version in the columns):
- dates (`DATE_COLUMNS`, or any datetime column) -> date32;
- booleans -> bool; floats (and `FLOAT_COLUMNS`) -> float64; integers (nullable too) -> int64;
- everything else -> string, missing values kept as nulls.
zstd compression; written atomically (a reader never sees a half-written file).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_path

# column types of the clean tables (docs/architecture.md)
DATE_COLUMNS = ("programming_date", "start_date", "end_date", "agreement_date")
FLOAT_COLUMNS = ("ct", "ue")


def arrow_table(df: pd.DataFrame):
    """The Arrow table written for `df` (see the module docstring for the policy)."""
    import pyarrow as pa
    fields, arrays = [], []
    for c in df.columns:
        s = df[c]
        if c in DATE_COLUMNS or pd.api.types.is_datetime64_any_dtype(s):
            dates = pd.to_datetime(s).astype("datetime64[ms]")     # an all-empty column stays null
            arr = pa.array(dates, type=pa.timestamp("ms"), from_pandas=True).cast(pa.date32())
        elif pd.api.types.is_bool_dtype(s):
            arr = (pa.array(s.to_numpy(dtype=bool), type=pa.bool_()) if not s.hasnans
                   else pa.array(s.to_numpy(dtype=object, na_value=None).tolist(), type=pa.bool_()))
        elif c in FLOAT_COLUMNS or pd.api.types.is_float_dtype(s):
            arr = pa.array(s.to_numpy(dtype="float64", na_value=np.nan), type=pa.float64(), from_pandas=True)
        elif pd.api.types.is_integer_dtype(s):
            arr = pa.array(s.astype("Int64").to_numpy(dtype=object, na_value=None).tolist(), type=pa.int64())
        else:
            arr = pa.array(s.astype("str").to_numpy(dtype=object, na_value=None).tolist(), type=pa.string())
        fields.append(pa.field(str(c), arr.type))
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write_parquet(df: pd.DataFrame, target: str | Path) -> Path:
    """Write `df` to `target` (deterministic bytes, explicit schema, atomically); return the path."""
    import pyarrow.parquet as pq
    with atomic_path(target) as tmp:
        pq.write_table(arrow_table(df), tmp, compression="zstd")
    return Path(target)

"""Frames read from files, kept for the next reader of the same file in the same process.

The typology step and then the IEJ results run one after the other in the same kernel
(`run_plan.SHARED_KERNEL`) and read the same clean operations, candidates and review register:
the second reading of an unchanged file costs nothing. A file is known by its path and its
`stat` (inode, size, modification and change times: writing or copying a file always gives it a
new change time) and, for what the caller adds to the key (`extra`), e.g. the file's bytes or the
parameters its reading depends on. Each reader gets its own shallow copy: with pandas'
copy-on-write, a change a notebook makes to its frame never reaches the kept one. One frame is
kept per path, for the last `MAX_KEPT` paths read; a reading that fails keeps nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pandas as pd

MAX_KEPT = 8
_KEPT: dict[str, tuple[tuple, pd.DataFrame]] = {}


def file_key(path: str | Path) -> tuple:
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def read(path: str | Path, reader: Callable[[], pd.DataFrame], extra: tuple = ()) -> pd.DataFrame:
    """`reader()` (which reads `path`), or a copy of what it returned for the same file and `extra`."""
    name = str(Path(path).resolve())
    try:
        key = (*file_key(name), *extra)
    except OSError:                  # missing or unreadable: the reader says so in its own words
        return reader()
    kept = _KEPT.get(name)
    if kept is not None and kept[0] == key:
        return kept[1].copy(deep=False)
    frame = reader()
    _KEPT.pop(name, None)
    while len(_KEPT) >= MAX_KEPT:
        _KEPT.pop(next(iter(_KEPT)))
    _KEPT[name] = (key, frame)
    return frame.copy(deep=False)


def clear() -> None:
    _KEPT.clear()

"""French dates: the one owner of the month names and of every date format the reader sees.

- `long_date`: 2019-03-09 -> « 9 mars 2019 » (« 1er » for the first day of a month);
- `month_year`: 2019-02 (or a date) -> « février 2019 »;
- `numeric_date`: a date -> « 09/03/2019 » (tables of operations), "" when missing.

Accepted values: `datetime.date`/`datetime` (pandas Timestamps included), ISO text
(`YYYY-MM-DD`, also with a time after it), `DD/MM/YYYY`, and anything else pandas can read.
No pandas import unless a value needs it.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")

_MONTH_TEXT = re.compile(r"\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or type(value).__name__ in ("NaTType", "NAType")


def to_date(value: Any) -> _dt.date | None:
    """The calendar date of a value, None when it is missing or not a date."""
    if _missing(value):
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return _dt.datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    import pandas as pd
    try:
        ts = pd.Timestamp(text)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts.date()


def long_date(value: Any) -> str:
    """« 9 mars 2019 », « 1er janvier 2014 »; a value that is not a date is shown as it is."""
    d = to_date(value)
    if d is None:
        return str(value)
    return f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month - 1]} {d.year}"


def month_year(value: Any) -> str:
    """« février 2019 » for '2019-02', '2019-02-15' or a date; anything else as it is."""
    if isinstance(value, (_dt.date, _dt.datetime)) and not _missing(value):
        return f"{MONTHS[value.month - 1]} {value.year}"
    m = _MONTH_TEXT.fullmatch(str(value))
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{MONTHS[int(m.group(2)) - 1]} {m.group(1)}"
    d = to_date(value)
    return str(value) if d is None else f"{MONTHS[d.month - 1]} {d.year}"


def numeric_date(value: Any) -> str:
    """« 09/03/2019 »; "" for a missing value; a value that is not a date as it is."""
    if _missing(value):
        return ""
    d = to_date(value)
    return str(value) if d is None else d.strftime("%d/%m/%Y")

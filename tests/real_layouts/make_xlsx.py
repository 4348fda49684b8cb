"""Regenerate the XLSX twins of the real-layout CSV fixtures, with native cell types (numbers,
dates, rates as fractions), as a spreadsheet export would have them.

    .venv/bin/python tests/real_layouts/make_xlsx.py
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pandas as pd

HERE = Path(__file__).resolve().parent


def native(value: str, header: str):
    v = value.strip()
    if v == "":
        return None
    if re.fullmatch(r"\d{2}/\d{2}/\d{4}", v):
        d, m, y = map(int, v.split("/"))
        return dt.datetime(y, m, d)
    if "Taux" in header:
        x = float(v.replace("%", "").replace(" ", "").replace(",", "."))
        return x / 100 if x > 1 else x
    if re.fullmatch(r"[\d ]+,\d+", v):
        return float(v.replace(" ", "").replace(",", "."))
    if re.fullmatch(r"[1-9]\d*", v):
        return int(v)
    return v


def convert(csv_name: str, encoding: str, sheet: str) -> None:
    frame = pd.read_csv(HERE / csv_name, sep=";", dtype=str, keep_default_na=False, encoding=encoding)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([native(v, h) for v, h in zip(row, frame.columns)])
    for cell in ws[1]:
        cell.font = openpyxl.styles.Font(bold=True)
    wb.save(HERE / csv_name.replace(".csv", ".xlsx"))


if __name__ == "__main__":
    convert("beneficiaires_fse.csv", "utf-8-sig", "Liste bénéficiaires")
    convert("annexe_xii.csv", "cp1252", "Liste des opérations")

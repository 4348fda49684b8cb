"""Writing the dataset: formats (amounts with a decimal comma, dates dd/mm/yyyy, `;` CSV with the
synthetic banner), the files of `constants.FILES`, the participant records (parquet).

Writing draws its own texture (thousands separators, empty PI) from a generator seeded with
seed + 1, and the participant attributes from seed + 7: independent of the stages' draws.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from pathlib import Path

import numpy as np

from isnote.frdates import numeric_date

from .constants import (AGES, BANNER, FILES, PARQUET_COLUMNS, PARQUET_META, PARTICIPANT_PROFILE, REGISTER_COLUMNS,
                        SEXES, STATUSES, SURVEY_FIELDS)
from .layout import headers
from .readme import render as render_readme
from .state import State


def fmt_amount(c: int, sep: str | None = None) -> str:
    euros, cts = divmod(int(c), 100)
    e = str(euros)
    if sep:
        groups = []
        while len(e) > 3:
            groups.insert(0, e[-3:])
            e = e[:-3]
        e = sep.join([e] + groups)
    return f"{e},{cts:02d}"


def fmt_date(d: date | None) -> str:
    """dd/mm/yyyy as the runtime writes it (isnote.frdates owns French dates)."""
    return numeric_date(d) if d else ""


def csv_text(header: list[str], rows: list[list], banner: bool = True) -> str:
    buf = io.StringIO()
    if banner:
        buf.write(BANNER + "\n")
    w = csv.writer(buf, delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def region_written(o) -> str:
    return o.region if o.region_raw is None else o.region_raw


def amount_texture(st: State) -> tuple[dict[int, str], set[int]]:
    """Which total costs get a thousands separator (operation id -> separator), which PI is left
    empty (operation ids), drawn from a generator seeded with seed + 1 in file order."""
    tx = st.spec.des["texture"]
    R = random.Random(st.seed + 1)
    cand = [o for o in st.ops if not o.named and o.ct >= 1_000_00 * 100]
    R.shuffle(cand)
    n_space, n_nbsp = tx["amount_space_thousands"], tx["amount_nbsp_thousands"]
    seps = {id(o): " " for o in cand[:n_space]}
    seps.update({id(o): "\u00a0" for o in cand[n_space: n_space + n_nbsp]})
    empty_pi: set[int] = set()
    for prog in ("fse", "iej"):
        for o in sorted([o for o in st.ops if o.programme == prog], key=lambda o: o.op_id):
            if o.pi and not o.named and o.kind == "scope" and R.random() < tx["empty_pi"]:
                empty_pi.add(id(o))
    return seps, empty_pi


def write_dataset(st: State, out: Path, skip_participants: bool = False) -> dict:
    """Write every file of the dataset into `out` (an existing folder). Returns statistics."""
    mapping = st.spec.mapping
    seps, empty_pi = amount_texture(st)
    for prog in ("fse", "iej"):
        ops = sorted([o for o in st.ops if o.programme == prog], key=lambda o: o.op_id)
        rows = [[o.op_id, o.title, o.beneficiary, o.legal_form, o.beneficiary_type, o.axe,
                 "" if id(o) in empty_pi else o.pi, o.os, region_written(o), o.service, fmt_date(o.prog_date),
                 fmt_date(o.start_date), fmt_date(o.end_date), fmt_amount(o.ct, seps.get(id(o))), fmt_amount(o.ue),
                 o.planned, o.place, o.n_actions] for o in ops]
        qrows = [[o.op_id, o.call_title, o.description, o.actions, o.results] for o in ops]
        (out / FILES[f"ops_{prog}"]).write_bytes(csv_text(headers(mapping, "operations"), rows).encode("cp1252"))
        (out / FILES[f"qual_{prog}"]).write_bytes(csv_text(headers(mapping, "qualitative"), qrows).encode("utf-8"))
    survey = [[r[k] for k in SURVEY_FIELDS] for r in st.survey_table]
    (out / FILES["survey"]).write_bytes(csv_text(headers(mapping, "survey"), survey).encode("utf-8"))
    lot5 = sorted([o for o in st.ops if o.lot5], key=lambda o: o.op_id)
    lot5_rows = [[o.op_id, " ".join(o.title.split())] for o in lot5]
    (out / FILES["lot5"]).write_bytes(csv_text(headers(mapping, "lot5"), lot5_rows).encode("utf-8"))
    register = [[r[c] for c in REGISTER_COLUMNS] for r in st.register_table]
    (out / FILES["register"]).write_bytes(csv_text(REGISTER_COLUMNS, register, banner=False).encode("utf-8"))
    if not skip_participants:
        write_participants(st, out / FILES["participants"])
    stats = {"space": sum(1 for v in seps.values() if v == " "), "nbsp": sum(1 for v in seps.values() if v != " "),
             "empty_pi": len(empty_pi),
             "n_ops": {p: sum(1 for o in st.ops if o.programme == p) for p in ("fse", "iej")},
             "participants": sum(o.participants for o in st.ops), "empty_desc": st.n_empty_desc,
             "region_variants": st.region_variants, "odd_answers": st.odd_answers,
             "register_rows": len(st.register_table)}
    (out / FILES["readme"]).write_bytes(render_readme(st, stats).encode("utf-8"))
    return stats


def write_participants(st: State, path: Path) -> None:
    """One record per participant, sorted by operation number, dictionary-encoded, zstd."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(st.seed + 7)
    ops = sorted([o for o in st.ops if o.programme == "fse" and o.participants > 0], key=lambda o: o.op_id)
    ids = [o.op_id for o in ops]
    counts = np.array([o.participants for o in ops], dtype="int64")
    op_idx = np.repeat(np.arange(len(ops), dtype="int32"), counts)
    n = len(op_idx)
    os_codes = list(PARTICIPANT_PROFILE)
    os_of_op = np.array([os_codes.index(o.os) for o in ops], dtype="int16")
    row_os = os_of_op[op_idx]
    sex = np.zeros(n, dtype="int8")
    age = np.zeros(n, dtype="int8")
    status = np.zeros(n, dtype="int8")
    u1, u2, u3 = rng.random(n), rng.random(n), rng.random(n)
    for k, code in enumerate(os_codes):
        m = row_os == k
        if not m.any():
            continue
        pf, ages, statuses = PARTICIPANT_PROFILE[code]
        sex[m] = np.where(u1[m] < pf, 0, 1)
        age[m] = np.searchsorted(np.cumsum(ages)[:-1], u2[m], side="right")
        status[m] = np.searchsorted(np.cumsum(statuses)[:-1], u3[m], side="right")

    def dict_col(idx, values, itype):
        return pa.DictionaryArray.from_arrays(pa.array(idx, type=itype), pa.array(values, type=pa.string()))

    table = pa.table({
        PARQUET_COLUMNS[0]: dict_col(op_idx, ids, pa.int32()),
        PARQUET_COLUMNS[1]: dict_col(sex, SEXES, pa.int8()),
        PARQUET_COLUMNS[2]: dict_col(age, AGES, pa.int8()),
        PARQUET_COLUMNS[3]: dict_col(status, STATUSES, pa.int8()),
    })
    table = table.replace_schema_metadata(PARQUET_META)
    pq.write_table(table, path, compression="zstd", compression_level=9, row_group_size=1 << 20,
                   use_dictionary=True, write_statistics=True)

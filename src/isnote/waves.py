"""Tables over several waves: with `pivot_min_waves` waves or more (parameter, default 3), the
tables are shown with the waves as rows instead of a column group per wave, so that they stay
readable and within the page whatever the number of waves: the volumes table (wave, programme),
Tableau 3 of the retained operations (wave, axis / OS: `table3_long`); the result tables then
cover every wave up to the current one (`typology.table_waves`), Tableau 4, the participants table
and the IEJ table already having one row per wave. A chart shows the retained operations and
their total cost by wave (`retained_by_wave`, `retained_chart`)."""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from .labels import TOTAL_WAVES_LABEL, default_wave_label, wave_label

DEFAULT_PIVOT_MIN_WAVES = 3
MEASURE_LABELS = {"n_ops": "Opérations", "ue": "Montant UE programmé (M€)", "ct": "Coût total (M€)"}


def pivot(params: Mapping) -> bool:
    """True when the run has enough waves for the tables to show waves as rows."""
    return len(params.get("waves") or {}) >= int(params.get("pivot_min_waves", DEFAULT_PIVOT_MIN_WAVES))


def tableau2_long(t2: pd.DataFrame, wave_labels: Mapping | None = None) -> tuple[pd.DataFrame, dict]:
    """The volumes table (isnote.ingest.tableau2) with one row per (wave, programme), waves in order,
    then the total of the waves; the very last row is the grand total."""
    from .frnum import fmt_int, fmt_num, round_half_up

    wave_labels = wave_labels or {}
    prog = t2[("programme", "")].to_numpy()
    waves = [w for w in dict.fromkeys(c[0] for c in t2.columns) if w != "programme"]
    frames = []
    for w in waves:
        label = TOTAL_WAVES_LABEL if w == "total" else wave_labels.get(w) or default_wave_label(w)
        part = pd.DataFrame({"Vague": label, "Programme": prog})
        for m, name in MEASURE_LABELS.items():
            if (w, m) in t2.columns:
                part[name] = t2[(w, m)].to_numpy()
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    money = lambda v: fmt_num(round_half_up(float(v), 1), 1)  # noqa: E731
    formats = {"Opérations": fmt_int, MEASURE_LABELS["ue"]: money, MEASURE_LABELS["ct"]: money}
    return out, formats


def table3_long(t3: pd.DataFrame, params: Mapping) -> tuple[pd.DataFrame, dict]:
    """Tableau 3 (isnote.tables.table3) with one block of rows per period (each wave, oldest first,
    then the cumulative): wave, axis or OS, operations, share, total cost (M€), share. The OS rows
    without any retained operation in the period are left out; the last row is the grand total of
    the cumulative."""
    from .frnum import fmt_int, fmt_pct
    from .frwords import fmt_meur_cell
    from .typology import CUMULATIVE, table_waves, wave_label

    periods = [p for p in table_waves(params) + [CUMULATIVE] if f"n_ops_{p}" in t3.columns]
    frames = []
    for p in periods:
        keep = ~(t3["level"].eq("os") & t3[f"n_ops_{p}"].eq(0))
        part = pd.DataFrame({
            "Vague": wave_label(params, p),
            "Axe / OS": t3.loc[keep, "label"].to_numpy(),
            "Opérations": t3.loc[keep, f"n_ops_{p}"].to_numpy(),
            "% opérations": t3.loc[keep, f"share_n_{p}"].to_numpy(),
            "Coût total (M€)": t3.loc[keep, f"ct_meur_{p}"].to_numpy(),
            "% coût total": t3.loc[keep, f"share_ct_{p}"].to_numpy(),
        })
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    formats = {"Opérations": fmt_int, "% opérations": fmt_pct, "Coût total (M€)": fmt_meur_cell,
               "% coût total": fmt_pct}
    return out, formats


def retained_by_wave(kf_retained: Mapping, params: Mapping, programme: str = "fse") -> pd.DataFrame:
    """Retained operations and total cost (M€) per wave, in the order of the parameters' waves."""
    block = (kf_retained or {}).get(programme, {})
    rows = [(wave_label(params.get("waves"), w),
             int(block[w]["total"].get("n_ops", 0)), float(block[w]["total"].get("ct", 0.0)))
            for w in (params.get("waves") or {}) if isinstance(block.get(w), Mapping) and "total" in block[w]]
    return pd.DataFrame(rows, columns=["vague", "n_ops", "ct"])


def retained_chart(by_wave: pd.DataFrame):
    """Two panels: retained operations and their total cost, one bar per wave (French numbers);
    None when no wave has a retained operation (bars of zeros say nothing)."""
    if not int(by_wave["n_ops"].sum()):
        return None
    from .charts import PALETTE, WIDTH_IN, _style, plt
    from .frnum import fmt_int, fmt_num

    with _style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH_IN, 2.6))
        for ax, col, title, fmt in ((left, "n_ops", "Opérations retenues", fmt_int),
                                    (right, "ct", "Coût total retenu (M€)", lambda v: fmt_num(v, 1))):
            bars = ax.bar(by_wave["vague"], by_wave[col], color=PALETTE["bar"])
            ax.set_title(title)
            ax.set_yticks([])
            for spine in ("left", "right", "top"):
                ax.spines[spine].set_visible(False)
            for bar, value in zip(bars, by_wave[col]):
                ax.annotate(fmt(value), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=8)
        fig.tight_layout()
    return fig

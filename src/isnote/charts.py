"""Figures of the note (matplotlib, Agg): French number formats, A4 width, deterministic files.

Each `*_chart` function returns a matplotlib Figure; `save(fig, figures_dir, name)` writes
`<name>.png` and `<name>.svg` atomically and returns the PNG bytes (for
isnote.display.figure_html). Files are byte-identical across runs: fixed dpi, fixed SVG hash
salt, no date in the metadata.

matplotlib is imported on the first chart drawn, not with this module: its import costs about a
second of CPU, and a rerun whose charts' data did not change (`save_cached`) draws none.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .atomic import write_bytes
from .frnum import NBSP, fmt_int, fmt_num, fmt_pct

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

WIDTH_IN = 16 / 2.54          # 16 cm: readable at A4 width
DPI = 200
# Sober palette: dark blue, mid grey-blue, light grey; an accent for highlights.
PALETTE = {"oui": "#1f4e79", "non": "#8c9db5", "nsp": "#d9d9d9", "bar": "#1f4e79", "muted": "#b0b8c4",
           "accent": "#c55a11", "text": "#222222"}
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#666666",
    "axes.labelcolor": PALETTE["text"],
    "text.color": PALETTE["text"],
    "svg.hashsalt": "isnote",
    "svg.fonttype": "path",
    "path.simplify": True,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    # labels come from the data (body types, regions, categories): "$x$" is text, never mathtext
    "text.parse_math": False,
}
ANSWER_LABELS = {"oui": "Oui", "non": "Non", "nsp": "Ne se prononce pas"}


_PYPLOT: list = []


def _pyplot():
    """matplotlib.pyplot, imported on first use, on the Agg backend (no display)."""
    if not _PYPLOT:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot
        _PYPLOT.append(matplotlib.pyplot)
    return _PYPLOT[0]


def __getattr__(name: str):
    if name == "plt":       # `from isnote.charts import plt` (isnote.waves): pyplot, imported then
        return _pyplot()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _style():
    return _pyplot().rc_context(STYLE)


def _fr_axis(ax, axis: str = "x", decimals: int = 0, unit: str = "") -> None:
    from matplotlib.ticker import FuncFormatter
    fmt = FuncFormatter(lambda v, _pos: fmt_num(v, decimals) + (f"{NBSP}{unit}" if unit else ""))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def survey_chart(sb: pd.DataFrame, title: str | None = None) -> Figure:
    """Figure 1: answers per body type, stacked horizontal bars of shares, labelled 'n (xx %)'.

    `sb` is isnote.tables.survey_by_type: rows of kind type, group and total (shown last). None
    when nobody answered (no survey in the run's inputs: its section is not in the note).
    """
    if not int(sb["n"].sum()):
        return None
    answers = ["oui", "non", "nsp"]
    df = sb.copy()
    df["lab"] = np.where(df["kind"].eq("group"), df["body_type"] + " (ensemble)", df["body_type"])
    df["lab"] = df["lab"] + "\n(" + df["n"].map(fmt_int) + " rép.)"
    df = df.iloc[::-1].reset_index(drop=True)        # first row at the top
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter
    with _style():
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.55 * len(df) + 1.3))
        left = np.zeros(len(df))
        y = np.arange(len(df))
        for a in answers:
            w = df[f"share_{a}"].to_numpy(dtype="float64")
            n = df[f"n_{a}"].to_numpy()
            ax.barh(y, w, left=left, color=PALETTE[a], edgecolor="white", linewidth=0.6, height=0.7,
                    label=ANSWER_LABELS[a])
            dark = a == "oui"
            for yi, (li, wi, ni) in enumerate(zip(left, w, n)):
                label = (f"{fmt_int(ni)} ({fmt_pct(wi, 0)})" if wi >= 0.09 else
                         fmt_int(ni) if wi >= 0.03 else "")     # narrow segments: the count only
                if label:
                    ax.text(li + wi / 2, yi, label, ha="center", va="center",
                            fontsize=7.5, color="white" if dark else PALETTE["text"])
            left = left + w
        ax.set_yticks(y, df["lab"].tolist())
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt_pct(v, 0)))
        ax.tick_params(axis="y", length=0)
        bold = df.index[df["kind"].eq("total")]
        for i in bold:
            ax.get_yticklabels()[i].set_fontweight("bold")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
        if title:
            ax.set_title(title, loc="left")
        fig.tight_layout()
    return fig


def regions_chart(reg: pd.DataFrame, ranked_only: bool = True, title: str | None = None) -> Figure:
    """Representation ratio per region (share of retained / share of all operations), horizontal bars;
    None when no operation is retained (every ratio would be 0: nothing to draw)."""
    if not int(reg["n_retained"].sum()):
        return None
    df = reg.loc[reg["ranked"]] if ranked_only and reg["ranked"].any() else reg
    df = df.sort_values(["ratio", "region"], ascending=[True, False], kind="stable").reset_index(drop=True)
    plt = _pyplot()
    with _style():
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.28 * len(df) + 1.2))
        colors = np.where(df["ratio"].to_numpy() > 1.0, PALETTE["bar"], PALETTE["muted"])
        y = np.arange(len(df))
        ax.barh(y, df["ratio"].to_numpy(dtype="float64"), color=colors, height=0.7)
        ax.axvline(1.0, color=PALETTE["accent"], linewidth=0.9, linestyle="--", zorder=1)
        xmax = float(df["ratio"].max()) if len(df) else 1.0
        for yi, (r, n) in enumerate(zip(df["ratio"].to_numpy(), df["n_retained"].to_numpy())):
            ax.text(r + xmax * 0.01, yi, f"{fmt_num(r, 2)} ({fmt_int(n)} op.)", va="center", fontsize=7.5, zorder=3,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85})
        ax.set_yticks(y, df["region"].astype(str).tolist())
        ax.set_xlim(0, max(xmax * 1.18, 1.2))
        _fr_axis(ax, "x", 1)
        ax.set_xlabel("Indice de représentation (part des opérations retenues / part des opérations programmées)")
        ax.tick_params(axis="y", length=0)
        if title:
            ax.set_title(title, loc="left")
        fig.tight_layout()
    return fig


def category_chart(t5: pd.DataFrame, wave: str, title: str | None = None) -> Figure:
    """Retained operations and total cost per category (current wave), two panels."""
    df = t5.loc[t5["categorie"].ne("total")].iloc[::-1].reset_index(drop=True)
    plt = _pyplot()
    with _style():
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(WIDTH_IN, 0.45 * len(df) + 1.2), sharey=True)
        y = np.arange(len(df))
        n = df[f"n_ops_{wave}"].to_numpy(dtype="float64")
        ct = df[f"ct_meur_{wave}"].to_numpy(dtype="float64")
        a1.barh(y, n, color=PALETTE["bar"], height=0.65)
        a2.barh(y, ct, color=PALETTE["non"], height=0.65)
        for yi in y:
            a1.text(n[yi], yi, f" {fmt_int(n[yi])}", va="center", fontsize=7.5)
            a2.text(ct[yi], yi, f" {fmt_num(ct[yi], 1)}{NBSP}M€", va="center", fontsize=7.5)
        a1.set_yticks(y, [str(s) for s in df["libelle"]])
        a1.set_xlabel("Opérations retenues")
        a2.set_xlabel("Coût total (M€)")
        a1.set_xlim(0, max(n.max() * 1.25, 1) if len(n) else 1)
        a2.set_xlim(0, max(ct.max() * 1.35, 0.1) if len(ct) else 1)
        _fr_axis(a1, "x", 0)
        _fr_axis(a2, "x", 0)
        for a in (a1, a2):
            a.tick_params(axis="y", length=0)
        if title:
            fig.suptitle(title, x=0.01, ha="left")
        fig.tight_layout()
    return fig


def save(fig: Figure | None, figures_dir: str | Path, name: str, close: bool = True) -> bytes:
    """Write `<name>.png` and `<name>.svg` (deterministic) and return the PNG bytes. A builder that
    had nothing to draw gave None: the files of an earlier run are removed, b"" is returned (and
    `cells.figure` shows no figure)."""
    figures_dir = Path(figures_dir)
    if fig is None:
        for suffix in (".png", ".svg"):
            (figures_dir / f"{name}{suffix}").unlink(missing_ok=True)
        return b""
    with _style():
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches="tight",
                    facecolor="white")
        svg = io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight",
                    facecolor="white")
    if close:
        _pyplot().close(fig)
    data = png.getvalue()
    write_bytes(figures_dir / f"{name}.png", data)
    write_bytes(figures_dir / f"{name}.svg", svg.getvalue())
    return data


def save_cached(build, data: pd.DataFrame, figures_dir: str | Path, name: str) -> bytes:
    """`save(build(data), figures_dir, name)`, skipped when the files of the same chart of the same
    data are already there (a rerun after a change that does not touch this chart's data: drawing
    and writing a PNG and an SVG costs a few tenths of a second, importing matplotlib a second). The
    key (data, builder, the code of this module and of the builder's, matplotlib's version) is kept
    in `<figures_dir>/../.state/charts/<name>.key`."""
    import hashlib
    import inspect
    from importlib.metadata import version

    figures_dir = Path(figures_dir)
    key_file = figures_dir.parent / ".state" / "charts" / f"{name}.key"
    try:
        h = hashlib.sha256()
        h.update(build.__qualname__.encode())
        h.update(Path(__file__).read_bytes())
        source = inspect.getsourcefile(build)
        if source and Path(source).resolve() != Path(__file__).resolve():   # e.g. isnote.waves
            h.update(Path(source).read_bytes())
        h.update(version("matplotlib").encode())
        h.update(repr([(str(c), str(t)) for c, t in data.dtypes.items()]).encode())
        h.update(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
        key = h.hexdigest()
    except TypeError:               # unhashable cells: no cache
        return save(build(data), figures_dir, name)
    png, svg = figures_dir / f"{name}.png", figures_dir / f"{name}.svg"
    if png.is_file() and svg.is_file() and key_file.is_file() and key_file.read_text(encoding="utf-8") == key:
        return png.read_bytes()
    data_png = save(build(data), figures_dir, name)
    if not data_png:                 # nothing drawn: no file, and no key that would say otherwise
        key_file.unlink(missing_ok=True)
        return data_png
    key_file.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(key_file, key.encode("utf-8"))
    return data_png

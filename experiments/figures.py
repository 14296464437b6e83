"""Figures of experiments: CI bands over time, sweep heatmaps and lines, comparison forest
plots, Pareto fronts. Every function returns a :class:`matplotlib.figure.Figure` on the headless
Agg canvas (nothing touches ``pyplot`` state or opens a window).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "plot_bands",
    "plot_forest",
    "plot_heatmaps",
    "plot_pareto",
    "plot_sweep_lines",
    "save",
]


def _grid(n: int, w: float = 4.2, h: float = 3.0, ncols: int = 3) -> tuple[Figure, list]:
    ncols = max(1, min(n, ncols))
    nrows = max(1, math.ceil(n / ncols))
    fig = Figure(figsize=(w * ncols, h * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(n)]
    return fig, axes


def _label(name: str) -> str:
    return name.replace("_", " ")


def save(fig: Figure, path: Path, dpi: int = 120) -> Path:
    """Save a figure as PNG (atomically: temp name, then rename)."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fig.savefig(tmp, dpi=dpi, format="png")
    os.replace(tmp, path)
    return path


def plot_bands(
    summary: pd.DataFrame,
    variables: Sequence[str],
    by: str | None = None,
    *,
    boot: pd.DataFrame | None = None,
    title: str = "",
) -> Figure:
    """Mean over replications per week with its t confidence band (and bootstrap band, dashed).

    Args:
        summary: Output of :func:`experiments.stats.summarise_over_time` (``step``,
            ``variable``, ``mean``, ``lo``, ``hi`` and optionally a condition column ``by``).
        variables: Metrics to draw, one panel each.
        by: Condition column (one line and band per condition).
        boot: Output of :func:`experiments.tables.bootstrap_over_time` for the same keys.
        title: Figure title.
    """
    fig, axes = _grid(len(variables))
    levels = list(dict.fromkeys(summary[by])) if by else [None]
    for ax, var in zip(axes, variables, strict=False):
        d = summary[summary["variable"] == var]
        for i, lev in enumerate(levels):
            dd = d if lev is None else d[d[by] == lev]
            color = f"C{i}"
            ax.plot(dd["step"], dd["mean"], color=color, label=str(lev) if lev is not None else "")
            ax.fill_between(dd["step"], dd["lo"], dd["hi"], color=color, alpha=0.25, linewidth=0)
            if boot is not None:
                b = boot[boot["variable"] == var]
                if lev is not None:
                    b = b[b[by] == lev]
                ax.plot(b["step"], b["boot_lo"], color=color, linestyle=":", linewidth=0.8)
                ax.plot(b["step"], b["boot_hi"], color=color, linestyle=":", linewidth=0.8)
        ax.set_title(_label(var), fontsize=10)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
    if by and axes:
        axes[0].legend(fontsize=8, frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def plot_heatmaps(
    points: pd.DataFrame, x: str, y: str, outcomes: Sequence[str], *, title: str = ""
) -> Figure:
    """One heatmap per outcome of its mean over replications on a two-parameter grid."""
    fig, axes = _grid(len(outcomes), w=4.4, h=3.6)
    for ax, out in zip(axes, outcomes, strict=False):
        grid = points.pivot_table(
            index=y, columns=x, values=f"{out}_mean", aggfunc="mean", dropna=False
        )
        if not np.isfinite(grid.to_numpy(dtype=float)).any():
            ax.set_title(_label(out), fontsize=10)
            ax.text(0.5, 0.5, "undefined in every run", ha="center", va="center")
            ax.set_axis_off()
            continue
        im = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(
            range(grid.shape[1]),
            [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.columns],
            rotation=45,
        )
        ax.set_yticks(
            range(grid.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.index]
        )
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(_label(out), fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.85)
    if title:
        fig.suptitle(title)
    return fig


def plot_sweep_lines(
    points: pd.DataFrame,
    x: str,
    outcomes: Sequence[str],
    hue: str | None = None,
    *,
    title: str = "",
) -> Figure:
    """Mean outcome (with CI error bars) against one swept parameter (one line per ``hue``)."""
    fig, axes = _grid(len(outcomes))
    for ax, out in zip(axes, outcomes, strict=False):
        groups = points.groupby(hue, sort=True) if hue else [(None, points)]
        for i, (lev, d) in enumerate(groups):
            d = d.sort_values(x)
            yerr = np.vstack([d[f"{out}_mean"] - d[f"{out}_lo"], d[f"{out}_hi"] - d[f"{out}_mean"]])
            ax.errorbar(
                d[x],
                d[f"{out}_mean"],
                yerr=np.nan_to_num(yerr),
                marker="o",
                capsize=3,
                color=f"C{i}",
                label=f"{hue}={lev:g}" if isinstance(lev, float) else (str(lev) if hue else None),
            )
        ax.set_xlabel(x)
        ax.set_title(_label(out), fontsize=10)
        ax.grid(alpha=0.3)
    if hue and axes:
        axes[0].legend(fontsize=8, frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def plot_scatter(
    runs: pd.DataFrame, params: Sequence[str], outcome: str, *, title: str = ""
) -> Figure:
    """Each point's mean outcome against each parameter (for Latin-hypercube designs)."""
    fig, axes = _grid(len(params))
    for ax, p in zip(axes, params, strict=False):
        ax.scatter(runs[p], runs[f"{outcome}_mean"], s=14, alpha=0.8)
        ax.set_xlabel(p)
        ax.set_ylabel(_label(outcome))
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def plot_forest(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Standardised paired effects (Cohen's d_z with CI) per outcome and comparison.

    ``table`` has ``comparison``, ``outcome``, ``d_z``, ``d_z_lo``, ``d_z_hi`` and
    ``significant`` (Holm-adjusted); filled markers are significant.
    """
    comps = list(dict.fromkeys(table["comparison"]))
    outs = list(dict.fromkeys(table["outcome"]))
    fig = Figure(figsize=(7.5, 0.45 * len(outs) * max(1, len(comps)) + 1.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    height = 0.8 / max(1, len(comps))
    for i, comp in enumerate(comps):
        d = table[table["comparison"] == comp].set_index("outcome").reindex(outs)
        y = np.arange(len(outs)) + (i - (len(comps) - 1) / 2) * height
        dz = d["d_z"].to_numpy(dtype=float)
        lo = d["d_z_lo"].to_numpy(dtype=float)
        hi = d["d_z_hi"].to_numpy(dtype=float)
        finite = np.isfinite(dz) & np.isfinite(lo) & np.isfinite(hi)
        sig = d["significant"].fillna(False).to_numpy(dtype=bool)
        ax.errorbar(
            dz[finite],
            y[finite],
            xerr=[dz[finite] - lo[finite], hi[finite] - dz[finite]],
            fmt="none",
            ecolor=f"C{i}",
            capsize=3,
        )
        any_sig = bool((finite & sig).any())
        ax.scatter(
            dz[finite & sig],
            y[finite & sig],
            color=f"C{i}",
            zorder=3,
            label=comp if any_sig else None,
        )
        ax.scatter(
            dz[finite & ~sig],
            y[finite & ~sig],
            facecolors="white",
            edgecolors=f"C{i}",
            zorder=3,
            label=None if any_sig else comp,
        )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(np.arange(len(outs)), [_label(o) for o in outs])
    ax.invert_yaxis()
    ax.set_xlabel("paired effect size d_z (95 % CI); filled = significant after Holm")
    ax.legend(fontsize=8, frameon=False, loc="best")
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


def plot_pareto(
    cands: pd.DataFrame, front: pd.DataFrame, x: str, y: str, *, title: str = ""
) -> Figure:
    """All evaluated budget splits and the non-dominated (Pareto) front of two objectives."""
    fig = Figure(figsize=(6.0, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter(cands[x], cands[y], s=12, color="0.6", label="evaluated splits")
    f = front.sort_values(x)
    ax.plot(f[x], f[y], "o-", color="C3", label="Pareto front (search seeds)")
    if {f"{x}_lo", f"{x}_hi", f"{y}_lo", f"{y}_hi", f"{x}_val", f"{y}_val"} <= set(f.columns):
        ax.errorbar(
            f[f"{x}_val"],
            f[f"{y}_val"],
            xerr=[f[f"{x}_val"] - f[f"{x}_lo"], f[f"{x}_hi"] - f[f"{x}_val"]],
            yerr=[f[f"{y}_val"] - f[f"{y}_lo"], f[f"{y}_hi"] - f[f"{y}_val"]],
            fmt="s",
            color="C0",
            capsize=3,
            label="front on fresh seeds (95 % CI)",
        )
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    return fig

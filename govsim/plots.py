"""Plots of govsim runs (matplotlib, no pyplot state, Agg; reusable by the CLI, runners, reports).

Every function takes the engine's tables (:class:`sim.run.RunResult` ``model`` / ``groups``
DataFrames, or the same tables read back from Parquet) and returns a
:class:`matplotlib.figure.Figure`; :func:`save_figure` writes a PNG atomically::

    from govsim import plots
    figs = plots.run_figures(result.model, result.groups, title="weak_baseline seed 0")
    plots.save_figure(figs["participation"], "participation.png")

    fig = plots.plot_comparison({"weak": [r.model for r in weak], "integrated": [...]})
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.metrics import MODEL_METRICS

__all__ = [
    "COMPARISON_METRICS",
    "RUN_FIGURES",
    "plot_comparison",
    "plot_consensus",
    "plot_needs",
    "plot_participation",
    "plot_trust",
    "run_figures",
    "save_figure",
]

#: Metrics shown by default in comparison plots (metric, y-axis label).
COMPARISON_METRICS: tuple[tuple[str, str], ...] = (
    ("participation_rate", "participation rate"),
    ("agenda_distance", "distance to the shared agenda"),
    ("mean_trust", "mean trust"),
    ("resolution_rate", "needs resolution rate"),
)


def _figure(nrows: int = 1, ncols: int = 1, *, width: float = 7.0, height: float = 3.2):
    fig = Figure(figsize=(width, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, [ax for row in axes for ax in row]


def _label(name: str) -> str:
    return name.replace("_", " ")


def _finish(ax: Axes, ylabel: str, *, unit_range: bool = False) -> None:
    ax.set_xlabel("week")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if unit_range:
        ax.set_ylim(-0.02, 1.02)
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize="small", frameon=False, ncols=min(3, len(handles)))


def _by_group(ax: Axes, groups: pd.DataFrame | None, metric: str) -> None:
    if groups is None or metric not in groups or groups.empty:
        return
    for name, g in groups.groupby("group", observed=True, sort=False):
        ax.plot(g["step"], g[metric], lw=1.0, alpha=0.8, label=str(name))


def plot_participation(model: pd.DataFrame, groups: pd.DataFrame | None = None) -> Figure:
    """Participation rate over time, overall and by group; share never taking part."""
    fig, (ax1, ax2) = _figure(2)
    ax1.plot(model["step"], model["participation_rate"], color="black", lw=2, label="all")
    _by_group(ax1, groups, "participation_rate")
    _finish(ax1, "participation rate", unit_range=True)
    ax1.set_title("Participation")
    ax2.plot(model["step"], model["participation_gap"], label="largest gap, a group vs the rest")
    ax2.plot(model["step"], model["participation_gini"], label="Gini of group rates")
    ax2.plot(model["step"], model["never_participated"], label="never took part")
    _finish(ax2, "share", unit_range=True)
    return fig


def plot_consensus(model: pd.DataFrame, groups: pd.DataFrame | None = None) -> Figure:
    """Consensus: distance to the agenda, polarization, largest cluster; opinions by group."""
    fig, (ax1, ax2) = _figure(2)
    for metric in ("agenda_distance", "polarization", "largest_cluster", "opinion_variance"):
        ax1.plot(model["step"], model[metric], label=_label(metric))
    _finish(ax1, "value", unit_range=True)
    ax1.set_title("Consensus")
    ax2.plot(model["step"], model["opinion_mean"], color="black", lw=2, label="all")
    _by_group(ax2, groups, "opinion_mean")
    _finish(ax2, "mean opinion", unit_range=True)
    return fig


def plot_trust(model: pd.DataFrame, groups: pd.DataFrame | None = None) -> Figure:
    """Mean trust in the leading organization, overall and by group; its service record."""
    fig, (ax1, ax2) = _figure(2)
    ax1.plot(model["step"], model["mean_trust"], color="black", lw=2, label="all")
    _by_group(ax1, groups, "mean_trust")
    _finish(ax1, "mean trust", unit_range=True)
    ax1.set_title("Trust in the leading organization")
    ax2.plot(model["step"], model["leader_credibility"], label="leader credibility")
    ax2.plot(model["step"], model["platform_adoption"], label="platform adoption")
    _finish(ax2, "share", unit_range=True)
    return fig


def plot_needs(model: pd.DataFrame, groups: pd.DataFrame | None = None) -> Figure:
    """Needs raised, resolved and aged out per week; resolution rate overall and by group."""
    fig, (ax1, ax2) = _figure(2)
    for metric in ("needs_created", "needs_resolved", "needs_expired"):
        ax1.plot(model["step"], model[metric], label=_label(metric))
    _finish(ax1, "needs per week")
    ax1.set_title("Needs and services")
    ax2.plot(model["step"], model["resolution_rate_week"], color="grey", label="all, this week")
    ax2.plot(model["step"], model["resolution_rate"], color="black", lw=2, label="all, so far")
    _by_group(ax2, groups, "resolution_rate")
    _finish(ax2, "resolution rate", unit_range=True)
    return fig


#: The per-run figures: file stem → plotting function.
RUN_FIGURES = {
    "participation": plot_participation,
    "consensus": plot_consensus,
    "trust": plot_trust,
    "needs": plot_needs,
}


def run_figures(
    model: pd.DataFrame, groups: pd.DataFrame | None = None, *, title: str = ""
) -> dict[str, Figure]:
    """All per-run figures (participation, consensus, trust, needs)."""
    out = {}
    for name, fn in RUN_FIGURES.items():
        fig = fn(model, groups)
        if title:
            fig.suptitle(title, fontsize="medium")
        out[name] = fig
    return out


def plot_comparison(
    runs: Mapping[str, Sequence[pd.DataFrame]],
    metrics: Sequence[tuple[str, str]] = COMPARISON_METRICS,
    *,
    title: str = "",
) -> Figure:
    """Compare conditions over time: the mean over seeds and the band from min to max.

    Args:
        runs: Condition label → the per-step model tables of its runs (one per seed).
        metrics: ``(metric, axis label)`` pairs, one panel each.
        title: Figure title.
    """
    ncols = 2 if len(metrics) > 1 else 1
    nrows = int(np.ceil(len(metrics) / ncols))
    fig, axes = _figure(nrows, ncols, width=10.0 if ncols == 2 else 7.0, height=3.0)
    for ax, (metric, ylabel) in zip(axes, metrics, strict=False):
        for label, frames in runs.items():
            if not frames:
                continue
            steps = frames[0]["step"].to_numpy()
            n = min(len(f) for f in frames)
            values = np.vstack([f[metric].to_numpy(dtype=float)[:n] for f in frames])
            with np.errstate(all="ignore"):
                ok = np.isfinite(values).any(axis=0)
                mean = np.full(n, np.nan)
                lo = np.full(n, np.nan)
                hi = np.full(n, np.nan)
                mean[ok] = np.nanmean(values[:, ok], axis=0)
                lo[ok] = np.nanmin(values[:, ok], axis=0)
                hi[ok] = np.nanmax(values[:, ok], axis=0)
            (line,) = ax.plot(steps[:n], mean, lw=2, label=f"{label} (n={len(frames)})")
            ax.fill_between(steps[:n], lo, hi, color=line.get_color(), alpha=0.2, lw=0)
        _finish(ax, ylabel, unit_range=_is_unit(metric))
        ax.set_title(_title(metric), fontsize=9)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize="medium")
    return fig


_UNIT = {
    "participation_rate",
    "participation_gap",
    "participation_gini",
    "never_participated",
    "opinion_mean",
    "agenda_distance",
    "largest_cluster",
    "polarization",
    "mean_trust",
    "leader_credibility",
    "resolution_rate",
    "resolution_rate_week",
    "consensus",
    "mediation_rate",
    "platform_adoption",
    "decision_agreement",
    *(f"effort_{lever}" for lever in ("ideological", "political", "organizational", "smart")),
}


def _title(metric: str) -> str:
    doc = MODEL_METRICS[metric].doc if metric in MODEL_METRICS else metric
    return doc.split(";")[0].split(" (")[0].rstrip(".")


def _is_unit(metric: str) -> bool:
    return metric in _UNIT


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 110) -> Path:
    """Write ``fig`` as PNG via a temporary file and an atomic rename; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")
    try:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path

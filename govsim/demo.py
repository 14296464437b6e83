"""``govsim demo``: weak vs integrated leadership, the same seeds for both, one comparison.

The demo is the ``experiment=demo`` config (``configs/experiment/demo.yaml``): a list of
scenarios (the first is the baseline), a list of seeds used for every scenario (so the
differences are paired), and extra overrides. It writes::

    results/demo/
        runs/<scenario>-seed<k>/   complete run folders (see govsim.runs)
        runs.csv                   one row per run: scenario, seed, outcomes
        comparison.csv             per outcome: each scenario's mean and sd, and the paired
                                   difference to the baseline with a 95 % t interval
        comparison.md              the same as a small report
        comparison.png             outcomes over time: mean over seeds and min–max band

The comparison files are removed when a demo starts and written when all runs are done, so
they always describe the runs beside them.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import plots
from .config import ConfigError, Resolved, check_results_dir, resolve
from .runs import atomic_write_text, save_run

__all__ = ["DEMO_OUTCOMES", "DemoResult", "compare_runs", "run_demo"]

#: Outcomes the demo compares: (metric, "final" or "mean", label, better).
DEMO_OUTCOMES: tuple[tuple[str, str, str, str], ...] = (
    ("participation_rate", "mean", "participation rate (mean of all weeks)", "higher"),
    ("participation_rate", "final", "participation rate (last week)", "higher"),
    ("agenda_distance", "final", "distance to the shared agenda (last week)", "lower"),
    ("opinion_variance", "final", "opinion variance (last week)", "lower"),
    ("polarization", "final", "polarization, Duclos–Esteban–Ray (last week)", "lower"),
    ("mean_trust", "final", "mean trust in the leading organization (last week)", "higher"),
    ("resolution_rate", "final", "needs resolution rate (so far)", "higher"),
    ("resolution_rate_week", "mean", "needs resolved per need closed (mean of weeks)", "higher"),
    ("participation_gap", "final", "largest gap, a group vs the rest (last week)", "lower"),
)

_FORBIDDEN = {
    "scenario": "the demo compares experiment.scenarios; set e.g. "
    "experiment.scenarios=[weak_baseline,political_only]",
    "seed": "the demo uses experiment.seeds; set e.g. experiment.seeds=[0,1,2]",
    "run_name": "the demo names its runs <scenario>-seed<k>",
    "experiment": "the demo is experiment=demo; change experiment.name to write elsewhere",
}


@dataclass
class DemoResult:
    """What the demo wrote."""

    root: Path
    runs: pd.DataFrame
    comparison: pd.DataFrame
    files: dict[str, Path]


def _check_overrides(overrides: Sequence[str]) -> None:
    for text in overrides:
        key = text.lstrip("+~").split("=", 1)[0]
        if key in _FORBIDDEN:
            raise ConfigError(f"{text}: not allowed in the demo — {_FORBIDDEN[key]}")


def _plan(overrides: Sequence[str]) -> tuple[Resolved, list[tuple[str, int, Resolved]]]:
    """Resolve every run of the demo before anything runs or is written."""
    _check_overrides(overrides)
    base = resolve(["experiment=demo", *overrides])
    exp = base.experiment_config
    scenarios = exp.get("scenarios")
    seeds = exp.get("seeds")
    extra = exp.get("overrides") or []
    if not isinstance(scenarios, list) or len(scenarios) < 2 or len(set(scenarios)) < 2:
        raise ConfigError(
            f"experiment.scenarios={scenarios!r}: expected at least two different scenarios, "
            "the first being the baseline"
        )
    if (
        not isinstance(seeds, list)
        or not seeds
        or any(not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in seeds)
        or len(set(seeds)) != len(seeds)
    ):
        raise ConfigError(
            f"experiment.seeds={seeds!r}: expected a list of distinct integers ≥ 0, e.g. [0,1,2]"
        )
    if not isinstance(extra, list) or not all(isinstance(x, str) for x in extra):
        raise ConfigError(f"experiment.overrides={extra!r}: expected a list of key=value strings")
    plan = []
    for scenario in scenarios:
        for seed in seeds:
            r = resolve(
                ["experiment=demo", f"scenario={scenario}", *extra, *overrides, f"seed={seed}"]
            )
            plan.append((str(scenario), int(seed), r))
    return base, plan


def _t_interval(diffs: np.ndarray) -> tuple[float, float, float]:
    diffs = diffs[np.isfinite(diffs)]
    n = diffs.size
    if n == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(diffs.mean())
    if n < 2:
        return (mean, math.nan, math.nan)
    from scipy import stats

    half = float(stats.t.ppf(0.975, n - 1) * diffs.std(ddof=1) / math.sqrt(n))
    return (mean, mean - half, mean + half)


def _mean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def _sd(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.std(ddof=1)) if x.size > 1 else math.nan


def compare_runs(
    runs: pd.DataFrame,
    baseline: str,
    outcomes: Sequence[tuple[str, str, str, str]] = DEMO_OUTCOMES,
) -> pd.DataFrame:
    """Paired comparison of every scenario with ``baseline``, seed by seed.

    Args:
        runs: One row per run with columns ``scenario``, ``seed`` and ``<kind>_<metric>``.
        baseline: The scenario the others are compared with.
        outcomes: ``(metric, kind, label, better)`` tuples.

    Returns:
        One row per outcome and compared scenario: ``outcome``, ``label``, ``better``,
        ``scenario``, ``baseline_mean``, ``baseline_sd``, ``mean``, ``sd``, ``difference``,
        ``ci_low``, ``ci_high``, ``n_pairs``.
    """
    rows = []
    base = runs[runs["scenario"] == baseline].set_index("seed")
    for scenario in [s for s in runs["scenario"].unique() if s != baseline]:
        other = runs[runs["scenario"] == scenario].set_index("seed")
        seeds = base.index.intersection(other.index)
        for metric, kind, label, better in outcomes:
            col = f"{kind}_{metric}"
            a = base.loc[seeds, col].to_numpy(dtype=float)
            b = other.loc[seeds, col].to_numpy(dtype=float)
            diff, lo, hi = _t_interval(b - a)
            rows.append(
                {
                    "outcome": col,
                    "label": label,
                    "better": better,
                    "baseline": baseline,
                    "scenario": scenario,
                    "baseline_mean": _mean(a),
                    "baseline_sd": _sd(a),
                    "mean": _mean(b),
                    "sd": _sd(b),
                    "difference": diff,
                    "ci_low": lo,
                    "ci_high": hi,
                    "n_pairs": int(seeds.size),
                }
            )
    return pd.DataFrame(rows)


def _signed(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:+.3f}"


def _plain(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.3f}"


def _table_lines(comparison: pd.DataFrame) -> list[str]:
    lines = []
    for scenario, part in comparison.groupby("scenario", sort=False):
        base = part["baseline"].iloc[0]
        lines.append(f"{'outcome':<52} {base:>14} {scenario:>14} {'difference [95% CI]':>28}")
        for _, r in part.iterrows():
            ci = f"[{_signed(r.ci_low)}, {_signed(r.ci_high)}]"
            lines.append(
                f"{r.label:<52} {_plain(r.baseline_mean):>14} {_plain(r['mean']):>14} "
                f"{_signed(r.difference):>9} {ci:>18}"
            )
    return lines


def _markdown(comparison: pd.DataFrame, meta: dict[str, Any]) -> str:
    out = [
        "# govsim demo",
        "",
        f"{meta['description']}",
        "",
        f"- residents: {meta['n_residents']}, weeks: {meta['steps']}, seeds: {meta['seeds']} "
        "(the same seeds for every scenario; differences are paired by seed)",
        "- runs: `runs/<scenario>-seed<k>/`; per-run outcomes: `runs.csv`; plot: `comparison.png`",
        "- interval: 95 % t interval of the mean paired difference over seeds",
        "",
    ]
    for scenario, part in comparison.groupby("scenario", sort=False):
        base = part["baseline"].iloc[0]
        out += [
            f"## {scenario} vs {base}",
            "",
            f"| outcome | better | {base} | {scenario} | difference | 95 % CI |",
            "|---|---|---|---|---|---|",
        ]
        for _, r in part.iterrows():
            out.append(
                f"| {r.label} | {r.better} | {_plain(r.baseline_mean)} | {_plain(r['mean'])} | "
                f"{_signed(r.difference)} | [{_signed(r.ci_low)}, {_signed(r.ci_high)}] |"
            )
        out.append("")
    return "\n".join(out)


def run_demo(
    overrides: Sequence[str] = (),
    *,
    results_dir: str | Path | None = None,
    echo: Callable[[str], None] = print,
    progress: bool | None = None,
) -> DemoResult:
    """Run the demo comparison and write it under ``<results_dir>/<experiment.name>/``.

    Args:
        overrides: ``key=value`` overrides applied to every run (not scenario=, seed=).
        results_dir: Results root (default: the ``results_dir`` setting).
        echo: Where progress lines go (``print`` by default).
        progress: Progress bar (default: on a terminal only).

    Returns:
        The tables and the paths written.

    Raises:
        ConfigError: Bad input; nothing is written.
    """
    base, plan = _plan(overrides)
    if results_dir:
        root = check_results_dir(results_dir, "--results-dir") / base.experiment
    else:
        root = check_results_dir(base.results_dir) / base.experiment
    exp = base.experiment_config
    scenarios = list(dict.fromkeys(s for s, _, _ in plan))
    seeds = list(dict.fromkeys(k for _, k, _ in plan))
    first = plan[0][2]
    echo(
        f"govsim demo: {' vs '.join(scenarios)} — {first.params.population.n_residents} residents, "
        f"{first.steps} weeks, seeds {', '.join(map(str, seeds))} (the same for every scenario)"
    )
    files = {
        "runs": root / "runs.csv",
        "comparison": root / "comparison.csv",
        "report": root / "comparison.md",
        "plot": root / "comparison.png",
    }
    for path in files.values():
        path.unlink(missing_ok=True)
    show = sys.stderr.isatty() if progress is None else progress
    bar = None
    if show:
        from tqdm import tqdm

        total = sum(r.steps for _, _, r in plan)
        bar = tqdm(total=total, unit="wk", file=sys.stderr, leave=False, desc="demo")
    rows, frames = [], {s: [] for s in scenarios}
    try:
        for scenario, seed, r in plan:
            dest = root / "runs" / f"{scenario}-seed{seed}"
            folder, result, summary = save_run(
                dest,
                params=r.params,
                seed=seed,
                steps=r.steps,
                config=r.config,
                meta={
                    "scenario": scenario,
                    "experiment": base.experiment,
                    "run": dest.name,
                    "label": f"{scenario} seed {seed}",
                    "choices": r.choices,
                    "overrides": list(r.overrides),
                },
                plots=r.plots,
                replace=True,
                on_step=(lambda _w: bar.update(1)) if bar is not None else None,
            )
            frames[scenario].append(result.model)
            row: dict[str, Any] = {"scenario": scenario, "seed": seed, "run": str(folder)}
            for metric, kind, _, _ in DEMO_OUTCOMES:
                value = summary[kind].get(metric)
                row[f"{kind}_{metric}"] = math.nan if value is None else value
            row["wall_time_s"] = summary["wall_time_s"]
            rows.append(row)
    finally:
        if bar is not None:
            bar.close()
    runs = pd.DataFrame(rows)
    comparison = compare_runs(runs, scenarios[0])
    atomic_write_text(files["runs"], runs.to_csv(index=False, float_format="%.6g"))
    meta = {
        "description": " ".join(str(exp.get("description", "")).split()),
        "n_residents": first.params.population.n_residents,
        "steps": first.steps,
        "seeds": seeds,
    }
    atomic_write_text(files["report"], _markdown(comparison, meta))
    fig = plots.plot_comparison(
        frames,
        title=f"{' vs '.join(scenarios)}: mean over seeds {seeds} and min–max band",
    )
    plots.save_figure(fig, files["plot"])
    atomic_write_text(files["comparison"], comparison.to_csv(index=False, float_format="%.6g"))
    echo("")
    for line in _table_lines(comparison):
        echo(line)
    echo("")
    echo(_headline(comparison))
    echo("")
    echo(f"runs:   {root / 'runs'}{'/'} ({len(plan)} run folders)")
    echo(f"tables: {files['comparison']}, {files['runs']}, {files['report']}")
    echo(f"plot:   {files['plot']}")
    return DemoResult(root=root, runs=runs, comparison=comparison, files=files)


def _headline(comparison: pd.DataFrame) -> str:
    first = comparison["scenario"].iloc[0]
    part = comparison[comparison["scenario"] == first].set_index("outcome")
    base = part["baseline"].iloc[0]

    def get(col: str) -> tuple[float, float, float]:
        r = part.loc[col]
        return r["baseline_mean"], r["mean"], r["difference"]

    p0, p1, dp = get("mean_participation_rate")
    a0, a1, da = get("final_agenda_distance")
    t0, t1, dt = get("final_mean_trust")
    return (
        f"headline: {first} vs {base} — participation {p0:.0%} → {p1:.0%} "
        f"({dp * 100:+.1f} points, mean of all weeks); distance to the shared agenda "
        f"{a0:.3f} → {a1:.3f} ({da:+.3f}; lower = more consensus); trust {t0:.2f} → {t1:.2f} "
        f"({dt:+.2f})."
    )

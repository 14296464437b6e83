"""``govsim sweep``: a factorial or Latin-hypercube design over any parameters, R seeds a point."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..design import ExperimentConfigError, factorial_design, lhs_design
from ..execute import ExperimentPaths, RunSpec
from ..figures import plot_heatmaps, plot_scatter, plot_sweep_lines
from ..report import figure, md_table, rel, write_table
from ..spec import Experiment, design_runs
from ..stats import summarise_over_time
from ..tables import run_outcomes
from .base import ExperimentKind, register_kind

__all__ = ["Sweep", "point_means", "sweep_design"]


def sweep_design(e: Experiment) -> pd.DataFrame:
    """The sweep's design points (a factorial or a Latin hypercube)."""
    d = e.settings.get("design")
    if not isinstance(d, Mapping):
        raise ExperimentConfigError(
            "experiment.design: not set; e.g. {kind: factorial, params: {strategy.political: "
            "[0, 0.5, 1]}} or {kind: lhs, samples: 20, params: {opinions.mu: [0.1, 0.5]}}"
        )
    kind = d.get("kind", "factorial")
    params = d.get("params") or {}
    if not isinstance(params, Mapping):
        raise ExperimentConfigError(f"experiment.design.params={params!r}: expected a mapping")
    if kind == "factorial":
        return factorial_design(e.base, params)
    if kind == "lhs":
        return lhs_design(e.base, params, d.get("samples", 0), e.root_seed)
    raise ExperimentConfigError(
        f"experiment.design.kind={kind!r}: allowed: factorial, lhs (Latin hypercube)"
    )


def point_means(
    runs: pd.DataFrame, keys: list[str], outcomes: list[str], level: float
) -> pd.DataFrame:
    """Mean and t interval of each outcome per design point (one row per point)."""
    s = summarise_over_time(runs, by=keys, value_cols=outcomes, level=level, step_col=None)
    # dropna=False: an interval undefined everywhere (one replication, an outcome that is NaN
    # in every run) stays a column of NaN instead of vanishing from the table
    wide = s.pivot_table(
        index=keys, columns="variable", values=["mean", "lo", "hi", "n"], dropna=False
    )
    wide.columns = [f"{var}_{stat}" for stat, var in wide.columns]
    wide = wide.reset_index()
    order = [*keys] + [f"{o}_{k}" for o in outcomes for k in ("mean", "lo", "hi", "n")]
    # an outcome undefined in every run (e.g. clusters that never settled) stays, as NaN
    return wide.reindex(columns=order)


@register_kind
class Sweep(ExperimentKind):
    """A design over parameters (``experiment.design``), R replications per point."""

    name = "sweep"
    order = 20
    keys = ("design", "posterior")
    help = "full factorial or Latin-hypercube sweep over any parameters, R replications per point"
    description = (
        "Sweep parameters (experiment.design: kind factorial or lhs, params {dotted.name: "
        "[values]} or {dotted.name: [lo, hi]}) with R replications per point, in batches "
        "through a Hydra launcher; one tidy Parquet table per experiment; heatmaps / line plots "
        "of outcomes over the swept parameters."
    )
    examples = """
        govsim sweep                                    # configs/experiment/sweep.yaml
        govsim sweep experiment=lever_sweep population.n_residents=500
        govsim sweep 'experiment.design.params={strategy.smart: [0, 0.5, 1]}'
        govsim sweep hydra/launcher=submitit_slurm hydra.launcher.partition=cpu
    """

    def count_points(self, exp: Mapping[str, Any]) -> int | None:
        """Points of the factorial (product of the level counts) or the LHS samples."""
        d = exp.get("design") or {}
        if d.get("kind", "factorial") == "lhs":
            return int(d.get("samples") or 0)
        n = 1
        for spec in (d.get("params") or {}).values():
            n *= int(spec["num"]) if isinstance(spec, Mapping) else len(spec)
        return n

    def plan(self, e: Experiment) -> list[RunSpec]:
        """Every design point on every seed."""
        return design_runs(e, sweep_design(e), "design point")

    def analyse(self, e: Experiment, paths: ExperimentPaths, rows: pd.DataFrame) -> list[str]:
        """Mean outcomes per design point and figures over the swept parameters."""
        design = sweep_design(e)
        params = list(design.columns)
        varied = [p for p in params if design[p].nunique() > 1] or params
        runs = run_outcomes(rows, ["point", *params, "seed"])
        outs = [o for o in e.outcomes if o in runs.columns]
        points = point_means(runs, ["point", *params], outs, e.level)
        write_table(points, paths.tables / "points", parquet=True)
        write_table(runs, paths.tables / "runs", parquet=True)
        figs = []
        numeric = [p for p in varied if pd.api.types.is_numeric_dtype(points[p])]
        kind = (e.settings.get("design") or {}).get("kind", "factorial")
        title = f"{e.name}: mean over {len(e.seeds)} replications"
        if kind == "factorial" and len(varied) == 2 and len(numeric) == 2:
            figs.append(
                figure(
                    lambda: plot_heatmaps(points, varied[0], varied[1], outs, title=title),
                    paths.figures / "heatmaps.png",
                )
            )
            figs.append(
                figure(
                    lambda: plot_sweep_lines(points, varied[0], outs, hue=varied[1], title=title),
                    paths.figures / "lines.png",
                )
            )
        elif kind == "factorial" and len(varied) <= 2 and numeric:
            x = numeric[0]
            hue = next((p for p in varied if p != x), None)
            figs.append(
                figure(
                    lambda: plot_sweep_lines(points, x, outs, hue=hue, title=title),
                    paths.figures / "lines.png",
                )
            )
        else:
            for o in outs[:4]:
                figs.append(
                    figure(
                        lambda o=o: plot_scatter(
                            points, numeric or varied, o, title=f"{e.name}: {o}"
                        ),
                        paths.figures / f"scatter_{o}.png",
                    )
                )
        show = points[["point", *params] + [c for c in points.columns if c.endswith("_mean")]]
        return [
            "## Design",
            "",
            f"{kind} design over {', '.join(f'`{p}`' for p in params)}: {len(design)} points × "
            f"{len(e.seeds)} replications.",
            "",
            "## Mean outcomes per design point",
            "",
            f"With {e.level:.0%} t intervals in `tables/points.csv` (columns `<outcome>_lo/_hi`); "
            "one row per run in `tables/runs.csv`.",
            "",
            md_table(show, max_rows=60),
            "",
            "## Figures",
            "",
            *[f"![{f.stem}]({rel(f, paths.root)})\n" for f in figs if f is not None],
        ]

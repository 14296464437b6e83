"""``govsim replicate``: R seeds of one configuration, means and intervals over time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..design import validate_points
from ..execute import ExperimentPaths, RunSpec, make_runs
from ..report import consensus_lines, image, md_table, over_time, write_table
from ..spec import Experiment
from ..stats import mean_ci
from ..tables import outcome_names, run_outcomes
from .base import ExperimentKind, register_kind


@register_kind
class Replicate(ExperimentKind):
    """One configuration on R replicate seeds."""

    name = "replicate"
    order = 10
    keys = ("posterior",)
    help = "R seeds of one configuration: means and confidence intervals over time and at the end"
    description = (
        "Run one configuration on R replicate seeds (spawned from one root SeedSequence) and "
        "report the mean and t and bootstrap confidence intervals of every outcome over time and "
        "at the end, with a plot of CI bands."
    )
    examples = """
        govsim replicate scenario=fragmented experiment.replications=20
        govsim replicate scenario=credibility_crisis strategy=political hydra.launcher.n_jobs=2
    """

    def count_points(self, exp: Mapping[str, Any]) -> int | None:
        """One point."""
        return 1

    def plan(self, e: Experiment) -> list[RunSpec]:
        """The configuration on every seed."""
        params = validate_points(e.base, [{}], "configuration")
        return make_runs(
            e.base, [{}], params, e.seeds, e.steps, replicate_overrides=e.replicate_overrides
        )

    def analyse(self, e: Experiment, paths: ExperimentPaths, rows: pd.DataFrame) -> list[str]:
        """Outcomes at the end with t and bootstrap intervals; every metric over time."""
        _, fig = over_time(rows, e, paths)
        runs = run_outcomes(rows, ["seed"])
        recs = []
        for name in outcome_names([m for m in rows.columns if f"final_{m}" in runs.columns]):
            x = runs[name].to_numpy(dtype=float)
            m, lo, hi = mean_ci(x, e.level, "t")
            _, blo, bhi = mean_ci(x, e.level, "bootstrap", n_boot=9999, rng=e.root_seed)
            recs.append(
                {
                    "outcome": name,
                    "n": int(np.isfinite(x).sum()),
                    "mean": m,
                    "sd": float(np.nanstd(x, ddof=1)) if np.isfinite(x).sum() > 1 else float("nan"),
                    "t_lo": lo,
                    "t_hi": hi,
                    "boot_lo": blo,
                    "boot_hi": bhi,
                }
            )
        table = pd.DataFrame(recs)
        write_table(table, paths.tables / "outcomes")
        write_table(runs, paths.tables / "runs")
        shown = table[table["outcome"].isin(e.outcomes)]
        return [
            "## Outcomes at the end (mean over replications)",
            "",
            f"t interval (Student) and BCa bootstrap interval (scipy.stats.bootstrap, 9,999 "
            f"resamples), {e.level:.0%}. All outcomes: `tables/outcomes.csv`; per run: "
            "`tables/runs.csv`; every metric over time with both intervals: "
            "`tables/over_time.csv`.",
            "",
            md_table(shown),
            "",
            *consensus_lines(runs),
            "## Over time",
            "",
            image(fig, "over time", paths.root),
            "",
        ]

"""``govsim compare``: conditions on the same seeds, paired tests, effect sizes, Holm."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from sim.params import Params, diff

from ..design import ExperimentConfigError, validate_points
from ..execute import ExperimentPaths, RunSpec, make_runs
from ..figures import plot_forest
from ..report import consensus_lines, figure, fmt, image, md_table, over_time, write_table
from ..spec import SAFE_NAME, Experiment, list_setting
from ..stats import holm, paired_compare
from ..store import atomic_write_bytes
from ..tables import run_outcomes
from .base import ExperimentKind, register_kind

__all__ = ["Compare", "compare_table"]


def compare_table(
    runs: pd.DataFrame, conditions: Sequence[str], outcomes: Sequence[str], level: float = 0.95
) -> pd.DataFrame:
    """Paired comparisons of every condition with the first (the baseline), per outcome.

    Runs are paired by ``seed`` (common random numbers). Holm's correction is applied across
    the outcomes of each comparison, to the paired-t and the Wilcoxon p-values separately;
    ``significant`` means the Holm-adjusted paired-t p-value is at most 1 − level.
    """
    base = conditions[0]
    recs = []
    for cond in conditions[1:]:
        rows = []
        for out in outcomes:
            wide = runs.pivot_table(index="seed", columns="condition", values=out, dropna=False)
            a = wide[cond] if cond in wide else pd.Series(dtype=float)
            b = wide[base] if base in wide else pd.Series(dtype=float)
            a, b = a.align(b, join="inner")
            pc = paired_compare(a.to_numpy(dtype=float), b.to_numpy(dtype=float), level)
            rows.append({"comparison": f"{cond} − {base}", "outcome": out, **pc.to_dict()})
        df = pd.DataFrame(rows)
        df["p_ttest_holm"] = holm(df["p_ttest"].to_numpy(dtype=float))
        df["p_wilcoxon_holm"] = holm(df["p_wilcoxon"].to_numpy(dtype=float))
        df["significant"] = df["p_ttest_holm"] <= 1 - level
        recs.append(df)
    return pd.concat(recs, ignore_index=True) if recs else pd.DataFrame()


def _conditions(
    exp: Mapping[str, Any],
    base: Params,
    scenario: str,
    scenario_params: Callable[[str], Params] | None,
) -> list[tuple[str, dict[str, Any]]]:
    conds: list[tuple[str, dict[str, Any]]] = []
    for s in list_setting("scenarios", exp.get("scenarios")):
        if scenario_params is None:
            raise ExperimentConfigError("experiment.scenarios: scenarios need the govsim configs")
        conds.append((str(s), diff(base, scenario_params(str(s)))))
    raw = exp.get("conditions") or {}
    if not isinstance(raw, Mapping):
        raise ExperimentConfigError(
            f"experiment.conditions={raw!r}: expected a mapping label → {{dotted.name: value}}"
        )
    for label, ov in raw.items():
        if ov is None:
            ov = {}
        if not isinstance(ov, Mapping):
            raise ExperimentConfigError(
                f"experiment.conditions.{label}={ov!r}: expected a mapping of dotted parameter "
                "names to values ({} for the base itself)"
            )
        conds.append((str(label), {str(k): v for k, v in ov.items()}))
    labels = [c[0] for c in conds]
    if len(conds) < 2:
        raise ExperimentConfigError(
            f"experiment.conditions: a comparison needs two or more conditions, got {len(conds)} "
            f"({', '.join(labels) or 'none'}); set experiment.scenarios=[a,b] or "
            "experiment.conditions"
        )
    if len(set(labels)) != len(labels):
        raise ExperimentConfigError(f"experiment.conditions: duplicate labels in {labels}")
    for label in labels:
        if not SAFE_NAME.match(label):
            raise ExperimentConfigError(f"experiment.conditions: bad label {label!r}")
    baseline = exp.get("baseline") or labels[0]
    if baseline not in labels:
        raise ExperimentConfigError(
            f"experiment.baseline={baseline!r}: not a condition; conditions: {', '.join(labels)}"
        )
    conds.sort(key=lambda c: c[0] != baseline)
    return conds


@register_kind
class Compare(ExperimentKind):
    """Conditions (scenario presets or parameter sets) compared on common random numbers."""

    name = "compare"
    order = 30
    keys = ("conditions", "baseline", "posterior")
    tags = ("condition",)
    help = "two or more strategies/scenarios on the same seeds: paired tests, effect sizes, Holm"
    description = (
        "Compare conditions (experiment.scenarios=[a,b,…] or experiment.conditions: {label: "
        "{dotted.name: value}}) run on common random numbers: paired t and Wilcoxon signed-rank "
        "tests, mean differences and Cohen's d_z with confidence intervals, Holm correction "
        "across outcomes; a Markdown + CSV table and a forest plot."
    )
    examples = """
        govsim compare                                  # configs/experiment/compare.yaml
        govsim compare 'experiment.scenarios=[weak_baseline,political_only,integrated]'
        govsim compare experiment=levers_compare experiment.replications=30
    """

    def count_points(self, exp: Mapping[str, Any]) -> int | None:
        """One point per condition."""
        return len(exp.get("scenarios") or []) + len(exp.get("conditions") or {})

    def experiment(
        self,
        exp: Mapping[str, Any],
        base: Params,
        steps: int,
        *,
        scenario: str = "",
        scenario_params: Callable[[str], Params] | None = None,
        known_keys: Sequence[str] = (),
    ) -> Experiment:
        """The shared settings, then the conditions (baseline first)."""
        e = super().experiment(
            exp,
            base,
            steps,
            scenario=scenario,
            scenario_params=scenario_params,
            known_keys=known_keys,
        )
        e.conditions = _conditions(exp, base, scenario, scenario_params)
        return e

    def plan(self, e: Experiment) -> list[RunSpec]:
        """Every condition on every seed, tagged ``condition``."""
        points = [ov for _, ov in e.conditions]
        params = validate_points(e.base, points, "condition")
        tags = [{"condition": label} for label, _ in e.conditions]
        return make_runs(
            e.base,
            points,
            params,
            e.seeds,
            e.steps,
            tags,
            replicate_overrides=e.replicate_overrides,
        )

    def analyse(self, e: Experiment, paths: ExperimentPaths, rows: pd.DataFrame) -> list[str]:
        """The paired comparison of every condition with the baseline."""
        labels = [c for c, _ in e.conditions]
        _, fig_time = over_time(rows, e, paths, by=["condition"])
        runs = run_outcomes(rows, ["condition", "seed"])
        outs = [o for o in e.outcomes if o in runs.columns]
        table = compare_table(runs, labels, outs, e.level)
        write_table(table, paths.tables / "comparison")
        write_table(runs, paths.tables / "runs")
        pct = f"{e.level:.0%}"
        paper = pd.DataFrame(
            {
                "comparison": table["comparison"],
                "outcome": table["outcome"],
                "n pairs": table["n"],
                "baseline mean": table["mean_b"],
                "condition mean": table["mean_a"],
                f"difference [{pct} CI]": [
                    f"{fmt(d)} [{fmt(lo)}, {fmt(hi)}]"
                    for d, lo, hi in zip(
                        table["mean_diff"], table["diff_lo"], table["diff_hi"], strict=True
                    )
                ],
                f"d_z [{pct} CI]": [
                    f"{fmt(d, 2)} [{fmt(lo, 2)}, {fmt(hi, 2)}]"
                    for d, lo, hi in zip(
                        table["d_z"], table["d_z_lo"], table["d_z_hi"], strict=True
                    )
                ],
                "p (paired t, Holm)": table["p_ttest_holm"],
                "p (Wilcoxon, Holm)": table["p_wilcoxon_holm"],
                "significant": table["significant"],
            }
        )
        md = md_table(paper, digits=3)
        atomic_write_bytes((md + "\n").encode("utf-8"), paths.tables / "comparison.md")
        fig = figure(
            lambda: plot_forest(table, title=f"{e.name}: paired effects vs {labels[0]}"),
            paths.figures / "comparison.png",
        )
        return [
            "## Paired comparison with the baseline",
            "",
            f"Conditions: {', '.join(f'`{c}`' for c in labels)} (baseline `{labels[0]}`), each run "
            f"on the same {len(e.seeds)} seeds, so differences are paired by seed. Difference = "
            f"condition − baseline with its {pct} t interval; d_z = mean difference / sd of the "
            "differences with an exact noncentral-t interval; paired t-test and Wilcoxon "
            "signed-rank test, Holm-adjusted across the outcomes of each comparison. Table: "
            "`tables/comparison.csv` (all statistics), `tables/comparison.md` (this table).",
            "",
            md,
            "",
            image(fig, "paired effects", paths.root),
            "",
            *consensus_lines(runs, "condition"),
            "## Over time",
            "",
            image(fig_time, "over time", paths.root),
            "",
        ]

"""``govsim demo``: weak vs integrated leadership on the same seeds — a compare experiment.

The demo is an ordinary :class:`~experiments.kinds.compare.Compare` experiment
(``configs/experiment/demo.yaml``: the scenarios, the first the baseline, and the seeds shared
by all of them), run and stored like any other (``results/demo/``: ``parts/``, ``tables/``,
``figures/``, ``report.md``). What it adds is its output on the terminal: the paired table of a
few headline outcomes with their 95 % t intervals, and one headline sentence.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import ClassVar

import pandas as pd

from .base import Echo, register_kind
from .compare import Compare

__all__ = ["DEMO_OUTCOMES", "Demo", "headline", "table_lines"]

#: The outcomes the demo prints: outcome → (label, which direction is better).
DEMO_OUTCOMES: dict[str, tuple[str, str]] = {
    "mean_participation_rate": ("participation rate (mean of all weeks)", "higher"),
    "final_participation_rate": ("participation rate (last week)", "higher"),
    "final_agenda_distance": ("distance to the shared agenda (last week)", "lower"),
    "final_opinion_variance": ("opinion variance (last week)", "lower"),
    "final_polarization": ("polarization, Duclos–Esteban–Ray (last week)", "lower"),
    "final_mean_trust": ("mean trust in the leading organization (last week)", "higher"),
    "final_resolution_rate": ("needs resolution rate (so far)", "higher"),
    "mean_resolution_rate_week": ("needs resolved per need closed (mean of weeks)", "higher"),
    "final_participation_gap": ("largest gap, a group vs the rest (last week)", "lower"),
}


def _signed(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:+.3f}"


def _plain(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.3f}"


def table_lines(comparison: pd.DataFrame, level: float = 0.95) -> list[str]:
    """The paired table of the demo's outcomes, one block per compared condition.

    Args:
        comparison: The compare kind's ``tables/comparison.csv`` (columns ``comparison``,
            ``outcome``, ``mean_b`` (baseline), ``mean_a``, ``mean_diff``, ``diff_lo``,
            ``diff_hi``).
        level: Confidence level of the intervals.
    """
    lines = []
    ci = f"difference [{level:.0%} CI]"
    for label, part in comparison.groupby("comparison", sort=False):
        cond, base = (s.strip() for s in str(label).split(" − ", 1))
        lines.append(f"{'outcome':<52} {base:>14} {cond:>14} {ci:>28}")
        part = part.set_index("outcome")
        for outcome, (text, _) in DEMO_OUTCOMES.items():
            if outcome not in part.index:
                continue
            r = part.loc[outcome]
            interval = f"[{_signed(r.diff_lo)}, {_signed(r.diff_hi)}]"
            lines.append(
                f"{text:<52} {_plain(r.mean_b):>14} {_plain(r.mean_a):>14} "
                f"{_signed(r.mean_diff):>9} {interval:>18}"
            )
    return lines


def headline(comparison: pd.DataFrame) -> str:
    """One sentence: participation, distance to the agenda and trust, baseline → first condition."""
    label = str(comparison["comparison"].iloc[0])
    cond, base = (s.strip() for s in label.split(" − ", 1))
    part = comparison[comparison["comparison"] == label].set_index("outcome")

    def get(col: str) -> tuple[float, float, float]:
        r = part.loc[col]
        return float(r["mean_b"]), float(r["mean_a"]), float(r["mean_diff"])

    p0, p1, dp = get("mean_participation_rate")
    a0, a1, da = get("final_agenda_distance")
    t0, t1, dt = get("final_mean_trust")
    return (
        f"headline: {cond} vs {base} — participation {p0:.0%} → {p1:.0%} "
        f"({dp * 100:+.1f} points, mean of all weeks); distance to the shared agenda "
        f"{a0:.3f} → {a1:.3f} ({da:+.3f}; lower = more consensus); trust {t0:.2f} → {t1:.2f} "
        f"({dt:+.2f})."
    )


@register_kind
class Demo(Compare):
    """The demo comparison: a compare experiment that prints its paired table and headline."""

    name = "demo"
    order = 5
    help = "weak vs integrated leadership over a few seeds, with a paired comparison"
    description = (
        "Run the weak-leadership baseline and integrated leadership (all four levers at 0.5) in "
        "the default community (2,000 residents, 100 weeks) on the same five seeds, as a "
        "compare experiment (results/demo/: tables/comparison.csv, report.md, figures/), and "
        "print the paired differences of the headline outcomes with 95 % confidence intervals "
        "over the seeds, and a headline. Rerunning reuses the stored runs.\n\n"
        "The demo is the `experiment=demo` config (configs/experiment/demo.yaml); any override "
        "applies to every run, e.g. experiment.seeds=[0,1,2] or population.n_residents=500."
    )
    examples = """
        govsim demo
        govsim demo experiment.seeds=[0,1,2,3,4,5,6,7,8,9]
        govsim demo 'experiment.scenarios=[weak_baseline,political_only]' steps=150
        govsim demo network=small_world --results-dir /tmp/govsim
    """
    refused_overrides: ClassVar[dict[str, str]] = {
        "scenario": "the demo compares experiment.scenarios; set e.g. "
        "experiment.scenarios=[weak_baseline,political_only]",
        "seed": "the demo uses experiment.seeds; set e.g. experiment.seeds=[0,1,2]",
        "run_name": "the demo stores its runs in results/<experiment.name>/parts/",
        "experiment": "the demo is experiment=demo; change experiment.name to write elsewhere",
    }

    def report(self, root: Path | str, *, echo: Echo = print) -> Path:
        """The compare report, then the paired table and the headline on ``echo``."""
        path = super().report(root, echo=echo)
        table = Path(root) / "tables" / "comparison.csv"
        if echo is None or not table.is_file():
            return path
        comparison = pd.read_csv(table)
        level = float(comparison["level"].iloc[0]) if "level" in comparison else 0.95
        echo("")
        for line in table_lines(comparison, level):
            echo(line)
        echo("")
        echo(headline(comparison))
        return path

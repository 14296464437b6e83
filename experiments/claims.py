"""The source's claims as testable hypotheses: specification, power, and verdicts.

A hypothesis compares a *treatment* with a *control* (dotted-name overrides on top of a
community type, i.e. a scenario preset), on common random numbers (the same seeds for both
arms), for a few outcomes with an expected direction. For every community type and outcome
the paired difference is tested (paired t and Wilcoxon signed-rank); p-values are
Holm-corrected across all the outcomes and community types of the study (Holm 1979), and the
verdicts follow these rules (stated in the report):

* an outcome *agrees* in a community when its Holm-adjusted paired-t p < α and the mean
  difference has the expected sign, *contradicts* when p < α with the opposite sign, and is
  *not detected* otherwise;
* a hypothesis is **supported** when its primary outcome agrees in every community type,
  **contradicted** when it contradicts in every community type, **depends on conditions**
  when it agrees in some community types and not others (the report names them), and
  **not supported** otherwise.

This module is pure (no I/O): the runner in :mod:`experiments.study` evaluates and stores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .stats import holm

__all__ = [
    "Hypothesis",
    "StudySpec",
    "hypothesis_verdicts",
    "outcome_verdicts",
    "paired_power",
    "replications_for_power",
]

DIRECTIONS = ("increase", "decrease")


@dataclass(frozen=True)
class Hypothesis:
    """One claim of the source, as a paired comparison.

    Attributes:
        name: Short identifier (``H1_exemplars``).
        title: One-line statement of the hypothesis.
        claim: The source's sentence it tests (quoted as in ``docs/source.md``).
        section: Where in the source (``"§1 ideological"``).
        treatment: Overrides of the treatment arm.
        control: Overrides of the control arm.
        outcomes: ``{summary outcome: "increase" | "decrease"}``; the first is primary.
        communities: Community types (scenario names) to test in; empty = the study's.
    """

    name: str
    title: str
    claim: str
    section: str
    treatment: Mapping[str, Any]
    control: Mapping[str, Any]
    outcomes: Mapping[str, str]
    communities: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.outcomes:
            raise ValueError(f"hypothesis {self.name}: at least one outcome is required")
        for k, v in self.outcomes.items():
            if v not in DIRECTIONS:
                raise ValueError(
                    f"hypothesis {self.name}: outcome {k}={v!r}; allowed: increase, decrease"
                )

    @property
    def primary(self) -> str:
        """The primary outcome (first listed)."""
        return next(iter(self.outcomes))


@dataclass(frozen=True)
class StudySpec:
    """A study: hypotheses × community types × replications."""

    name: str
    hypotheses: tuple[Hypothesis, ...]
    communities: tuple[str, ...]
    replications: int
    steps: int
    root_seed: int
    alpha: float = 0.05
    target_power: float = 0.8
    base: Mapping[str, Any] = field(default_factory=dict)
    #: ``experiment.on_model_change``: refuse, recompute or reuse stored runs of another
    #: model version (experiments.dataset).
    on_model_change: str = "refuse"
    #: ``experiment.confirm_large``: run work beyond experiments.design's limits.
    confirm_large: bool = False

    def __post_init__(self) -> None:
        if self.replications < 2:
            raise ValueError(
                f"study {self.name}: replications={self.replications}; paired tests need ≥ 2"
            )
        if not self.hypotheses:
            raise ValueError(f"study {self.name}: no hypotheses")
        if not 0 < self.alpha < 1:
            raise ValueError(f"study {self.name}: alpha={self.alpha}; allowed 0 < alpha < 1")
        names = [h.name for h in self.hypotheses]
        if len(set(names)) != len(names):
            raise ValueError(f"study {self.name}: duplicate hypothesis names")

    def communities_of(self, h: Hypothesis) -> tuple[str, ...]:
        """The community types hypothesis ``h`` is tested in."""
        return h.communities or self.communities


def paired_power(n: int, d_z: float, alpha: float = 0.05) -> float:
    """Power of the two-sided paired t-test with ``n`` pairs for standardized effect ``d_z``.

    Uses the noncentral t distribution (Cohen 1988, ch. 2): power = P(|T| > t_crit) with
    T ~ t(n − 1, δ = d_z √n).
    """
    if n < 2:
        return float("nan")
    df = n - 1
    crit = stats.t.ppf(1 - alpha / 2, df)
    nc = d_z * np.sqrt(n)
    return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))


def replications_for_power(
    d_z: float, power: float = 0.8, alpha: float = 0.05, n_max: int = 10_000
) -> int:
    """Smallest number of pairs giving at least ``power`` for effect ``d_z``."""
    if d_z <= 0:
        raise ValueError(f"d_z={d_z}: must be > 0")
    n = 2
    while n <= n_max and paired_power(n, d_z, alpha) < power:
        n += 1
    return n


def outcome_verdicts(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Add Holm-adjusted p-values and a per-row verdict to a comparison table.

    Args:
        table: One row per (hypothesis, community, outcome) with columns ``direction``,
            ``mean_diff`` (treatment − control) and ``p_ttest``.
        alpha: Family-wise error rate across all rows.

    Returns:
        A copy with ``p_holm`` and ``verdict`` (agrees / contradicts / not detected).
    """
    out = table.copy()
    out["p_holm"] = holm(out["p_ttest"].to_numpy(dtype=float))
    sign = np.where(out["direction"] == "increase", 1.0, -1.0)
    signed = sign * out["mean_diff"].to_numpy(dtype=float)
    sig = out["p_holm"].to_numpy() < alpha
    out["verdict"] = np.select(
        [sig & (signed > 0), sig & (signed < 0)], ["agrees", "contradicts"], "not detected"
    )
    return out


def hypothesis_verdicts(rows: pd.DataFrame, hypotheses: Sequence[Hypothesis]) -> pd.DataFrame:
    """One verdict per hypothesis from its primary outcome's per-community verdicts."""
    records = []
    for h in hypotheses:
        sub = rows[(rows["hypothesis"] == h.name) & (rows["outcome"] == h.primary)]
        agree = sorted(sub.loc[sub["verdict"] == "agrees", "community"])
        contra = sorted(sub.loc[sub["verdict"] == "contradicts", "community"])
        n = len(sub)
        if n and len(agree) == n:
            verdict = "supported"
        elif n and len(contra) == n:
            verdict = "contradicted"
        elif agree:
            verdict = "depends on conditions"
        else:
            verdict = "not supported"
        records.append(
            {
                "hypothesis": h.name,
                "title": h.title,
                "primary_outcome": h.primary,
                "verdict": verdict,
                "agrees_in": ", ".join(agree),
                "contradicts_in": ", ".join(contra),
                "communities": n,
            }
        )
    return pd.DataFrame.from_records(records)

"""The source's claims as testable hypotheses: specification, power, and verdicts.

A hypothesis compares a *treatment* with a *control* (dotted-name overrides on top of a
community type, i.e. a scenario preset), on common random numbers (the same seeds for both
arms), for a few outcomes with an expected direction. It names the **mechanism** it isolates
and what the control **holds fixed**: the two arms differ in that mechanism only.

Two kinds:

* ``claim`` — evidence about the source's claim: the outcome is produced by the model's
  dynamics, not written into the rule that the treatment switches on;
* ``mechanism_check`` — the outcome is set by the very rule the treatment switches on (true by
  construction, e.g. "adopters report at once" makes the wait shorter). It verifies the code,
  not the claim, and is reported in its own table, never counted as support. A mechanism check
  must say why it is one (``by_construction``).

Statistics, per (hypothesis, community, outcome) (:func:`comparison_rows`):

* the paired difference (treatment − control): mean with its t interval, Cohen's d_z with its
  noncentral-t interval, paired t and Wilcoxon tests (:func:`experiments.stats.paired_compare`);
* a **smallest effect size of interest** (SESOI) per outcome, in the outcome's own unit
  (:attr:`StudySpec.sesoi`, keyed by metric), and the **TOST** equivalence test of the
  difference within ±SESOI (:func:`experiments.stats.tost_paired`);
* p-values Holm-corrected (Holm 1979) within a family — the claims' tests form one family,
  the mechanism checks another, the transient (first-weeks) outcomes a third; the TOST p-values
  are corrected the same way, as families of their own;
* the **power** of the paired t-test to detect a difference of one SESOI, given the observed sd
  of the differences, at the first Holm step α/m of its family (the level the smallest p must
  pass), and the pairs that would give the target power there.

Outcome verdicts (:func:`outcome_verdicts`):

* *agrees* — Holm p < α, the expected sign, and not equivalent (the difference may be
  smaller than SESOI, but the data do not show it is);
* *contradicts* — Holm p < α with the opposite sign, not equivalent;
* *negligible* — Holm p < α, but equivalent: a real difference smaller than SESOI;
* *no effect* — not significant, and equivalent (Holm TOST p < α): the difference lies within
  ±SESOI;
* *inconclusive* — neither: "not detected" without equivalence is not evidence of no effect.

Hypothesis verdicts (:func:`hypothesis_verdicts`) come from the primary (first) outcome:
**supported** when it agrees in every community type, **contradicted** when it contradicts in
every one, **no effect** when it is *no effect* or *negligible* in every one, **depends on
conditions** when it agrees in some and not in others (named), **not supported** when it
agrees nowhere and contradicts somewhere, **inconclusive** otherwise.

:func:`holds_by_context` is the entry point for scenario discovery (``govsim discover``): one
hypothesis, a table of paired differences per context, a ``holds``/``fails`` label per context.

This module is pure (no I/O): the runner in :mod:`experiments.study` evaluates and stores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .stats import holm, paired_compare, paired_t_power, pairs_for_power, tost_paired, tost_power

__all__ = [
    "DIRECTIONS",
    "HYPOTHESIS_KINDS",
    "OUTCOME_VERDICTS",
    "Hypothesis",
    "StudySpec",
    "comparison_rows",
    "holds_by_context",
    "hypothesis_verdicts",
    "metric_of",
    "outcome_verdicts",
    "paired_power",
    "replications_for_power",
]

DIRECTIONS = ("increase", "decrease")
HYPOTHESIS_KINDS = ("claim", "mechanism_check")
OUTCOME_VERDICTS = ("agrees", "contradicts", "negligible", "no effect", "inconclusive")
_PREFIXES = ("final_", "mean_", "steady_", "transient_")


def metric_of(outcome: str) -> str:
    """The metric an outcome summarises (``steady_participation_rate`` → ``participation_rate``)."""
    for pre in _PREFIXES:
        if outcome.startswith(pre):
            return outcome[len(pre) :]
    return outcome


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
        mechanism: The mechanism the comparison isolates.
        held_fixed: What the control holds fixed (so that only the mechanism differs).
        kind: ``"claim"`` (evidence) or ``"mechanism_check"`` (true by construction).
        by_construction: For a mechanism check: the rule that sets the outcome directly.
    """

    name: str
    title: str
    claim: str
    section: str
    treatment: Mapping[str, Any]
    control: Mapping[str, Any]
    outcomes: Mapping[str, str]
    communities: tuple[str, ...] = ()
    mechanism: str = ""
    held_fixed: str = ""
    kind: str = "claim"
    by_construction: str = ""

    def __post_init__(self) -> None:
        if not self.outcomes:
            raise ValueError(f"hypothesis {self.name}: at least one outcome is required")
        for k, v in self.outcomes.items():
            if v not in DIRECTIONS:
                raise ValueError(
                    f"hypothesis {self.name}: outcome {k}={v!r}; allowed: increase, decrease"
                )
        if self.kind not in HYPOTHESIS_KINDS:
            raise ValueError(
                f"hypothesis {self.name}: kind={self.kind!r}; allowed: "
                + ", ".join(HYPOTHESIS_KINDS)
            )
        if self.kind == "mechanism_check" and not self.by_construction.strip():
            raise ValueError(
                f"hypothesis {self.name}: a mechanism_check must say by_construction why its "
                "outcome is set by the rule it switches on"
            )

    @property
    def primary(self) -> str:
        """The primary outcome (first listed)."""
        return next(iter(self.outcomes))

    @property
    def family(self) -> str:
        """The Holm family its tests belong to: ``claims`` or ``mechanism checks``."""
        return "claims" if self.kind == "claim" else "mechanism checks"


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
    #: Smallest effect size of interest per metric, in the metric's unit (``experiment.sesoi``).
    sesoi: Mapping[str, float] = field(default_factory=dict)
    #: Weeks 1…W whose mean is each outcome's transient counterpart (``transient_<metric>``).
    transient_weeks: int = 52
    #: ``experiment.posterior``: a ``govsim calibrate`` folder; replicate ``r`` of both arms
    #: of every comparison then runs posterior draw ``r`` (None: the communities' point values).
    posterior: str | None = None

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
        if self.sesoi:
            for h in self.hypotheses:
                for o in h.outcomes:
                    s = self.sesoi.get(metric_of(o))
                    if s is None or not s > 0:
                        raise ValueError(
                            f"study {self.name}: sesoi.{metric_of(o)} (outcome {o} of {h.name}) "
                            "is missing; give a smallest effect size of interest > 0 per metric"
                        )
        if self.transient_weeks < 1:
            raise ValueError(
                f"study {self.name}: transient_weeks={self.transient_weeks}; allowed ≥ 1"
            )

    def communities_of(self, h: Hypothesis) -> tuple[str, ...]:
        """The community types hypothesis ``h`` is tested in."""
        return h.communities or self.communities

    def family_size(self, family: str = "claims") -> int:
        """Number of tests m in a Holm family: outcomes × communities of its hypotheses
        (``"transient"``: the ``steady_*`` outcomes of every hypothesis, whose first-weeks
        counterparts form that family)."""
        if family == "transient":
            return sum(
                sum(o.startswith("steady_") for o in h.outcomes) * len(self.communities_of(h))
                for h in self.hypotheses
            )
        return sum(
            len(h.outcomes) * len(self.communities_of(h))
            for h in self.hypotheses
            if h.family == family
        )

    def first_step_alpha(self, family: str = "claims") -> float:
        """The first Holm step α/m of a family: the level the smallest p-value must pass."""
        return self.alpha / max(1, self.family_size(family))


def paired_power(n: int, d_z: float, alpha: float = 0.05) -> float:
    """Power of the two-sided paired t-test (:func:`experiments.stats.paired_t_power`)."""
    return paired_t_power(n, d_z, alpha)


def replications_for_power(
    d_z: float, power: float = 0.8, alpha: float = 0.05, n_max: int = 100_000
) -> int:
    """Smallest number of pairs giving at least ``power`` for effect ``d_z`` at ``alpha``
    (pass the Holm level actually used, e.g. :meth:`StudySpec.first_step_alpha`)."""
    return pairs_for_power(d_z, power, alpha, n_max=n_max)


def comparison_rows(
    h: Hypothesis,
    pairs: pd.DataFrame,
    sesoi: Mapping[str, float] | None = None,
    *,
    by: str = "community",
    alpha_power: float | None = None,
    target_power: float = 0.8,
) -> pd.DataFrame:
    """Paired statistics of one hypothesis, one row per (context, outcome).

    Args:
        h: The hypothesis.
        pairs: Long table, one row per replicate pair: columns ``by`` (the context, e.g. a
            community type or a discover sample), ``outcome``, ``treatment`` and ``control``
            (or ``diff`` = treatment − control). Outcomes of ``h`` missing from it are skipped.
        sesoi: Smallest effect size of interest per metric (:func:`metric_of` of the outcome);
            without it the TOST and power columns are NaN.
        by: The context column.
        alpha_power: Level at which the power columns are computed (e.g. the first Holm step);
            ``None`` = no power columns.
        target_power: Power the ``pairs_for_power`` column aims at.

    Returns:
        Columns ``hypothesis, <by>, outcome, direction, primary, family``, the fields of
        :class:`experiments.stats.PairedComparison`, ``sesoi, p_tost`` and, with
        ``alpha_power``, ``power_sesoi`` (power to detect ±SESOI given the observed sd),
        ``power_equivalence`` (TOST power at a true difference of 0) and ``pairs_for_power``.
    """
    sesoi = dict(sesoi or {})
    recs = []
    if "diff" not in pairs.columns:
        pairs = pairs.assign(diff=pairs["treatment"] - pairs["control"])
    for ctx, part in pairs.groupby(by, sort=False):
        for outcome, direction in h.outcomes.items():
            sub = part[part["outcome"] == outcome]
            if sub.empty:
                continue
            a = sub["treatment"].to_numpy(float) if "treatment" in sub else sub["diff"].to_numpy()
            b = sub["control"].to_numpy(float) if "control" in sub else np.zeros(len(sub))
            pc = paired_compare(a, b)
            s = sesoi.get(metric_of(outcome), np.nan)
            rec: dict[str, Any] = {
                "hypothesis": h.name,
                by: ctx,
                "outcome": outcome,
                "direction": direction,
                "primary": outcome == h.primary,
                "family": h.family,
                **pc.to_dict(),
                "sesoi": float(s),
            }
            d = a - b
            rec["p_tost"] = tost_paired(d, -s, s).p if np.isfinite(s) and s > 0 else np.nan
            if alpha_power is not None:
                sd = pc.sd_diff
                ok = np.isfinite(s) and pc.n >= 2 and np.isfinite(sd)
                dz = s / sd if ok and sd > 0 else (np.inf if ok else np.nan)
                if np.isfinite(dz):
                    rec["power_sesoi"] = paired_t_power(pc.n, dz, alpha_power)
                    rec["power_equivalence"] = tost_power(pc.n, dz, alpha_power)
                    rec["pairs_for_power"] = pairs_for_power(dz, target_power, alpha_power)
                elif dz == np.inf:  # no spread: any difference is detected
                    rec["power_sesoi"], rec["power_equivalence"] = 1.0, 1.0
                    rec["pairs_for_power"] = 2
                else:
                    rec["power_sesoi"] = rec["power_equivalence"] = np.nan
                    rec["pairs_for_power"] = np.nan
            recs.append(rec)
    return pd.DataFrame.from_records(recs)


def outcome_verdicts(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Add Holm-adjusted p-values and a per-row verdict to a comparison table.

    Args:
        table: One row per (hypothesis, community, outcome) with columns ``direction``,
            ``mean_diff`` (treatment − control) and ``p_ttest``; optionally ``p_tost`` (the
            equivalence test; without it nothing is declared equivalent) and ``family`` (Holm
            families; without it all rows are one family).
        alpha: Family-wise error rate within each family.

    Returns:
        A copy with ``p_holm``, ``p_tost_holm``, ``equivalent`` and ``verdict`` (one of
        :data:`OUTCOME_VERDICTS`).
    """
    out = table.copy()
    fam = out["family"] if "family" in out else pd.Series("all", index=out.index)
    out["p_holm"] = np.nan
    out["p_tost_holm"] = np.nan
    tost = out["p_tost"] if "p_tost" in out else pd.Series(np.nan, index=out.index)
    for f in fam.unique():
        idx = fam == f
        out.loc[idx, "p_holm"] = holm(out.loc[idx, "p_ttest"].to_numpy(dtype=float))
        out.loc[idx, "p_tost_holm"] = holm(tost[idx].to_numpy(dtype=float))
    sign = np.where(out["direction"] == "increase", 1.0, -1.0)
    signed = sign * out["mean_diff"].to_numpy(dtype=float)
    sig = out["p_holm"].to_numpy(dtype=float) < alpha
    equiv = out["p_tost_holm"].to_numpy(dtype=float) < alpha
    out["equivalent"] = equiv
    out["verdict"] = np.select(
        [
            sig & equiv,
            sig & (signed > 0),
            sig & (signed < 0),
            equiv,
        ],
        ["negligible", "agrees", "contradicts", "no effect"],
        "inconclusive",
    )
    return out


def hypothesis_verdicts(rows: pd.DataFrame, hypotheses: Sequence[Hypothesis]) -> pd.DataFrame:
    """One verdict per hypothesis from its primary outcome's per-community verdicts."""
    records = []
    for h in hypotheses:
        sub = rows[(rows["hypothesis"] == h.name) & (rows["outcome"] == h.primary)]
        v = sub["verdict"]
        agree = sorted(sub.loc[v == "agrees", "community"])
        contra = sorted(sub.loc[v == "contradicts", "community"])
        null = sorted(sub.loc[v.isin(["no effect", "negligible"]), "community"])
        unclear = sorted(sub.loc[v == "inconclusive", "community"])
        n = len(sub)
        if n and len(agree) == n:
            verdict = "supported"
        elif n and len(contra) == n:
            verdict = "contradicted"
        elif n and len(null) == n:
            verdict = "no effect"
        elif agree:
            verdict = "depends on conditions"
        elif contra:
            verdict = "not supported"
        else:
            verdict = "inconclusive"
        records.append(
            {
                "hypothesis": h.name,
                "kind": h.kind,
                "title": h.title,
                "primary_outcome": h.primary,
                "verdict": verdict,
                "agrees_in": ", ".join(agree),
                "contradicts_in": ", ".join(contra),
                "no_effect_in": ", ".join(null),
                "inconclusive_in": ", ".join(unclear),
                "communities": n,
            }
        )
    return pd.DataFrame.from_records(records)


def holds_by_context(
    h: Hypothesis,
    pairs: pd.DataFrame,
    *,
    alpha: float = 0.05,
    sesoi: Mapping[str, float] | None = None,
    by: str = "community",
    correction: str = "holm",
) -> pd.DataFrame:
    """Whether hypothesis ``h`` holds in each context (for scenario discovery).

    Args:
        h: The hypothesis (its primary outcome decides).
        pairs: One row per replicate pair and outcome: ``by``, ``outcome``, ``treatment``,
            ``control`` (or ``diff``); see :func:`comparison_rows`.
        alpha: Error rate of each decision (over the contexts when ``correction="holm"``).
        sesoi: Smallest effect size of interest per metric (enables "no effect").
        by: The context column (a community type, a discover sample id …).
        correction: ``"holm"`` across the contexts' primary tests, or ``"none"``.

    Returns:
        One row per context: ``by``, the primary outcome's ``n, mean_diff, diff_lo, diff_hi,
        d_z, p_ttest, p_holm, p_tost, verdict`` and ``holds`` — ``"holds"`` when the verdict is
        *agrees*, ``"fails"`` otherwise (contradicts, negligible, no effect, inconclusive; the
        ``verdict`` column tells them apart).
    """
    if correction not in ("holm", "none"):
        raise ValueError(f"correction={correction!r}: allowed: holm, none")
    prim = Hypothesis(
        h.name,
        h.title,
        h.claim,
        h.section,
        h.treatment,
        h.control,
        {h.primary: h.outcomes[h.primary]},
        kind="claim",
    )
    rows = comparison_rows(prim, pairs, sesoi, by=by)
    if rows.empty:
        return pd.DataFrame(columns=[by, "verdict", "holds"])
    if correction == "none":
        rows = rows.assign(family=np.arange(len(rows)).astype(str))
    rows = outcome_verdicts(rows, alpha)
    rows["holds"] = np.where(rows["verdict"] == "agrees", "holds", "fails")
    keep = [by, "n", "mean_diff", "diff_lo", "diff_hi", "d_z", "p_ttest", "p_holm", "p_tost"]
    return rows[[*keep, "verdict", "holds"]].reset_index(drop=True)

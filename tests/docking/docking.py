"""Docking the array engine against the reference engine (Axtell, Axelrod, Epstein & Cohen 1996,
"Aligning simulation models: a case study and results", *Comput. Math. Organ. Theory* 1:123).

Both engines run the same presets over many seeds; for every outcome the two samples (one value
per seed) are compared with a two-sample Kolmogorov–Smirnov test, and the family of all
outcomes × presets of a study is controlled with Holm's step-down procedure at family-wise
level ``ALPHA`` (Holm 1979). The engines "dock" — are distributionally equivalent at that
level — when Holm rejects nothing. ``relational equivalence`` in Axtell et al.'s terms is the
weaker claim; we test *distributional* equivalence of every listed outcome.

Seeds are fixed, so a study is deterministic: it passes or fails the same way on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from sim import make_model, preset
from sim.params import build_params
from sim.run import model_tables

#: Family-wise error rate of a docking study (Holm over all outcomes × presets).
ALPHA = 0.01

_LEVERS = {
    "strategy.ideological": 0.8,
    "strategy.political": 0.8,
    "strategy.organizational": 0.8,
    "strategy.smart": 0.8,
}

#: Docking presets: the baseline, each lever alone, all levers, and the two literature cases.
PRESETS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "ideological": {"strategy.name": "ideological", "strategy.ideological": 0.8},
    "political": {"strategy.name": "political", "strategy.political": 0.8},
    "organizational": {"strategy.name": "organizational", "strategy.organizational": 0.8},
    "smart": {"strategy.name": "smart", "strategy.smart": 0.8},
    "integrated": {"strategy.name": "integrated", **_LEVERS},
    "deffuant": {"_preset": "deffuant"},
    "turnover_logit": {
        "population.groups.long_term.turnover": 0.01,
        "population.groups.newcomers.turnover": 0.03,
        "population.groups.renters.turnover": 0.05,
        "participation.temperature": 0.3,
        "participation.party_bonus": 0.5,
        "opinions.noise": 0.01,
        "conflicts.rate": 0.02,
        "trust.attribution_others": 0.5,
        "participation.coproduction": 0.05,
        "strategy.name": "ideological",
        "strategy.ideological": 0.5,
    },
    "threshold": {
        "_preset": "threshold",
        "participation.initial_share": 0.05,
        "population.groups.all.threshold_sd": 0.1,
    },
}

#: The rival opinion rules, node-then-neighbour pairing and conflict feuds, each with every
#: lever on (exemplars, activities, the platform and its echo chamber all act under the rule).
RULE_PRESETS: dict[str, dict[str, Any]] = {
    "repulsive_echo": {
        "opinions.rule": "repulsive",
        "opinions.rejection": 0.4,
        "strategy.name": "integrated",
        "levers.smart.echo_chamber": 0.8,
        "levers.smart.online_share": 0.6,
        **_LEVERS,
    },
    "biased_assimilation": {
        "opinions.rule": "biased_assimilation",
        "strategy.name": "integrated",
        "levers.smart.echo_chamber": 0.8,
        **_LEVERS,
    },
    "relative_agreement": {
        "opinions.rule": "relative_agreement",
        "strategy.name": "integrated",
        **_LEVERS,
    },
    "hegselmann_krause": {
        "opinions.rule": "hegselmann_krause",
        "strategy.name": "integrated",
        "levers.smart.echo_chamber": 0.8,
        "opinions.counter_share": 0.05,
        **_LEVERS,
    },
    "node_pairing": {"opinions.pairing": "node", "strategy.name": "integrated", **_LEVERS},
    "feuds": {"conflicts.feud_weeks": 8, "conflicts.rate": 0.02},
}

#: The fast study of the rules: every new rule and setting at least once, in four presets.
FAST_RULE_PRESETS: dict[str, dict[str, Any]] = {
    "repulsive_node_feuds": {
        **RULE_PRESETS["repulsive_echo"],
        "opinions.pairing": "node",
        "conflicts.feud_weeks": 8,
        "conflicts.rate": 0.02,
    },
    "biased_assimilation": RULE_PRESETS["biased_assimilation"],
    "relative_agreement": RULE_PRESETS["relative_agreement"],
    "hegselmann_krause": RULE_PRESETS["hegselmann_krause"],
}

#: More presets for the slow study: other networks, counter-currents, echo chambers, campaigns.
SLOW_PRESETS: dict[str, dict[str, Any]] = {
    **PRESETS,
    **RULE_PRESETS,
    "small_world_counter": {
        "network.kind": "small_world",
        "opinions.counter_share": 0.05,
        "opinions.noise": 0.01,
        "strategy.name": "integrated",
        **_LEVERS,
    },
    "scale_free_echo": {
        "network.kind": "scale_free",
        "strategy.name": "smart",
        "levers.smart.echo_chamber": 0.8,
        "levers.smart.online_share": 0.6,
        "strategy.smart": 0.8,
    },
    "adaptive_sticky_backfire": {
        "strategy.name": "adaptive",
        "participation.sticky": True,
        "levers.ideological.backfire_below": 0.45,
    },
    "campaign_conflicts": {
        "strategy.name": "campaign",
        "strategy.start_step": 15,
        "conflicts.rate": 0.02,
        **_LEVERS,
    },
}

#: Metrics compared at the final week.
FINAL = (
    "participation_rate",
    "participation_gap",
    "never_participated",
    "opinion_mean",
    "opinion_variance",
    "opinion_clusters",
    "largest_cluster",
    "polarization",
    "agenda_distance",
    "mean_trust",
    "resolution_rate",
    "backlog",
    "conflicts_unresolved",
    "mediation_rate",
    "platform_adoption",
)

#: Metrics compared as their mean over all weeks after week 0.
AVERAGED = (
    "participation_rate",
    "opinion_variance",
    "opinion_clusters",
    "polarization",
    "mean_trust",
    "needs_resolved",
    "needs_expired",
    "mean_wait",
    "backlog",
    "platform_adoption",
    "decision_agreement",
)


def params_for(name: str, n: int, kind: str, table: dict[str, dict[str, Any]] = SLOW_PRESETS):
    """Validated parameters of docking preset ``name`` for engine ``kind``."""
    ov = dict(table[name])
    base = ov.pop("_preset", None)
    ov = {"population.n_residents": n, "engine.kind": kind, **ov}
    return preset(base, **ov) if base else build_params(None, ov)


def outcomes(params, seed: int, steps: int) -> dict[str, float]:
    """The compared outcomes of one run."""
    model = make_model(params, rng=seed).run(steps)
    df, _ = model_tables(model)
    out: dict[str, float] = {}
    last = df.iloc[-1]
    later = df[df["step"] > 0]
    for name in FINAL:
        out[f"final_{name}"] = float(last[name])
    for name in AVERAGED:
        col = later[name].to_numpy(dtype=float)
        out[f"mean_{name}"] = float(np.nanmean(col)) if np.isfinite(col).any() else np.nan
    return out


def sample(name: str, kind: str, seeds: range, n: int, steps: int, table=SLOW_PRESETS):
    """Outcomes over ``seeds`` (one array per outcome)."""
    params = params_for(name, n, kind, table)
    rows = [outcomes(params, s, steps) for s in seeds]
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


@dataclass
class Comparison:
    """One outcome of one preset: the KS test of array vs reference."""

    preset: str
    outcome: str
    p_value: float
    statistic: float
    mean_array: float
    mean_reference: float
    tested: bool  # False when both samples are constant and equal (nothing to test)
    holm_threshold: float = float("nan")
    rejected: bool = False


def compare(name: str, a: dict[str, np.ndarray], r: dict[str, np.ndarray]) -> list[Comparison]:
    """KS test per outcome (NaN values, e.g. no need closed yet, are dropped per sample)."""
    out = []
    for k in a:
        x, y = a[k][np.isfinite(a[k])], r[k][np.isfinite(r[k])]
        if x.size < 3 or y.size < 3:
            continue
        mx, my = float(np.mean(x)), float(np.mean(y))
        if np.ptp(x) == 0 and np.ptp(y) == 0 and x[0] == y[0]:
            out.append(Comparison(name, k, 1.0, 0.0, mx, my, tested=False))
            continue
        res = stats.ks_2samp(x, y, method="auto")
        out.append(Comparison(name, k, float(res.pvalue), float(res.statistic), mx, my, True))
    return out


def holm(comparisons: list[Comparison], alpha: float = ALPHA) -> list[Comparison]:
    """Holm's step-down procedure over the tested comparisons (family-wise level ``alpha``)."""
    tested = sorted((c for c in comparisons if c.tested), key=lambda c: c.p_value)
    m = len(tested)
    stop = False
    for i, c in enumerate(tested):
        c.holm_threshold = alpha / (m - i)
        if not stop and c.p_value <= c.holm_threshold:
            c.rejected = True
        else:
            stop = True
            c.rejected = False
    return comparisons


def study(
    names: list[str], seeds: int, n: int, steps: int, table=SLOW_PRESETS, perturb=None
) -> list[Comparison]:
    """A docking study: every preset, both engines, KS per outcome, Holm over the family.

    ``perturb`` (a dict of overrides) is applied to the reference engine only — used to check
    that the study has the power to see a real difference.
    """
    comps: list[Comparison] = []
    for name in names:
        a = sample(name, "array", range(seeds), n, steps, table)
        rtable = table
        if perturb:
            rtable = {name: {**table[name], **perturb}}
        r = sample(name, "reference", range(10_000, 10_000 + seeds), n, steps, rtable)
        comps += compare(name, a, r)
    return holm(comps)


def report(comps: list[Comparison]) -> str:
    """A readable table of the smallest p-values and any rejection."""
    tested = sorted((c for c in comps if c.tested), key=lambda c: c.p_value)
    lines = [f"{len(tested)} tests, Holm family-wise level {ALPHA}; smallest p-values:"]
    for c in tested[:8]:
        flag = "REJECTED" if c.rejected else "ok"
        lines.append(
            f"  {c.preset:>26s} {c.outcome:<32s} p={c.p_value:.4f} "
            f"(Holm {c.holm_threshold:.2e}) mean array {c.mean_array:.4g} "
            f"ref {c.mean_reference:.4g}  {flag}"
        )
    return "\n".join(lines)

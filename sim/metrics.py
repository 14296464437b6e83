"""Outcome metrics: pure named functions, registered once.

Every metric is a pure function of the model's state (it reads, never writes). The registry
feeds the Mesa ``DataCollector`` (:func:`datacollector_reporters`), the UI's charts and the
result tables. Model metrics return a float; group metrics return one value per resident group.
Run-level summaries (time to consensus, time averages) are pure functions of the per-step
table (:func:`summarise`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .model import GovernanceModel

__all__ = [
    "GROUP_METRICS",
    "MODEL_METRICS",
    "Metric",
    "bimodality",
    "cluster_sizes",
    "esteban_ray",
    "evaluate",
    "n_clusters",
    "summarise",
]


@dataclass(frozen=True)
class Metric:
    """A registered outcome."""

    name: str
    fn: Callable[[Any], Any]
    doc: str
    family: str  # participation, consensus, trust, needs, conflicts, platform, strategy
    per_group: bool = False


MODEL_METRICS: dict[str, Metric] = {}
GROUP_METRICS: dict[str, Metric] = {}


def metric(name: str, family: str, *, per_group: bool = False) -> Callable:
    """Register a metric under ``name`` (its docstring's first line is its description)."""

    def deco(fn: Callable) -> Callable:
        doc = (fn.__doc__ or "").strip().splitlines()[0]
        reg = GROUP_METRICS if per_group else MODEL_METRICS
        if name in reg:  # pragma: no cover - programming error
            raise ValueError(f"metric {name!r} registered twice")
        reg[name] = Metric(name, fn, doc, family, per_group)
        return fn

    return deco


# -- pure statistics on opinion vectors ----------------------------------------------------


def n_clusters(x: np.ndarray, gap: float, min_share: float = 0.01) -> int:
    """Number of opinion clusters: runs of sorted opinions separated by more than ``gap``.

    Clusters smaller than ``min_share`` of the population are not counted (isolated
    stragglers), following common practice for bounded-confidence models
    (Lorenz 2007, *Int. J. Mod. Phys. C* 18:1819).
    """
    if x.size == 0:
        return 0
    sizes = cluster_sizes(x, gap)
    return int(np.sum(sizes >= max(1, min_share * x.size)))


def cluster_sizes(x: np.ndarray, gap: float) -> np.ndarray:
    """Sizes of the runs of sorted ``x`` separated by gaps larger than ``gap``, in order.

    Equal to splitting ``np.sort(x)`` wherever ``np.diff > gap``, but without sorting: values
    are put in buckets of width gap/2 (a monotone map, so buckets follow the sorted order and
    no gap inside a bucket can exceed ``gap``); a run can only end between two consecutive
    non-empty buckets, where the gap is the next bucket's minimum minus this one's maximum —
    the same two numbers ``np.diff`` would subtract. O(N) instead of O(N log N).
    """
    n = x.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lo = float(x.min())
    scale = 2.0 / gap
    span = (float(x.max()) - lo) * scale
    if n <= 16384 or not np.isfinite(span) or span > 4 * n:
        s = np.sort(x)  # small, too many buckets to pay off, or non-finite values
        breaks = np.flatnonzero(np.diff(s) > gap)
        return np.diff(np.concatenate([[0], breaks + 1, [n]]))
    bucket = ((x - lo) * scale).astype(np.intp)
    nb = int(bucket.max()) + 1
    count = np.bincount(bucket, minlength=nb)
    bmin = np.full(nb, np.inf)
    bmax = np.full(nb, -np.inf)
    np.minimum.at(bmin, bucket, x)
    np.maximum.at(bmax, bucket, x)
    full = np.flatnonzero(count)
    cut = np.flatnonzero(bmin[full[1:]] - bmax[full[:-1]] > gap)
    csum = np.concatenate([[0], np.cumsum(count[full])])
    edges = np.concatenate([[0], cut + 1, [full.size]])
    return np.diff(csum[edges])


def esteban_ray(x: np.ndarray, alpha: float = 1.6, bins: int = 10) -> float:
    """Esteban–Ray polarization (Esteban & Ray 1994, *Econometrica* 62:819).

    P = Σ_i Σ_j π_i^(1+α) π_j |y_i − y_j| over a histogram of ``bins`` equal bins on [0, 1]
    (y = bin centres, π = shares), normalised by its maximum (two equal masses at 0 and 1),
    so P ∈ [0, 1].
    """
    if x.size == 0:
        return 0.0
    counts, edges = np.histogram(x, bins=bins, range=(0.0, 1.0))
    pi = counts / x.size
    y = (edges[:-1] + edges[1:]) / 2
    dist = np.abs(y[:, None] - y[None, :])
    p = float(np.sum(pi[:, None] ** (1 + alpha) * pi[None, :] * dist))
    d = y[-1] - y[0]
    pmax = 2 * 0.5 ** (2 + alpha) * d
    return p / pmax


def bimodality(x: np.ndarray) -> float:
    """Sarle's bimodality coefficient b = (g² + 1) / (κ + 3(n−1)²/((n−2)(n−3))).

    Values above 5/9 ≈ 0.555 suggest a bimodal distribution (SAS Institute 1990; Pfister et al.
    2013, *Front. Psychol.* 4:700). Returns 0 for fewer than 4 values or no spread.
    """
    n = x.size
    if n < 4:
        return 0.0
    d = x - x.mean()
    d2 = d * d
    m2 = float(np.mean(d2))
    if m2 <= 1e-18:
        return 0.0
    # d·d² and d²·d² rather than d**3, d**4 (pow is ~50× slower at 10⁶ residents; the
    # coefficient can differ from the pow form in the last bits only).
    g = float(np.mean(d2 * d)) / m2**1.5
    k = float(np.mean(d2 * d2)) / m2**2 - 3.0
    return (g * g + 1.0) / (k + 3.0 * (n - 1) ** 2 / ((n - 2) * (n - 3)))


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


#: Per-model cache of the (immutable) group index as intp and the group sizes: bincount
#: would otherwise convert the int16 group array on every call (≈ 2 ms each at 10⁶).
_GROUP_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _group_index(m: GovernanceModel) -> tuple[np.ndarray, np.ndarray]:
    res = m.residents
    hit = _GROUP_INDEX.get(res)
    if hit is None or hit[0].size != res.group.size:
        g = res.group.astype(np.intp)
        hit = (g, np.bincount(g, minlength=len(m.group_names)))
        _GROUP_INDEX[res] = hit
    return hit


def _group_mean(m: GovernanceModel, x: np.ndarray) -> np.ndarray:
    g, cnt = _group_index(m)
    ng = len(m.group_names)
    s = np.bincount(g, weights=x, minlength=ng)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)


# -- participation ---------------------------------------------------------------------------


@metric("participation_rate", "participation")
def participation_rate(m: GovernanceModel) -> float:
    """Share of residents taking part this week."""
    return float(m.residents.participating.mean())


@metric("participation_gap", "participation")
def participation_gap(m: GovernanceModel) -> float:
    """Highest minus lowest group participation rate."""
    r = _group_mean(m, m.residents.participating.astype(float))
    r = r[np.isfinite(r)]
    return float(r.max() - r.min()) if r.size else 0.0


@metric("never_participated", "participation")
def never_participated(m: GovernanceModel) -> float:
    """Share of residents who have never taken part so far."""
    return float(1.0 - m.residents.ever_participated.mean())


# -- consensus -------------------------------------------------------------------------------


@metric("opinion_mean", "consensus")
def opinion_mean(m: GovernanceModel) -> float:
    """Mean opinion (1 = fully shares the agenda when the agenda is 1)."""
    return float(m.residents.opinion.mean())


@metric("opinion_variance", "consensus")
def opinion_variance(m: GovernanceModel) -> float:
    """Variance of opinions (0 = complete consensus)."""
    return float(m.residents.opinion.var())


@metric("opinion_clusters", "consensus")
def opinion_clusters(m: GovernanceModel) -> float:
    """Number of opinion clusters (gap ``opinions.cluster_gap``, clusters ≥ 1 % of residents)."""
    return float(n_clusters(m.residents.opinion, m.p.opinions.cluster_gap))


@metric("largest_cluster", "consensus")
def largest_cluster(m: GovernanceModel) -> float:
    """Share of residents in the largest opinion cluster."""
    x = m.residents.opinion
    sizes = cluster_sizes(x, m.p.opinions.cluster_gap)
    return float(sizes.max() / x.size)


@metric("polarization", "consensus")
def polarization(m: GovernanceModel) -> float:
    """Esteban–Ray polarization of opinions (α = 1.6, 10 bins), normalised to [0, 1]."""
    return esteban_ray(m.residents.opinion)


@metric("bimodality", "consensus")
def bimodality_coefficient(m: GovernanceModel) -> float:
    """Sarle's bimodality coefficient of opinions (> 0.555 suggests two camps)."""
    return bimodality(m.residents.opinion)


@metric("agenda_distance", "consensus")
def agenda_distance(m: GovernanceModel) -> float:
    """Mean distance of opinions from the shared agenda."""
    return float(np.abs(m.residents.opinion - m.p.opinions.agenda).mean())


@metric("decision_agreement", "consensus")
def decision_agreement(m: GovernanceModel) -> float:
    """Share of participants in favour at the latest consultation (NaN before the first)."""
    return float(m.last_decision[1]) if m.last_decision else float("nan")


# -- trust -----------------------------------------------------------------------------------


@metric("mean_trust", "trust")
def mean_trust(m: GovernanceModel) -> float:
    """Mean trust in the leading organization."""
    return float(m.residents.trust.mean())


@metric("leader_credibility", "trust")
def leader_credibility(m: GovernanceModel) -> float:
    """Service record of the leading organization: resolved / (resolved + lost)."""
    return float(m.orgs[0].credibility)


# -- needs -----------------------------------------------------------------------------------


@metric("needs_created", "needs")
def needs_created(m: GovernanceModel) -> float:
    """Needs raised this week."""
    return float(m.events.get("needs_created", 0))


@metric("needs_resolved", "needs")
def needs_resolved(m: GovernanceModel) -> float:
    """Needs resolved this week."""
    return float(m.events.get("needs_resolved", 0))


@metric("needs_expired", "needs")
def needs_expired(m: GovernanceModel) -> float:
    """Needs that aged out unresolved this week."""
    return float(m.events.get("needs_expired", 0))


@metric("needs_dropped_wrong_org", "needs")
def needs_dropped_wrong_org(m: GovernanceModel) -> float:
    """Needs that aged out this week held by an organization unable to handle them."""
    return float(m.events.get("needs_dropped_wrong_org", 0))


@metric("resolution_rate", "needs")
def resolution_rate(m: GovernanceModel) -> float:
    """Resolved share of all needs closed so far (resolved + aged out); NaN before any."""
    b = m.needs
    return _ratio(b.total_resolved, b.total_resolved + b.total_expired)


@metric("mean_wait", "needs")
def mean_wait(m: GovernanceModel) -> float:
    """Mean weeks from raised to resolved, of the needs resolved this week (NaN if none)."""
    return _ratio(m.events.get("wait_sum", 0.0), m.events.get("needs_resolved", 0))


@metric("backlog", "needs")
def backlog(m: GovernanceModel) -> float:
    """Open needs per 1,000 residents."""
    return 1000.0 * m.needs.size / m.residents.n


@metric("resources_per_resolved", "needs")
def resources_per_resolved(m: GovernanceModel) -> float:
    """Resource units used per need resolved this week (NaN if none)."""
    return _ratio(m.events.get("resources_used", 0.0), m.events.get("needs_resolved", 0))


# -- conflicts -------------------------------------------------------------------------------


@metric("conflicts_open", "conflicts")
def conflicts_open(m: GovernanceModel) -> float:
    """Open disputes per 1,000 residents."""
    return 1000.0 * m.conflicts.size / m.residents.n


@metric("conflicts_unresolved", "conflicts")
def conflicts_unresolved(m: GovernanceModel) -> float:
    """Disputes escalated unmediated so far, per 1,000 residents."""
    return 1000.0 * m.conflicts.total_escalated / m.residents.n


@metric("mediation_rate", "conflicts")
def mediation_rate(m: GovernanceModel) -> float:
    """Mediated share of all closed disputes so far (NaN before any)."""
    c = m.conflicts
    return _ratio(c.total_mediated, c.total_mediated + c.total_escalated)


# -- platform and strategy ---------------------------------------------------------------------


@metric("platform_adoption", "platform")
def platform_adoption(m: GovernanceModel) -> float:
    """Share of residents using the community platform."""
    return float(m.residents.digital.mean())


def _effort(lever: str) -> Callable[[GovernanceModel], float]:
    def fn(m: GovernanceModel) -> float:
        return float(getattr(m.effort, lever))

    fn.__doc__ = f"Intensity of the {lever} lever this week."
    return fn


for _lever in ("ideological", "political", "organizational", "smart"):
    metric(f"effort_{_lever}", "strategy")(_effort(_lever))


# -- per group -------------------------------------------------------------------------------


@metric("participation_rate", "participation", per_group=True)
def g_participation(m: GovernanceModel) -> np.ndarray:
    """Share of the group taking part this week."""
    return _group_mean(m, m.residents.participating.astype(float))


@metric("never_participated", "participation", per_group=True)
def g_never(m: GovernanceModel) -> np.ndarray:
    """Share of the group that has never taken part."""
    return 1.0 - _group_mean(m, m.residents.ever_participated.astype(float))


@metric("opinion_mean", "consensus", per_group=True)
def g_opinion(m: GovernanceModel) -> np.ndarray:
    """Mean opinion of the group."""
    return _group_mean(m, m.residents.opinion)


@metric("agenda_distance", "consensus", per_group=True)
def g_distance(m: GovernanceModel) -> np.ndarray:
    """Mean distance of the group's opinions from the agenda."""
    return _group_mean(m, np.abs(m.residents.opinion - m.p.opinions.agenda))


@metric("mean_trust", "trust", per_group=True)
def g_trust(m: GovernanceModel) -> np.ndarray:
    """Mean trust of the group."""
    return _group_mean(m, m.residents.trust)


@metric("platform_adoption", "platform", per_group=True)
def g_adoption(m: GovernanceModel) -> np.ndarray:
    """Share of the group using the platform."""
    return _group_mean(m, m.residents.digital.astype(float))


@metric("resolution_rate", "needs", per_group=True)
def g_resolution(m: GovernanceModel) -> np.ndarray:
    """Resolved share of the group's closed needs so far."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            m.group_closed > 0, m.group_resolved / np.maximum(m.group_closed, 1), np.nan
        )


# -- evaluation and run-level summaries ---------------------------------------------------------


def evaluate(model: GovernanceModel, names: Iterable[str] | None = None) -> dict[str, float]:
    """Evaluate model metrics by name (all by default)."""
    names = list(MODEL_METRICS) if names is None else list(names)
    return {n: MODEL_METRICS[n].fn(model) for n in names}


def evaluate_groups(model: GovernanceModel) -> dict[str, np.ndarray]:
    """Evaluate every group metric."""
    return {n: np.asarray(mt.fn(model), dtype=float) for n, mt in GROUP_METRICS.items()}


def datacollector_reporters() -> dict[str, Callable]:
    """Model reporters for Mesa's DataCollector, built from the registry."""
    reps: dict[str, Callable] = {n: mt.fn for n, mt in MODEL_METRICS.items()}
    reps["_groups"] = evaluate_groups
    return reps


#: Variance below which opinions count as a consensus (for time to consensus).
CONSENSUS_VARIANCE = 0.01


def time_to_consensus(model_df: pd.DataFrame, threshold: float = CONSENSUS_VARIANCE) -> float:
    """First week from which opinion variance stays below ``threshold`` (NaN if never)."""
    v = model_df["opinion_variance"].to_numpy()
    below = v < threshold
    if not below.size or not below[-1]:
        return float("nan")
    above = np.flatnonzero(~below)
    first = 0 if above.size == 0 else above[-1] + 1
    return float(model_df["step"].to_numpy()[first])


def summarise(model_df: pd.DataFrame, window: int | None = None) -> dict[str, float]:
    """Run-level outcomes from the per-step table.

    Returns ``final_<metric>`` (last week), ``mean_<metric>`` (mean over the last ``window``
    weeks, all weeks after week 0 by default) and ``time_to_consensus``.
    """
    df = model_df[model_df["step"] > 0] if (model_df["step"] > 0).any() else model_df
    if window:
        df = df.tail(window)
    out: dict[str, float] = {}
    last = model_df.iloc[-1]
    for name in MODEL_METRICS:
        if name not in model_df:
            continue
        out[f"final_{name}"] = float(last[name])
        col = df[name].to_numpy(dtype=float)
        out[f"mean_{name}"] = float(np.nanmean(col)) if np.isfinite(col).any() else float("nan")
    out["time_to_consensus"] = time_to_consensus(model_df)
    return out
